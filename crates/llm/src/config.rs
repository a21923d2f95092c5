//! Provider configuration: kinds, endpoints, models and API keys (as secrets).

use crate::LlmError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An API key. Its `Debug` output is redacted, it has no `Display`, and it cannot be
/// serialized: configs that contain one never write it back out.
#[derive(Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(transparent)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for putting into a request header. Never log the result.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the key in `text` (a provider may echo it in an error).
    pub(crate) fn redact(&self, text: &str) -> String {
        // Very short keys would redact ordinary words; real keys are long.
        if self.0.len() < 8 {
            return text.to_owned();
        }
        text.replace(&self.0, "[redacted]")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Which wire format a provider speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProviderKind {
    /// OpenAI Chat Completions, as spoken by OpenAI, DeepSeek, Qwen, vLLM, llama.cpp,
    /// Ollama and others.
    #[serde(
        rename = "openai",
        alias = "openai_compatible",
        alias = "openai-compatible"
    )]
    OpenAi,
    /// Anthropic Messages.
    #[serde(rename = "anthropic")]
    Anthropic,
}

impl ProviderKind {
    /// The provider's public endpoint, used when no base URL is configured.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::OpenAi => "https://api.openai.com",
            Self::Anthropic => "https://api.anthropic.com",
        }
    }

    /// The kind's name as written in configs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to reach one model endpoint. Serializable so per-agent configs can live in user
/// config; the API key is read but never written back out.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderConfig {
    /// The wire format.
    pub kind: ProviderKind,
    /// The base URL (`https://api.openai.com`, `http://localhost:8000/v1`, ...); with or
    /// without a trailing version segment. `None` means the kind's public endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The default model for requests that name none.
    pub model: String,
    /// The API key; local servers (vLLM, llama.cpp, Ollama) often need none.
    #[serde(default, skip_serializing)]
    pub api_key: Option<ApiKey>,
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url())
            .field("model", &self.model)
            .field(
                "api_key",
                &if self.api_key.is_some() {
                    "<redacted>"
                } else {
                    "<none>"
                },
            )
            .finish()
    }
}

impl ProviderConfig {
    /// A config for `kind` at its public endpoint with `model` and no key.
    pub fn new(kind: ProviderKind, model: impl Into<String>) -> Self {
        Self {
            kind,
            base_url: None,
            model: model.into(),
            api_key: None,
        }
    }

