//! A user's secrets and MCP servers (BRIEF B9, B12): names, definitions and their rules.
//!
//! A secret's **value** never appears in any type of this module: definitions refer to
//! secrets by name only, so a definition can be stored, listed and sent in events freely.

use crate::{Risk, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest secret name, in characters.
pub const MAX_SECRET_NAME: usize = 64;
/// Largest secret value, in bytes.
pub const MAX_SECRET_VALUE_BYTES: usize = 64 * 1024;
/// Longest MCP server name, in characters.
pub const MAX_SERVER_NAME: usize = 32;
/// Prefix of every MCP tool name offered to agents: `mcp__<server>__<tool>`.
pub const MCP_TOOL_PREFIX: &str = "mcp__";
/// Longest tool name a model accepts (OpenAI's function-name limit).
pub const MAX_MODEL_TOOL_NAME: usize = 64;

const MAX_ARGS: usize = 64;
const MAX_VARS: usize = 64;
const MAX_TEXT: usize = 4096;
const MAX_LITERAL_BYTES: usize = 8 * 1024;
const MAX_RISK_OVERRIDES: usize = 256;

/// A secret as listed: its name and times, never its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SecretInfo {
    /// The name.
    pub name: String,
    /// When it was first set.
    pub created_at: Timestamp,
    /// When its value last changed.
    pub updated_at: Timestamp,
}

/// Checks a secret name: `[A-Za-z_][A-Za-z0-9_]{0,63}` (usable as an environment variable).
pub fn validate_secret_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok
        || name.len() > MAX_SECRET_NAME
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(format!(
            "secret name {name:?}: use 1 to {MAX_SECRET_NAME} of A-Z, a-z, 0-9 and '_', not starting with a digit"
        ));
    }
    Ok(())
}

/// An environment variable or HTTP header of an MCP server: a literal `value` or the
/// value of one of the user's secrets, named by `secret` (exactly one of them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct McpVar {
    /// The variable's or header's name.
    pub name: String,
    /// The name of one of the user's secrets whose value is passed (never stored here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// A literal value (not secret: it is shown in listings and events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// How Arranger talks to an MCP server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum McpTransport {
    /// A local process speaking MCP on its standard input and output, sandboxed like the
    /// user's commands (workspace and private tmp only, scrubbed environment).
    Stdio {
        /// The program: a name looked up in the sandbox's `PATH` (`node`, `python3`, …), an
        /// absolute path, or a path relative to `cwd` inside the workspace.
        command: String,
        /// Its arguments.
        #[serde(default)]
        args: Vec<String>,
        /// Environment variables added to the sandbox's scrubbed environment.
        #[serde(default)]
        env: Vec<McpVar>,
        /// Working directory, workspace-relative (default: the workspace root).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<String>,
    },
    /// A remote server speaking MCP's streamable HTTP transport.
    Http {
        /// `http://` or `https://` URL of the MCP endpoint.
        url: String,
        /// Headers sent with every request (e.g. `Authorization` from a secret).
        #[serde(default)]
        headers: Vec<McpVar>,
    },
}

/// A user's MCP server definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct McpServerSpec {
    /// Name: 1–32 of `a-z`, `0-9`, `-`, `_`, without `__` (it is part of tool names).
    pub name: String,
    /// How to reach it.
    pub transport: McpTransport,
    /// Whether its tools are offered (default true). A disabled server is never started.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Risk of individual tools (by the server's own tool name); `medium` for the rest.
    #[serde(default)]
    pub tool_risk: BTreeMap<String, Risk>,
}

fn yes() -> bool {
    true
}

/// Checks an MCP server name: 1–32 of `a-z`, `0-9`, `-`, `_`, without `__`.
pub fn validate_server_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > MAX_SERVER_NAME
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        || name.contains("__")
    {
        return Err(format!(
            "MCP server name {name:?}: use 1 to {MAX_SERVER_NAME} of a-z, 0-9, '-', '_' (no \"__\": it separates the server from the tool in tool names)"
        ));
    }
    Ok(())
}

