//! What admins govern, in the user directory (`arranger.db`): the server's default limits
//! and caps, each user's overrides, LLM spending per user and day, and the audit log.

use crate::StoreError;
use crate::directory::SqliteDirectory;
use arranger_domain::quota::Spend;
use arranger_domain::{AuditEntry, AuditRecord, Limits, ServerCaps, UserId};
use rusqlite::{OptionalExtension, Transaction, params};

/// Most audit records one query returns.
pub const MAX_AUDIT_PAGE: usize = 1000;

/// Which audit records to read, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only records older than this id (paging back).
    pub before: Option<i64>,
    /// Only this actor's.
    pub actor: Option<String>,
    /// Only actions starting with this (`user.`, `toolrun.`).
    pub action_prefix: Option<String>,
    /// At most this many (capped at [`MAX_AUDIT_PAGE`]).
    pub limit: usize,
}

/// The governance part of the directory. Implementations block: call them from a
/// blocking thread.
pub trait Governance: Send + Sync + 'static {
    /// The server's default limits for every user and its caps for all users together.
    fn server_limits(&self) -> Result<(Limits, ServerCaps), StoreError>;
    /// Replaces the server's default limits and caps.
    fn set_server_limits(&self, defaults: &Limits, caps: &ServerCaps) -> Result<(), StoreError>;
    /// A user's overrides (empty when none are set).
    fn user_limits(&self, user: &UserId) -> Result<Limits, StoreError>;
    /// Replaces a user's overrides (`NotFound` for an unknown user).
    fn set_user_limits(&self, user: &UserId, limits: &Limits) -> Result<(), StoreError>;
    /// Adds LLM spending: (user, day number, what was spent).
    fn add_spend(&self, rows: &[(UserId, i64, Spend)]) -> Result<(), StoreError>;
    /// Spending per day from `from_day` on: of one user, or of everyone (`None`).
    fn spend_since(
        &self,
        user: Option<&UserId>,
        from_day: i64,
    ) -> Result<Vec<(i64, Spend)>, StoreError>;
    /// Appends to the audit log; returns the record's id.
    fn audit(&self, entry: &AuditEntry) -> Result<i64, StoreError>;
    /// Reads the audit log, newest first.
    fn audit_list(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError>;
}

const LIMITS_KEY: &str = "limits";
const CAPS_KEY: &str = "caps";

fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("stored {what}: {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Governance for SqliteDirectory {
    fn server_limits(&self) -> Result<(Limits, ServerCaps), StoreError> {
        self.with(|conn| {
            let get = |key: &str| -> Result<Option<String>, StoreError> {
                Ok(conn
                    .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
                    .query_row([key], |r| r.get(0))
                    .optional()?)
            };
            let limits = match get(LIMITS_KEY)? {
                Some(t) => from_json("server limits", &t)?,
                None => Limits::default(),
            };
            let caps = match get(CAPS_KEY)? {
                Some(t) => from_json("server caps", &t)?,
                None => ServerCaps::default(),
            };
            Ok((limits, caps))
        })
    }

    fn set_server_limits(&self, defaults: &Limits, caps: &ServerCaps) -> Result<(), StoreError> {
        let (limits, caps) = (to_json(defaults)?, to_json(caps)?);
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?;
            stmt.execute(params![LIMITS_KEY, limits])?;
            stmt.execute(params![CAPS_KEY, caps])?;
            Ok(())
        })
    }

    fn user_limits(&self, user: &UserId) -> Result<Limits, StoreError> {
        self.with(|conn| {
            let text: Option<String> = conn
                .prepare_cached("SELECT limits FROM user_limits WHERE user_id = ?1")?
                .query_row([user.as_str()], |r| r.get(0))
                .optional()?;
            match text {
                Some(t) => from_json("user limits", &t),
                None => Ok(Limits::default()),
            }
        })
    }

    fn set_user_limits(&self, user: &UserId, limits: &Limits) -> Result<(), StoreError> {
        let text = to_json(limits)?;
        self.with(|conn| {
            let known: Option<i64> = conn
                .prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
                .query_row([user.as_str()], |r| r.get(0))
                .optional()?;
            if known.is_none() {
                return Err(StoreError::NotFound {
                    what: "user",
                    id: user.to_string(),
                });
            }
            conn.prepare_cached(
                "INSERT INTO user_limits (user_id, limits) VALUES (?1, ?2)
                 ON CONFLICT (user_id) DO UPDATE SET limits = excluded.limits",
            )?
            .execute(params![user.as_str(), text])?;
            Ok(())
        })
    }

    fn add_spend(&self, rows: &[(UserId, i64, Spend)]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        self.with(|conn| {
            let tx = conn.unchecked_transaction()?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO llm_spend (user_id, day, tokens, cost_usd) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (user_id, day) DO UPDATE SET tokens = tokens + excluded.tokens,
                         cost_usd = cost_usd + excluded.cost_usd",
                )?;
                for (user, day, spend) in rows {
                    stmt.execute(params![
                        user.as_str(),
                        day,
                        i64::try_from(spend.tokens).unwrap_or(i64::MAX),
                        spend.cost_usd
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn spend_since(
        &self,
        user: Option<&UserId>,
        from_day: i64,
    ) -> Result<Vec<(i64, Spend)>, StoreError> {
        self.with(|conn| {
            let row = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(i64, Spend)> {
                Ok((
                    r.get(0)?,
                    Spend {
                        tokens: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                        cost_usd: r.get(2)?,
                    },
                ))
            };
            let out = match user {
                Some(u) => conn
                    .prepare_cached(
                        "SELECT day, tokens, cost_usd FROM llm_spend
                         WHERE user_id = ?1 AND day >= ?2 ORDER BY day",
                    )?
                    .query_map(params![u.as_str(), from_day], row)?
                    .collect::<Result<Vec<_>, _>>()?,
                None => conn
                    .prepare_cached(
                        "SELECT day, SUM(tokens), SUM(cost_usd) FROM llm_spend
                         WHERE day >= ?1 GROUP BY day ORDER BY day",
                    )?
                    .query_map(params![from_day], row)?
                    .collect::<Result<Vec<_>, _>>()?,
            };
            Ok(out)
        })
    }

    fn audit(&self, entry: &AuditEntry) -> Result<i64, StoreError> {
        let detail = to_json(&entry.detail)?;
        self.with(|conn| {
            conn.prepare_cached(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                crate::now_ms(),
                entry.actor,
                entry.action,
                entry.target,
                detail
            ])?;
            Ok(conn.last_insert_rowid())
        })
    }

    fn audit_list(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let limit = query.limit.clamp(1, MAX_AUDIT_PAGE) as i64;
        let prefix = query
            .action_prefix
            .as_deref()
            .map(|p| format!("{}%", p.replace(['%', '_'], "")));
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, at, actor, action, target, detail FROM audit
                 WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR actor = ?2)
                   AND (?3 IS NULL OR action LIKE ?3)
                 ORDER BY id DESC LIMIT ?4",
            )?;
            let rows = stmt.query_map(params![query.before, query.actor, prefix, limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, at, actor, action, target, detail) = row?;
                out.push(AuditRecord {
                    id,
                    at,
                    actor,
                    action,
                    target,
                    detail: from_json("audit detail", &detail)?,
                });
            }
            Ok(out)
        })
    }
}