    /// Sets the base URL.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Sets the API key.
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(key));
        self
    }

    /// The base URL in effect.
    pub fn base_url(&self) -> &str {
        self.base_url
            .as_deref()
            .unwrap_or_else(|| self.kind.default_base_url())
    }

    /// Checks that the model is named and the base URL is an absolute http(s) URL
    /// without embedded credentials.
    pub fn validate(&self) -> Result<(), LlmError> {
        if self.model.trim().is_empty() {
            return Err(LlmError::Config("no model is named".into()));
        }
        let url = reqwest::Url::parse(self.base_url()).map_err(|e| {
            LlmError::Config(format!("base URL {:?} is not a URL: {e}", self.base_url()))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(LlmError::Config(format!(
                "base URL {:?} must be http or https",
                self.base_url()
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(LlmError::Config(
                "the base URL must not contain credentials; configure an API key instead".into(),
            ));
        }
        if url.query().is_some() {
            return Err(LlmError::Config(
                "the base URL must not contain a query string".into(),
            ));
        }
        Ok(())
    }

    /// The server default from the process environment:
    ///
    /// - `OPENAI_API_KEY` and/or `OPENAI_BASE_URL` (default `https://api.openai.com`)
    ///   configure an OpenAI-compatible provider; a base URL alone is enough for local
    ///   servers that need no key;
    /// - `ANTHROPIC_API_KEY` and/or `ANTHROPIC_BASE_URL` (default
    ///   `https://api.anthropic.com`) configure Anthropic;
    /// - `ARRANGER_MODEL` names the model;
    /// - when both are configured, `ARRANGER_PROVIDER` (`openai` or `anthropic`)
    ///   chooses; without it a model whose name starts with `claude` picks Anthropic and
    ///   anything else OpenAI.
    ///
    /// `Ok(None)` when no provider is configured; an error when one is but no model is
    /// named, or a value is invalid. Empty variables count as unset.
    pub fn from_env() -> Result<Option<Self>, LlmError> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`ProviderConfig::from_env`] with a custom variable lookup (for tests and for
    /// config files that mirror the environment).
    pub fn from_env_with(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, LlmError> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let openai_key = var("OPENAI_API_KEY");
        let openai_url = var("OPENAI_BASE_URL");
        let anthropic_key = var("ANTHROPIC_API_KEY");
        let anthropic_url = var("ANTHROPIC_BASE_URL");
        let model = var("ARRANGER_MODEL");
        let openai = openai_key.is_some() || openai_url.is_some();
        let anthropic = anthropic_key.is_some() || anthropic_url.is_some();

        let kind = match (openai, anthropic) {
            (false, false) => return Ok(None),
            (true, false) => ProviderKind::OpenAi,
            (false, true) => ProviderKind::Anthropic,
            (true, true) => match var("ARRANGER_PROVIDER").as_deref().map(str::trim) {
                Some("openai") => ProviderKind::OpenAi,
                Some("anthropic") => ProviderKind::Anthropic,
                Some(other) => {
                    return Err(LlmError::Config(format!(
                        "ARRANGER_PROVIDER is {other:?}; expected \"openai\" or \"anthropic\""
                    )));
                }
                None if model
                    .as_deref()
                    .is_some_and(|m| m.trim().starts_with("claude")) =>
                {
                    ProviderKind::Anthropic
                }
                None => ProviderKind::OpenAi,
            },
        };
        let (key, url, key_var) = match kind {
            ProviderKind::OpenAi => (openai_key, openai_url, "OPENAI_API_KEY/OPENAI_BASE_URL"),
            ProviderKind::Anthropic => (
                anthropic_key,
                anthropic_url,
                "ANTHROPIC_API_KEY/ANTHROPIC_BASE_URL",
            ),
        };
        let Some(model) = model else {
            return Err(LlmError::Config(format!(
                "{key_var} is set but ARRANGER_MODEL is not: name the model to use"
            )));
        };
        let config = Self {
            kind,
            base_url: url.map(|u| u.trim().to_owned()),
            model: model.trim().to_owned(),
            api_key: key.map(|k| ApiKey::new(k.trim())),
        };
        config.validate()?;
        Ok(Some(config))
    }
}

/// Serde helper: a `Duration` as whole milliseconds.
pub(crate) mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn nothing_configured_is_none() {
        assert_eq!(ProviderConfig::from_env_with(env(&[])), Ok(None));
        assert_eq!(
            ProviderConfig::from_env_with(env(&[("ARRANGER_MODEL", "gpt-4o")])),
            Ok(None)
        );
    }

    #[test]
    fn openai_from_env() {
        let c = ProviderConfig::from_env_with(env(&[
            ("OPENAI_API_KEY", "sk-test-123456789"),
            ("ARRANGER_MODEL", "gpt-4o-mini"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(c.kind, ProviderKind::OpenAi);
        assert_eq!(c.base_url(), "https://api.openai.com");
        assert_eq!(c.model, "gpt-4o-mini");
        assert_eq!(
            c.api_key.as_ref().map(ApiKey::expose_secret),
            Some("sk-test-123456789")
        );
    }

    #[test]
    fn local_server_without_key() {
        let c = ProviderConfig::from_env_with(env(&[
            ("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"),
            ("ARRANGER_MODEL", "qwen"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(c.base_url(), "http://127.0.0.1:8000/v1");
        assert!(c.api_key.is_none());
    }

    #[test]
    fn anthropic_and_choice_between_both() {
        let both = [
            ("OPENAI_API_KEY", "sk-aaaaaaaaaaaa"),
            ("ANTHROPIC_API_KEY", "sk-ant-bbbbbbbbbbbb"),
        ];
        let mut v = both.to_vec();
        v.push(("ARRANGER_MODEL", "claude-sonnet-4-5"));
        let c = ProviderConfig::from_env_with(env(&v)).unwrap().unwrap();
        assert_eq!(c.kind, ProviderKind::Anthropic);
        assert_eq!(c.base_url(), "https://api.anthropic.com");

        let mut v = both.to_vec();
        v.push(("ARRANGER_MODEL", "claude-sonnet-4-5"));
        v.push(("ARRANGER_PROVIDER", "openai"));
        let c = ProviderConfig::from_env_with(env(&v)).unwrap().unwrap();
        assert_eq!(c.kind, ProviderKind::OpenAi);
    }

    #[test]
    fn key_without_model_is_a_clear_error() {
        let err = ProviderConfig::from_env_with(env(&[("OPENAI_API_KEY", "sk-secret-value-1")]))
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("ARRANGER_MODEL"), "{text}");
        assert!(!text.contains("sk-secret-value-1"));
    }

    #[test]
    fn bad_urls_are_rejected() {
        for url in [
            "not a url",
            "ftp://x",
            "https://user:pw@host",
            "https://h/?k=v",
        ] {
            let c = ProviderConfig::new(ProviderKind::OpenAi, "m").with_base_url(url);
            assert!(c.validate().is_err(), "{url}");
        }
    }

    #[test]
    fn debug_and_serialization_never_show_the_key() {
        let c = ProviderConfig::new(ProviderKind::Anthropic, "claude")
            .with_api_key("sk-ant-very-secret-key");
        let debug = format!("{c:?} {:?}", c.api_key);
        assert!(!debug.contains("very-secret"), "{debug}");
        assert!(debug.contains("redacted"));
        let json = serde_json::to_string(&c).unwrap();
        assert!(!json.contains("very-secret"), "{json}");
        assert!(!json.contains("api_key"), "{json}");

        let parsed: ProviderConfig = serde_json::from_str(
            r#"{"kind":"openai","base_url":"http://localhost:11434","model":"llama3","api_key":"sk-from-config-1"}"#,
        )
        .unwrap();
        assert_eq!(
            parsed.api_key.as_ref().map(ApiKey::expose_secret),
            Some("sk-from-config-1")
        );
        let alias: ProviderConfig =
            serde_json::from_str(r#"{"kind":"openai_compatible","model":"m"}"#).unwrap();
        assert_eq!(alias.kind, ProviderKind::OpenAi);
    }
}