fn text(what: &str, s: &str, max: usize) -> Result<(), String> {
    if s.len() > max || s.contains('\0') {
        return Err(format!("{what} must be at most {max} bytes without NUL"));
    }
    Ok(())
}

fn check_var(server: &str, what: &str, v: &McpVar, header: bool) -> Result<(), String> {
    let name_ok = if header {
        !v.name.is_empty()
            && v.name.len() <= 128
            && v.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    } else {
        validate_secret_name(&v.name).is_ok()
    };
    if !name_ok {
        return Err(if header {
            format!(
                "MCP server {server:?}: header name {:?} is not a valid HTTP header name",
                v.name
            )
        } else {
            format!(
                "MCP server {server:?}: environment variable name {:?}: use A-Z, a-z, 0-9 and '_', not starting with a digit",
                v.name
            )
        });
    }
    match (&v.secret, &v.value) {
        (Some(s), None) => validate_secret_name(s)
            .map_err(|e| format!("MCP server {server:?}: {what} {:?}: {e}", v.name)),
        (None, Some(value)) => {
            text(
                &format!("MCP server {server:?}: the value of {what} {:?}", v.name),
                value,
                MAX_LITERAL_BYTES,
            )?;
            if header && value.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
                return Err(format!(
                    "MCP server {server:?}: header {:?} has control characters in its value",
                    v.name
                ));
            }
            Ok(())
        }
        _ => Err(format!(
            "MCP server {server:?}: {what} {:?} needs exactly one of \"secret\" (a secret's name) or \"value\"",
            v.name
        )),
    }
}

impl McpServerSpec {
    /// Checks the whole definition; the message says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        validate_server_name(&self.name)?;
        let name = &self.name;
        match &self.transport {
            McpTransport::Stdio {
                command,
                args,
                env,
                cwd,
            } => {
                if command.trim().is_empty() {
                    return Err(format!("MCP server {name:?}: the command is empty"));
                }
                text(
                    &format!("MCP server {name:?}: the command"),
                    command,
                    MAX_TEXT,
                )?;
                if args.len() > MAX_ARGS {
                    return Err(format!("MCP server {name:?}: at most {MAX_ARGS} arguments"));
                }
                for a in args {
                    text(&format!("MCP server {name:?}: each argument"), a, MAX_TEXT)?;
                }
                if env.len() > MAX_VARS {
                    return Err(format!(
                        "MCP server {name:?}: at most {MAX_VARS} environment variables"
                    ));
                }
                for v in env {
                    check_var(name, "environment variable", v, false)?;
                }
                unique(name, "environment variable", env)?;
                if let Some(cwd) = cwd {
                    text(&format!("MCP server {name:?}: cwd"), cwd, MAX_TEXT)?;
                }
            }
            McpTransport::Http { url, headers } => {
                text(&format!("MCP server {name:?}: the URL"), url, MAX_TEXT)?;
                let lower = url.to_ascii_lowercase();
                let rest = lower
                    .strip_prefix("https://")
                    .or_else(|| lower.strip_prefix("http://"));
                if rest.is_none_or(|r| r.is_empty() || r.starts_with('/'))
                    || url.chars().any(char::is_whitespace)
                {
                    return Err(format!(
                        "MCP server {name:?}: the URL must be an http:// or https:// URL with a host"
                    ));
                }
                if headers.len() > MAX_VARS {
                    return Err(format!("MCP server {name:?}: at most {MAX_VARS} headers"));
                }
                for h in headers {
                    check_var(name, "header", h, true)?;
                }
                unique(name, "header", headers)?;
            }
        }
        if self.tool_risk.len() > MAX_RISK_OVERRIDES {
            return Err(format!(
                "MCP server {name:?}: at most {MAX_RISK_OVERRIDES} tool_risk entries"
            ));
        }
        for tool in self.tool_risk.keys() {
            text(
                &format!("MCP server {name:?}: a tool_risk tool name"),
                tool,
                256,
            )?;
        }
        Ok(())
    }

    /// The secrets the definition refers to, by name.
    pub fn secret_names(&self) -> Vec<&str> {
        let vars = match &self.transport {
            McpTransport::Stdio { env, .. } => env,
            McpTransport::Http { headers, .. } => headers,
        };
        vars.iter().filter_map(|v| v.secret.as_deref()).collect()
    }

    /// The risk of one of its tools (by the server's own name).
    pub fn risk_of(&self, tool: &str) -> Risk {
        self.tool_risk.get(tool).copied().unwrap_or(Risk::Medium)
    }
}