/// Schema step 2 of the directory: settings, user overrides, spending, audit log.
pub(crate) fn migration(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "CREATE TABLE settings (
             key TEXT PRIMARY KEY,
             value TEXT NOT NULL
         );
         CREATE TABLE user_limits (
             user_id TEXT PRIMARY KEY REFERENCES users(id),
             limits TEXT NOT NULL
         );
         CREATE TABLE llm_spend (
             user_id TEXT NOT NULL,
             day INTEGER NOT NULL,
             tokens INTEGER NOT NULL,
             cost_usd REAL NOT NULL,
             PRIMARY KEY (user_id, day)
         );
         CREATE INDEX llm_spend_by_day ON llm_spend(day);
         CREATE TABLE audit (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             at INTEGER NOT NULL,
             actor TEXT NOT NULL,
             action TEXT NOT NULL,
             target TEXT NOT NULL,
             detail TEXT NOT NULL
         );",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserDirectory;
    use arranger_domain::{Permissions, Quotas};

    fn dir() -> (tempfile::TempDir, SqliteDirectory) {
        let t = tempfile::tempdir().unwrap();
        let d = SqliteDirectory::open(&t.path().join("arranger.db")).unwrap();
        (t, d)
    }

    #[test]
    fn limits_round_trip_and_unknown_users_are_refused() {
        let (_t, d) = dir();
        assert_eq!(d.server_limits().unwrap(), Default::default());
        let defaults = Limits {
            quotas: Quotas {
                storage_bytes: Some(1 << 20),
                ..Quotas::default()
            },
            permissions: Permissions::default(),
        };
        let caps = ServerCaps {
            cost_per_day_usd: Some(10.0),
            ..ServerCaps::default()
        };
        d.set_server_limits(&defaults, &caps).unwrap();
        assert_eq!(d.server_limits().unwrap(), (defaults.clone(), caps));
        let ada = d.add_user("ada", false, None).unwrap();
        assert_eq!(d.user_limits(&ada.id).unwrap(), Limits::default());
        let over = Limits {
            permissions: Permissions {
                terminals: Some(false),
                ..Permissions::default()
            },
            ..Limits::default()
        };
        d.set_user_limits(&ada.id, &over).unwrap();
        assert_eq!(d.user_limits(&ada.id).unwrap(), over);
        let err = d
            .set_user_limits(&UserId::new("nobody".to_owned()), &over)
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }));
    }

    #[test]
    fn spending_adds_up_per_user_and_for_everyone() {
        let (_t, d) = dir();
        let (a, b) = (UserId::new("a".to_owned()), UserId::new("b".to_owned()));
        let s = |tokens, cost_usd| Spend { tokens, cost_usd };
        d.add_spend(&[(a.clone(), 10, s(100, 0.5)), (b.clone(), 10, s(1, 0.25))])
            .unwrap();
        d.add_spend(&[(a.clone(), 10, s(50, 0.5)), (a.clone(), 11, s(7, 0.0))])
            .unwrap();
        assert_eq!(
            d.spend_since(Some(&a), 10).unwrap(),
            vec![(10, s(150, 1.0)), (11, s(7, 0.0))]
        );
        assert_eq!(d.spend_since(Some(&a), 11).unwrap(), vec![(11, s(7, 0.0))]);
        assert_eq!(
            d.spend_since(None, 0).unwrap(),
            vec![(10, s(151, 1.25)), (11, s(7, 0.0))]
        );
    }

    #[test]
    fn audit_reads_newest_first_with_filters_and_paging() {
        let (_t, d) = dir();
        for i in 0..5 {
            d.audit(
                &AuditEntry::new(
                    "root",
                    if i % 2 == 0 {
                        "user.create"
                    } else {
                        "quota.set"
                    },
                    format!("u{i}"),
                )
                .with_detail(serde_json::json!({"i": i})),
            )
            .unwrap();
        }
        let all = d
            .audit_list(&AuditQuery {
                limit: 10,
                ..AuditQuery::default()
            })
            .unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(all[0].target, "u4");
        assert_eq!(all[0].detail["i"], 4);
        let users = d
            .audit_list(&AuditQuery {
                action_prefix: Some("user.".into()),
                limit: 10,
                ..AuditQuery::default()
            })
            .unwrap();
        assert_eq!(
            users.iter().map(|r| r.target.as_str()).collect::<Vec<_>>(),
            ["u4", "u2", "u0"]
        );
        let page = d
            .audit_list(&AuditQuery {
                before: Some(all[1].id),
                limit: 2,
                ..AuditQuery::default()
            })
            .unwrap();
        assert_eq!(
            page.iter().map(|r| r.target.as_str()).collect::<Vec<_>>(),
            ["u2", "u1"]
        );
        let none = d
            .audit_list(&AuditQuery {
                actor: Some("someone".into()),
                limit: 10,
                ..AuditQuery::default()
            })
            .unwrap();
        assert!(none.is_empty());
    }
}
