//! A user's model configuration: their providers (keys encrypted) and defaults.

use crate::user_store::Events;
use crate::{SecretBox, StoreError, UserStore};
use arranger_domain::{EventKind, ProviderEntry, UserConfig};
use rusqlite::{Connection, OptionalExtension, params};

/// A provider as a client sets it; `api_key`: absent keeps the stored key, `""` removes it.
#[derive(Clone, Debug)]
pub struct ProviderInput {
    /// Name (1–32 of `a-z`, `0-9`, `-`, `_`).
    pub name: String,
    /// `openai` or `anthropic`.
    pub kind: String,
    /// Base URL (`http://` or `https://`), if not the public endpoint.
    pub base_url: Option<String>,
    /// Default model.
    pub model: String,
    /// The key, write-only.
    pub api_key: Option<String>,
}

/// A change of configuration; `None` leaves a part as it is.
#[derive(Clone, Debug, Default)]
pub struct ConfigUpdate {
    /// Replaces the whole provider list (providers left out are removed with their keys).
    pub providers: Option<Vec<ProviderInput>>,
    /// Sets (`Some(Some)`) or clears (`Some(None)`) the default provider.
    pub default_provider: Option<Option<String>>,
    /// Sets the network policy of the user's processes.
    pub network: Option<arranger_domain::NetworkAccess>,
}

fn check(p: &ProviderInput) -> Result<(), StoreError> {
    let bad = |m: String| Err(StoreError::Invalid(m));
    if p.name.is_empty()
        || p.name.len() > 32
        || !p
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return bad(format!(
            "provider name {:?}: use 1 to 32 of a-z, 0-9, '-', '_'",
            p.name
        ));
    }
    if p.kind != "openai" && p.kind != "anthropic" {
        return bad(format!(
            "provider {:?}: kind must be \"openai\" (any OpenAI-compatible server) or \"anthropic\"",
            p.name
        ));
    }
    if let Some(u) = &p.base_url
        && (!(u.starts_with("http://") || u.starts_with("https://")) || u.len() > 2048)
    {
        return bad(format!(
            "provider {:?}: base_url must be an http:// or https:// URL",
            p.name
        ));
    }
    if p.model.trim().is_empty() || p.model.len() > 256 {
        return bad(format!("provider {:?}: name a model", p.name));
    }
    if p.api_key.as_ref().is_some_and(|k| k.len() > 4096) {
        return bad(format!("provider {:?}: the key is too long", p.name));
    }
    Ok(())
}

fn secret_name(provider: &str) -> String {
    format!("provider:{provider}")
}

fn load(conn: &Connection) -> Result<UserConfig, StoreError> {
    let raw: Option<String> = conn
        .query_row("SELECT data FROM user_config WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    let mut cfg: UserConfig = match raw {
        Some(s) => serde_json::from_str(&s).map_err(StoreError::corrupt)?,
        None => UserConfig::default(),
    };
    for p in &mut cfg.providers {
        p.has_key = conn
            .query_row(
                "SELECT 1 FROM secrets WHERE name = ?1",
                [secret_name(&p.name)],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
    }
    Ok(cfg)
}

fn save(ev: &mut Events<'_>, cfg: &UserConfig) -> Result<(), StoreError> {
    let tx: &Connection = ev.tx;
    tx.prepare_cached("INSERT INTO user_config (id, data) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET data = excluded.data")?.execute([serde_json::to_string(cfg).map_err(StoreError::corrupt)?],
    )?;
    Ok(())
}

impl UserStore {
    /// The user's model configuration (with `has_key` for each provider).
    pub async fn get_config(&self) -> Result<UserConfig, StoreError> {
        if let Some(cfg) = self.inner.hot.lock().ok().and_then(|h| h.config.clone()) {
            return Ok(cfg.as_ref().clone());
        }
        self.call_now(|conn, inner| {
            let cfg = load(conn)?;
            if let Ok(mut h) = inner.hot.lock() {
                h.config = Some(std::sync::Arc::new(cfg.clone()));
            }
            Ok(cfg)
        })
        .await
    }

    /// Changes the configuration; keys are encrypted with `secrets` before they are written.
    pub async fn set_config(
        &self,
        update: ConfigUpdate,
        secrets: std::sync::Arc<SecretBox>,
    ) -> Result<UserConfig, StoreError> {
        if let Some(ps) = &update.providers {
            for p in ps {
                check(p)?;
            }
            let mut names: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
            names.sort_unstable();
            if names.windows(2).any(|w| w[0] == w[1]) {
                return Err(StoreError::Invalid("provider names must be unique".into()));
            }
        }
        self.write(move |ev| {
            let mut cfg = load(ev.tx)?;
            if let Some(ps) = update.providers {
                // Keys of removed providers go with them.
                for old in &cfg.providers {
                    if !ps.iter().any(|p| p.name == old.name) {
                        ev.tx.prepare_cached("DELETE FROM secrets WHERE name = ?1")?.execute([secret_name(&old.name)])?;
                    }
                }
                for p in &ps {
                    match &p.api_key {
                        Some(k) if k.is_empty() => {
                            ev.tx.prepare_cached("DELETE FROM secrets WHERE name = ?1")?.execute([secret_name(&p.name)])?;
                        }
                        Some(k) => {
                            let name = secret_name(&p.name);
                            let (nonce, ct) = secrets.seal(&name, k.as_bytes())?;
                            ev.tx.prepare_cached("INSERT INTO secrets (name, nonce, ciphertext) VALUES (?1, ?2, ?3)
                                 ON CONFLICT (name) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext")?.execute(params![name, nonce, ct],
                            )?;
                        }
                        None => {}
                    }
                }
                cfg.providers = ps
                    .into_iter()
                    .map(|p| ProviderEntry { name: p.name, kind: p.kind, base_url: p.base_url, model: p.model, has_key: false })
                    .collect();
            }
            if let Some(d) = update.default_provider {
                cfg.default_provider = d;
            }
            if let Some(n) = update.network {
                cfg.network = n;
            }
            if let Some(d) = &cfg.default_provider
                && !cfg.providers.iter().any(|p| &p.name == d) {
                    return Err(StoreError::Invalid(format!("default_provider {d:?} is not one of your providers")));
                }
            save(ev, &cfg)?;
            let cfg = load(ev.tx)?;
            ev.record(EventKind::ConfigUpdated { config: cfg.clone() })?;
            Ok(cfg)
        })
        .await
    }

    /// The decrypted key of one of the user's providers, if one is stored.
    pub async fn provider_key(
        &self,
        provider: String,
        secrets: std::sync::Arc<SecretBox>,
    ) -> Result<Option<String>, StoreError> {
        self.call(move |conn, _| {
            let name = secret_name(&provider);
            let row: Option<(Vec<u8>, Vec<u8>)> = conn
                .query_row(
                    "SELECT nonce, ciphertext FROM secrets WHERE name = ?1",
                    [&name],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            row.map(|(n, ct)| {
                let plain = secrets.open(&name, &n, &ct)?;
                String::from_utf8(plain).map_err(StoreError::corrupt)
            })
            .transpose()
        })
        .await
    }
}