fn unique(server: &str, what: &str, vars: &[McpVar]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for v in vars {
        let key = v.name.to_ascii_lowercase();
        if !seen.insert(key) {
            return Err(format!(
                "MCP server {server:?}: {what} {:?} is given twice",
                v.name
            ));
        }
    }
    Ok(())
}

/// The name agents see for `tool` of `server`: `mcp__<server>__<tool>`. `None` when the
/// result would not be a valid model tool name (the tool's name has characters other
/// than ASCII letters, digits, `_` and `-`, or the whole is longer than 64).
pub fn mcp_tool_name(server: &str, tool: &str) -> Option<String> {
    if validate_server_name(server).is_err()
        || tool.is_empty()
        || !tool
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let name = format!("{MCP_TOOL_PREFIX}{server}__{tool}");
    (name.len() <= MAX_MODEL_TOOL_NAME).then_some(name)
}

/// Splits `mcp__<server>__<tool>` into server and tool (server names never contain `__`).
pub fn parse_mcp_tool_name(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix(MCP_TOOL_PREFIX)?;
    let (server, tool) = rest.split_once("__")?;
    if validate_server_name(server).is_err() || tool.is_empty() {
        return None;
    }
    Some((server, tool))
}

/// What an MCP server is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum McpServerState {
    /// Not running (never started, stopped when idle, disabled).
    Stopped,
    /// Being started (or restarted after a crash).
    Starting,
    /// Connected: its tools can be called.
    Running,
    /// It failed to start or kept crashing; `last_error` says why. Saving the definition
    /// again (`mcp.add`) clears it.
    Crashed,
}

/// One of the user's MCP servers with its state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpServerStatus {
    /// The definition (secret references by name only).
    pub spec: McpServerSpec,
    /// What it is doing.
    pub state: McpServerState,
    /// The last failure (start, crash), if any. Known secret values are masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// How many times it was restarted after crashes since it was last started on demand.
    pub restarts: u32,
}

