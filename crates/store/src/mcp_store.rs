//! A user's secrets and MCP server definitions (BRIEF B9, B12).
//!
//! Secret values are sealed with the server's [`SecretBox`] before they reach SQLite,
//! bound to the label `user-secret:<name>` (so a provider key's ciphertext cannot be
//! passed off as a user secret or the other way round). Only names and times are ever
//! listed or recorded in events; the plain value leaves this module only through
//! [`UserStore::secret_values`], for the MCP runtime that hands it to a process.

use crate::user_store::Events;
use crate::{SecretBox, StoreError, UserStore, now_ms};
use arranger_domain::mcp::{MAX_SECRET_VALUE_BYTES, validate_secret_name, validate_server_name};
use arranger_domain::{EventKind, McpServerSpec, SecretInfo};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most secrets one user may keep.
pub const MAX_SECRETS: usize = 256;
/// Most MCP server definitions one user may keep.
pub const MAX_MCP_SERVERS: usize = 32;

fn label(name: &str) -> String {
    format!("user-secret:{name}")
}

fn missing_secret(name: &str) -> StoreError {
    StoreError::NotFound {
        what: "secret",
        id: name.to_owned(),
    }
}

fn secrets_exist(conn: &Connection, names: &[&str]) -> Result<(), StoreError> {
    for name in names {
        let found = conn
            .prepare_cached("SELECT 1 FROM user_secrets WHERE name = ?1")?
            .query_row([name], |_| Ok(()))
            .optional()?;
        if found.is_none() {
            return Err(StoreError::Invalid(format!(
                "secret {name:?} is not set; set it first with secret.set (secret.list shows yours)"
            )));
        }
    }
    Ok(())
}

fn spec_from(data: &str) -> Result<McpServerSpec, StoreError> {
    serde_json::from_str(data).map_err(StoreError::corrupt)
}

fn load_servers(conn: &Connection) -> Result<Vec<McpServerSpec>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT spec FROM mcp_servers ORDER BY name")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(spec_from(&r?)?);
    }
    Ok(out)
}

impl UserStore {
    /// Sets (creates or replaces) a secret, sealed with `secrets`. Records
    /// `secret_updated` with the name only.
    pub async fn set_secret(
        &self,
        name: String,
        value: String,
        secrets: Arc<SecretBox>,
    ) -> Result<SecretInfo, StoreError> {
        validate_secret_name(&name).map_err(StoreError::Invalid)?;
        if value.len() > MAX_SECRET_VALUE_BYTES {
            return Err(StoreError::Invalid(format!(
                "the value of secret {name:?} is {} bytes; at most {MAX_SECRET_VALUE_BYTES} are allowed",
                value.len()
            )));
        }
        self.write(move |ev| {
            let tx = ev.tx;
            let existing: Option<i64> = tx
                .prepare_cached("SELECT created_at FROM user_secrets WHERE name = ?1")?
                .query_row([&name], |r| r.get(0))
                .optional()?;
            if existing.is_none() {
                let n: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM user_secrets")?
                    .query_row([], |r| r.get(0))?;
                if n as usize >= MAX_SECRETS {
                    return Err(StoreError::Conflict(format!(
                        "you already have {MAX_SECRETS} secrets; delete one with secret.delete first"
                    )));
                }
            }
            let (nonce, ct) = secrets.seal(&label(&name), value.as_bytes())?;
            let now = now_ms();
            let created_at = existing.unwrap_or(now);
            tx.prepare_cached(
                "INSERT INTO user_secrets (name, nonce, ciphertext, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (name) DO UPDATE SET nonce = excluded.nonce,
                     ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
            )?
            .execute(params![name, nonce, ct, created_at, now])?;
            ev.record(EventKind::SecretUpdated { name: name.clone() })?;
            Ok(SecretInfo {
                name,
                created_at,
                updated_at: now,
            })
        })
        .await
    }

    /// Deletes a secret; records `secret_removed` if it existed. Definitions that refer
    /// to it stay (they fail to start with a message naming the missing secret).
    pub async fn delete_secret(&self, name: String) -> Result<bool, StoreError> {
        validate_secret_name(&name).map_err(StoreError::Invalid)?;
        self.write(move |ev| {
            let n = ev
                .tx
                .prepare_cached("DELETE FROM user_secrets WHERE name = ?1")?
                .execute([&name])?;
            if n > 0 {
                record_removed(ev, name)?;
            }
            Ok(n > 0)
        })
        .await
    }

    /// The user's secrets: names and times, sorted by name. Never values.
    pub async fn list_secrets(&self) -> Result<Vec<SecretInfo>, StoreError> {
        self.call(|conn, _| {
            let mut stmt = conn.prepare_cached(
                "SELECT name, created_at, updated_at FROM user_secrets ORDER BY name",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(SecretInfo {
                    name: r.get(0)?,
                    created_at: r.get(1)?,
                    updated_at: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// The decrypted values of the named secrets, for handing to an MCP server the user
    /// mapped them into. A missing secret is `NotFound` naming it. Never log the result.
    pub async fn secret_values(
        &self,
        names: Vec<String>,
        secrets: Arc<SecretBox>,
    ) -> Result<BTreeMap<String, String>, StoreError> {
        self.call(move |conn, _| {
            let mut out = BTreeMap::new();
            for name in names {
                let row: Option<(Vec<u8>, Vec<u8>)> = conn
                    .prepare_cached("SELECT nonce, ciphertext FROM user_secrets WHERE name = ?1")?
                    .query_row([&name], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                let (nonce, ct) = row.ok_or_else(|| missing_secret(&name))?;
                let plain = secrets.open(&label(&name), &nonce, &ct)?;
                let value = String::from_utf8(plain).map_err(StoreError::corrupt)?;
                out.insert(name, value);
            }
            Ok(out)
        })
        .await
    }

    /// Adds or replaces an MCP server definition after checking it (and that every secret
    /// it names exists). Records `mcp_server_updated`.
    pub async fn put_mcp_server(&self, spec: McpServerSpec) -> Result<McpServerSpec, StoreError> {
        spec.validate().map_err(StoreError::Invalid)?;
        self.write(move |ev| {
            let tx = ev.tx;
            secrets_exist(tx, &spec.secret_names())?;
            let exists = tx
                .prepare_cached("SELECT 1 FROM mcp_servers WHERE name = ?1")?
                .query_row([&spec.name], |_| Ok(()))
                .optional()?
                .is_some();
            if !exists {
                let n: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM mcp_servers")?
                    .query_row([], |r| r.get(0))?;
                if n as usize >= MAX_MCP_SERVERS {
                    return Err(StoreError::Conflict(format!(
                        "you already have {MAX_MCP_SERVERS} MCP servers; remove one with mcp.remove first"
                    )));
                }
            }
            let data = serde_json::to_string(&spec).map_err(StoreError::corrupt)?;
            let now = now_ms();
            tx.prepare_cached(
                "INSERT INTO mcp_servers (name, spec, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at",
            )?
            .execute(params![spec.name, data, now])?;
            ev.record(EventKind::McpServerUpdated {
                server: spec.clone(),
            })?;
            Ok(spec)
        })
        .await
    }

    /// Removes an MCP server definition; records `mcp_server_removed` if it existed.
    pub async fn remove_mcp_server(&self, name: String) -> Result<bool, StoreError> {
        validate_server_name(&name).map_err(StoreError::Invalid)?;
        self.write(move |ev| {
            let n = ev
                .tx
                .prepare_cached("DELETE FROM mcp_servers WHERE name = ?1")?
                .execute([&name])?;
            if n > 0 {
                ev.record(EventKind::McpServerRemoved { name })?;
            }
            Ok(n > 0)
        })
        .await
    }

    /// The user's MCP server definitions, by name. Read on every task start and at most
    /// [`MAX_MCP_SERVERS`] rows, so it runs in place when it can (see `call_now`).
    pub async fn list_mcp_servers(&self) -> Result<Vec<McpServerSpec>, StoreError> {
        self.call_now(|conn, _| load_servers(conn)).await
    }

    /// One MCP server definition (`NotFound` when the user has none of that name).
    pub async fn get_mcp_server(&self, name: String) -> Result<McpServerSpec, StoreError> {
        self.call(move |conn, _| {
            let data: Option<String> = conn
                .prepare_cached("SELECT spec FROM mcp_servers WHERE name = ?1")?
                .query_row([&name], |r| r.get(0))
                .optional()?;
            let data = data.ok_or(StoreError::NotFound {
                what: "MCP server",
                id: name,
            })?;
            spec_from(&data)
        })
        .await
    }
}

fn record_removed(ev: &mut Events<'_>, name: String) -> Result<u64, StoreError> {
    ev.record(EventKind::SecretRemoved { name })
}

/// The user's secrets and MCP servers (schema step: new tables only).
pub(crate) fn migration(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "CREATE TABLE user_secrets (
             name TEXT PRIMARY KEY,
             nonce BLOB NOT NULL,
             ciphertext BLOB NOT NULL,
             created_at INTEGER NOT NULL,
             updated_at INTEGER NOT NULL
         );
         CREATE TABLE mcp_servers (
             name TEXT PRIMARY KEY,
             spec TEXT NOT NULL,
             created_at INTEGER NOT NULL,
             updated_at INTEGER NOT NULL
         );",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LocalBus;
    use arranger_domain::{McpTransport, McpVar};

    fn setup() -> (tempfile::TempDir, UserStore, Arc<SecretBox>) {
        let t = tempfile::tempdir().unwrap();
        let store = UserStore::new(t.path().join("state.db"), Arc::new(LocalBus::new(64)));
        let sb = Arc::new(SecretBox::load_or_create(&t.path().join("secret.key")).unwrap());
        (t, store, sb)
    }

    #[tokio::test]
    async fn secrets_round_trip_and_never_show_their_value() {
        let (t, store, sb) = setup();
        let mut rx = store.subscribe();
        let info = store
            .set_secret("GH_TOKEN".into(), "ghp-very-secret".into(), sb.clone())
            .await
            .unwrap();
        assert_eq!(info.name, "GH_TOKEN");
        let again = store
            .set_secret("GH_TOKEN".into(), "ghp-rotated-secret".into(), sb.clone())
            .await
            .unwrap();
        assert_eq!(again.created_at, info.created_at);
        let list = store.list_secrets().await.unwrap();
        assert_eq!(list.len(), 1);
        let values = store
            .secret_values(vec!["GH_TOKEN".into()], sb.clone())
            .await
            .unwrap();
        assert_eq!(values["GH_TOKEN"], "ghp-rotated-secret");
        for _ in 0..2 {
            let e = rx.recv().await.unwrap();
            let json = serde_json::to_string(&*e).unwrap();
            assert!(
                json.contains("secret_updated") && !json.contains("secret-"),
                "{json}"
            );
        }
        // Nothing of the value is in the database file in clear.
        store.close_if_idle(std::time::Duration::ZERO);
        for f in ["state.db", "state.db-wal"] {
            if let Ok(bytes) = std::fs::read(t.path().join(f)) {
                assert!(!bytes.windows(6).any(|w| w == b"rotate"), "{f}");
            }
        }
        assert!(store.delete_secret("GH_TOKEN".into()).await.unwrap());
        assert!(!store.delete_secret("GH_TOKEN".into()).await.unwrap());
        assert!(store.list_secrets().await.unwrap().is_empty());
        let missing = store.secret_values(vec!["GH_TOKEN".into()], sb).await;
        assert!(matches!(missing, Err(StoreError::NotFound { .. })));
    }

    #[tokio::test]
    async fn secret_names_and_sizes_are_checked() {
        let (_t, store, sb) = setup();
        for bad in ["", "1X", "A-B", "sp ace"] {
            let e = store.set_secret(bad.into(), "v".into(), sb.clone()).await;
            assert!(matches!(e, Err(StoreError::Invalid(_))), "{bad}");
        }
        let big = "x".repeat(MAX_SECRET_VALUE_BYTES + 1);
        let e = store.set_secret("BIG".into(), big, sb.clone()).await;
        assert!(matches!(e, Err(StoreError::Invalid(m)) if m.contains("bytes")));
        let max = "x".repeat(MAX_SECRET_VALUE_BYTES);
        store.set_secret("MAX".into(), max, sb).await.unwrap();
    }

    #[tokio::test]
    async fn mcp_servers_need_their_secrets_and_are_replaced_by_name() {
        let (_t, store, sb) = setup();
        let spec = McpServerSpec {
            name: "gh".into(),
            transport: McpTransport::Stdio {
                command: "node".into(),
                args: vec![],
                env: vec![McpVar {
                    name: "GITHUB_TOKEN".into(),
                    secret: Some("GH".into()),
                    value: None,
                }],
                cwd: None,
            },
            enabled: true,
            tool_risk: Default::default(),
        };
        let e = store.put_mcp_server(spec.clone()).await.unwrap_err();
        assert!(e.to_string().contains("secret.set"), "{e}");
        store
            .set_secret("GH".into(), "tok".into(), sb)
            .await
            .unwrap();
        store.put_mcp_server(spec.clone()).await.unwrap();
        let mut disabled = spec.clone();
        disabled.enabled = false;
        store.put_mcp_server(disabled).await.unwrap();
        let all = store.list_mcp_servers().await.unwrap();
        assert_eq!(all.len(), 1);
        assert!(!all[0].enabled);
        assert!(!store.get_mcp_server("gh".into()).await.unwrap().enabled);
        assert!(store.remove_mcp_server("gh".into()).await.unwrap());
        assert!(matches!(
            store.get_mcp_server("gh".into()).await,
            Err(StoreError::NotFound { .. })
        ));
        let mut bad = spec;
        bad.name = "Bad Name".into();
        assert!(matches!(
            store.put_mcp_server(bad).await,
            Err(StoreError::Invalid(_))
        ));
    }
}