/// An MCP tool as offered to agents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpToolDef {
    /// `mcp__<server>__<tool>`.
    pub name: String,
    /// The server.
    pub server: String,
    /// The tool's own name at its server.
    pub tool: String,
    /// What it does (from the server).
    pub description: String,
    /// JSON Schema of its arguments (from the server).
    pub input_schema: serde_json::Value,
    /// Its risk: the user's override, or `medium`.
    pub risk: Risk,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stdio(name: &str, env: Vec<McpVar>) -> McpServerSpec {
        McpServerSpec {
            name: name.into(),
            transport: McpTransport::Stdio {
                command: "node".into(),
                args: vec!["server.js".into()],
                env,
                cwd: None,
            },
            enabled: true,
            tool_risk: BTreeMap::new(),
        }
    }

    fn var(name: &str, secret: Option<&str>, value: Option<&str>) -> McpVar {
        McpVar {
            name: name.into(),
            secret: secret.map(Into::into),
            value: value.map(Into::into),
        }
    }

    #[test]
    fn secret_names_follow_the_environment_variable_rule() {
        for ok in ["A", "_", "GITHUB_TOKEN", "a1", &"x".repeat(64)] {
            assert!(validate_secret_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1A", "A-B", "A B", "é", "A.B", &"x".repeat(65)] {
            let e = validate_secret_name(bad).unwrap_err();
            assert!(e.contains("A-Z"), "{e}");
        }
    }

    #[test]
    fn server_names_and_definitions_are_checked() {
        for ok in ["everything", "a", "gh-1", "my_srv", &"a".repeat(32)] {
            assert!(validate_server_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "A", "a b", "a__b", "a.b", &"a".repeat(33)] {
            assert!(validate_server_name(bad).is_err(), "{bad}");
        }
        assert!(
            stdio("ok", vec![var("TOKEN", Some("GH"), None)])
                .validate()
                .is_ok()
        );
        let both = stdio("ok", vec![var("TOKEN", Some("GH"), Some("x"))]);
        assert!(both.validate().unwrap_err().contains("exactly one"));
        let neither = stdio("ok", vec![var("TOKEN", None, None)]);
        assert!(neither.validate().is_err());
        let bad_env = stdio("ok", vec![var("1X", None, Some("v"))]);
        assert!(bad_env.validate().is_err());
        let twice = stdio(
            "ok",
            vec![var("X", None, Some("1")), var("X", None, Some("2"))],
        );
        assert!(twice.validate().unwrap_err().contains("twice"));
        let mut empty = stdio("ok", vec![]);
        if let McpTransport::Stdio { command, .. } = &mut empty.transport {
            *command = " ".into();
        }
        assert!(empty.validate().is_err());
        let http = |url: &str, h: Vec<McpVar>| McpServerSpec {
            name: "remote".into(),
            transport: McpTransport::Http {
                url: url.into(),
                headers: h,
            },
            enabled: true,
            tool_risk: BTreeMap::new(),
        };
        assert!(
            http("https://mcp.example.com/mcp", vec![])
                .validate()
                .is_ok()
        );
        for bad in [
            "ftp://x",
            "https://",
            "http:///x",
            "https://a b",
            "example.com",
        ] {
            assert!(http(bad, vec![]).validate().is_err(), "{bad}");
        }
        let auth = var("Authorization", Some("GH"), None);
        assert!(http("https://x.y", vec![auth]).validate().is_ok());
        let bad_header = var("Bad Header", None, Some("x"));
        assert!(http("https://x.y", vec![bad_header]).validate().is_err());
        let crlf = var("X-A", None, Some("a\r\nInjected: 1"));
        assert!(http("https://x.y", vec![crlf]).validate().is_err());
    }

    #[test]
    fn definitions_reject_unknown_fields_and_default_sensibly() {
        let spec: McpServerSpec = serde_json::from_value(serde_json::json!({
            "name": "e", "transport": {"type": "stdio", "command": "node"}
        }))
        .unwrap();
        assert!(spec.enabled);
        assert_eq!(spec.risk_of("echo"), Risk::Medium);
        let typo = serde_json::from_value::<McpServerSpec>(serde_json::json!({
            "name": "e", "transport": {"type": "stdio", "command": "node", "enviroment": []}
        }));
        assert!(typo.is_err());
        let secretive = stdio(
            "s",
            vec![var("A", Some("S1"), None), var("B", None, Some("v"))],
        );
        assert_eq!(secretive.secret_names(), ["S1"]);
    }

    #[test]
    fn tool_names_map_both_ways() {
        assert_eq!(
            mcp_tool_name("everything", "echo").as_deref(),
            Some("mcp__everything__echo")
        );
        assert_eq!(
            parse_mcp_tool_name("mcp__everything__echo"),
            Some(("everything", "echo"))
        );
        // A tool name may itself contain "__"; the server name never does.
        let n = mcp_tool_name("a-b", "x__y").unwrap();
        assert_eq!(parse_mcp_tool_name(&n), Some(("a-b", "x__y")));
        assert_eq!(
            mcp_tool_name("s", "get-sum").as_deref(),
            Some("mcp__s__get-sum")
        );
        assert_eq!(mcp_tool_name("s", "a.b"), None);
        assert_eq!(mcp_tool_name("s", ""), None);
        assert_eq!(mcp_tool_name("s", &"t".repeat(60)), None);
        assert_eq!(mcp_tool_name("S", "t"), None);
        for bad in [
            "read_file",
            "mcp__",
            "mcp__x",
            "mcp__x__",
            "mcp__X__t",
            "mcp____t",
        ] {
            assert_eq!(parse_mcp_tool_name(bad), None, "{bad}");
        }
    }
}
