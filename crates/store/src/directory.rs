//! The user directory: users, password hashes and API tokens.

use crate::db::{self, Migration};
use crate::{StoreError, new_id, now_ms};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use arranger_domain::UserId;
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    /// Immutable id; names the user's directory `users/<id>/`.
    pub id: UserId,
    /// Login name.
    pub name: String,
    /// Admins manage users and tokens.
    pub is_admin: bool,
    /// Disabled users are refused everywhere, at once.
    pub disabled: bool,
    /// Creation time (ms).
    pub created_at: i64,
}

/// What a valid token proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user: User,
    /// The token's id (for revocation checks on open connections).
    pub token_id: String,
}

/// Where a token came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Created by `arranger token create`; no expiry.
    Api,
    /// Issued by `POST /api/v1/login`; expires.
    Login,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Api => "api",
            TokenKind::Login => "login",
        }
    }
}

/// A token's record (never the token itself, which is stored only as a hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Short id, safe to show and to pass to `token revoke`.
    pub id: String,
    /// The owner's name.
    pub user: String,
    /// API or login token.
    pub kind: TokenKind,
    /// Free-form label.
    pub label: String,
    /// Creation time (ms).
    pub created_at: i64,
    /// Expiry (ms), for login tokens.
    pub expires_at: Option<i64>,
    /// Revocation time (ms), if revoked.
    pub revoked_at: Option<i64>,
}

/// Who may log in. Implementations block (they hash passwords and touch a database):
/// call them from a blocking thread. The embedded implementation is [`SqliteDirectory`];
/// a PostgreSQL one can take its place for several nodes.
pub trait UserDirectory: crate::Governance + Send + Sync + 'static {
    /// Creates a user. `password` may be `None` for token-only users.
    fn add_user(
        &self,
        name: &str,
        is_admin: bool,
        password: Option<&str>,
    ) -> Result<User, StoreError>;
    /// A user by name.
    fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError>;
    /// Every user, by name.
    fn list_users(&self) -> Result<Vec<User>, StoreError>;
    /// Disables or re-enables a user. Their tokens stop working while disabled. Refuses
    /// (`Conflict`) to disable the last enabled admin, so the server always keeps one.
    fn set_disabled(&self, name: &str, disabled: bool) -> Result<User, StoreError>;
    /// Makes a user an admin or a member. Refuses (`Conflict`) to demote the last enabled
    /// admin, so the server always keeps one.
    fn set_admin(&self, name: &str, is_admin: bool) -> Result<User, StoreError>;
    /// Replaces a user's password and revokes their login tokens (browsers signed in with
    /// the old password); API tokens stay valid.
    fn set_password(&self, name: &str, password: &str) -> Result<(), StoreError>;
    /// The enabled user with this name and password, if both match.
    fn verify_password(&self, name: &str, password: &str) -> Result<Option<User>, StoreError>;
    /// Issues a new token for an enabled user; returns its record and the secret, which
    /// is shown once and stored only as a hash.
    fn create_token(
        &self,
        name: &str,
        kind: TokenKind,
        label: &str,
        ttl_ms: Option<i64>,
    ) -> Result<(TokenInfo, String), StoreError>;
    /// A user's tokens.
    fn list_tokens(&self, name: &str) -> Result<Vec<TokenInfo>, StoreError>;
    /// A token's record by its id (revoked and expired ones too), if there is one.
    fn token_info(&self, id: &str) -> Result<Option<TokenInfo>, StoreError>;
    /// Revokes a token given its id or the token itself; returns whether one was revoked.
    fn revoke_token(&self, id_or_token: &str) -> Result<bool, StoreError>;
    /// Who a token belongs to, if it is valid now (not revoked, not expired, user enabled).
    fn authenticate(&self, token: &str) -> Result<Option<Principal>, StoreError>;
    /// The ids of every token that is valid now.
    fn valid_token_ids(&self) -> Result<HashSet<String>, StoreError>;
    /// A number that changes whenever another process or connection commits a change
    /// (SQLite's `data_version`): cheap to poll for revocations made by the CLI.
    fn change_marker(&self) -> Result<u64, StoreError>;
}

/// Checks a user name: 1–64 characters of lowercase ASCII letters, digits, `-`, `_`, `.`,
/// starting with a letter or digit.
pub fn validate_user_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "user name {name:?} is not valid: use 1 to 64 lowercase letters, digits, '-', '_' or '.', starting with a letter or digit"
        )))
    }
}

/// Minimum password length accepted.
const MIN_PASSWORD_CHARS: usize = 8;

/// Token prefix, so that leaked tokens are easy to recognise and grep for.
const TOKEN_PREFIX: &str = "arr_";

/// The embedded user directory in `<data-dir>/arranger.db`. Holds one SQLite handle.
pub struct SqliteDirectory {
    conn: Mutex<Connection>,
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A new random secret of 256 bits, as the API token format.
pub fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_hex(32))
}

fn hash_password(password: &str) -> Result<String, StoreError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StoreError::Invalid(format!(
            "a password must have at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("cannot hash the password: {e}")))
}

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: UserId::new(r.get::<_, String>(0)?),
        name: r.get(1)?,
        is_admin: r.get(2)?,
        disabled: r.get(3)?,
        created_at: r.get(4)?,
    })
}

const USER_COLUMNS: &str = "id, name, is_admin, disabled, created_at";

/// SQL condition: an enabled admin other than the user `?1` exists.
const OTHER_ADMIN: &str =
    "EXISTS (SELECT 1 FROM users o WHERE o.is_admin = 1 AND o.disabled = 0 AND o.id != ?1)";

fn last_admin(name: &str, verb: &str) -> StoreError {
    StoreError::Conflict(format!(
        "cannot {verb} {name:?}: they are the last enabled admin, and the server must keep one; make another user an admin first"
    ))
}

fn token_from_row(r: &Row<'_>) -> rusqlite::Result<TokenInfo> {
    let kind: String = r.get(2)?;
    Ok(TokenInfo {
        id: r.get(0)?,
        user: r.get(1)?,
        kind: if kind == "login" {
            TokenKind::Login
        } else {
            TokenKind::Api
        },
        label: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        revoked_at: r.get(6)?,
    })
}

impl SqliteDirectory {
    /// Opens (creating and migrating if needed) the directory database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = db::open(path, MIGRATIONS)?;
        Ok(SqliteDirectory {
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn with<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::Worker("a previous directory operation panicked".into()))?;
        f(&conn)
    }

    fn require_user(conn: &Connection, name: &str) -> Result<User, StoreError> {
        conn.query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"),
            [name],
            user_from_row,
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound {
            what: "user",
            id: name.to_owned(),
        })
    }

    /// Sets a user's `disabled` or `is_admin` flag unless that would leave no enabled
    /// admin (`harmless`: the new value can never do that). One statement, so two admins
    /// acting on each other at once (or the CLI in another process) cannot both succeed.
    /// Returns the user as it was before.
    fn set_guarded(
        &self,
        name: &str,
        column: &'static str,
        value: bool,
        harmless: bool,
        verb: &str,
    ) -> Result<User, StoreError> {
        self.with(|conn| {
            let user = Self::require_user(conn, name)?;
            let n = conn.execute(
                &format!(
                    "UPDATE users SET {column} = ?2 WHERE id = ?1
                       AND (?3 OR is_admin = 0 OR disabled = 1 OR {OTHER_ADMIN})"
                ),
                params![user.id.as_str(), value, harmless],
            )?;
            if n == 0 {
                return Err(last_admin(name, verb));
            }
            Ok(user)
        })
    }
}

impl UserDirectory for SqliteDirectory {
    fn add_user(
        &self,
        name: &str,
        is_admin: bool,
        password: Option<&str>,
    ) -> Result<User, StoreError> {
        validate_user_name(name)?;
        let hash = password.map(hash_password).transpose()?;
        self.with(|conn| {
            let user = User {
                id: UserId::new(new_id()),
                name: name.to_owned(),
                is_admin,
                disabled: false,
                created_at: now_ms(),
            };
            let r = conn.execute(
                "INSERT INTO users (id, name, password_hash, is_admin, disabled, created_at)
                 VALUES (?1, ?2, ?3, ?4, 0, ?5)",
                params![
                    user.id.as_str(),
                    user.name,
                    hash,
                    user.is_admin,
                    user.created_at
                ],
            );
            match r {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    Err(StoreError::Conflict(format!(
                        "a user named {name:?} already exists"
                    )))
                }
                other => {
                    other?;
                    Ok(user)
                }
            }
        })
    }

    fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.with(|conn| match Self::require_user(conn, name) {
            Ok(u) => Ok(Some(u)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        })
    }

    fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.with(|conn| {
            let mut stmt =
                conn.prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))?;
            let rows = stmt.query_map([], user_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn set_disabled(&self, name: &str, disabled: bool) -> Result<User, StoreError> {
        let mut user = self.set_guarded(name, "disabled", disabled, !disabled, "disable")?;
        user.disabled = disabled;
        Ok(user)
    }

    fn set_admin(&self, name: &str, is_admin: bool) -> Result<User, StoreError> {
        let mut user = self.set_guarded(name, "is_admin", is_admin, is_admin, "demote")?;
        user.is_admin = is_admin;
        Ok(user)
    }

    fn set_password(&self, name: &str, password: &str) -> Result<(), StoreError> {
        let hash = hash_password(password)?;
        self.with(|conn| {
            let user = Self::require_user(conn, name)?;
            let tx = conn.unchecked_transaction()?;
            tx.execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![user.id.as_str(), hash],
            )?;
            // Whoever signed in with the old password is signed out; API tokens stay.
            tx.execute(
                "UPDATE tokens SET revoked_at = ?2
                 WHERE user_id = ?1 AND kind = 'login' AND revoked_at IS NULL",
                params![user.id.as_str(), now_ms()],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn verify_password(&self, name: &str, password: &str) -> Result<Option<User>, StoreError> {
        let found: Option<(User, Option<String>)> = self.with(|conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE name = ?1"),
                    [name],
                    |r| Ok((user_from_row(r)?, r.get::<_, Option<String>>(5)?)),
                )
                .optional()?)
        })?;
        // Hash even when there is no such user, so that timing does not tell names apart.
        let stored = found
            .as_ref()
            .and_then(|(_, h)| h.clone())
            .unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&stored).map_err(StoreError::corrupt)?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(match found {
            Some((user, Some(_))) if ok && !user.disabled => Some(user),
            _ => None,
        })
    }

    fn create_token(
        &self,
        name: &str,
        kind: TokenKind,
        label: &str,
        ttl_ms: Option<i64>,
    ) -> Result<(TokenInfo, String), StoreError> {
        self.with(|conn| {
            let user = Self::require_user(conn, name)?;
            if user.disabled {
                return Err(StoreError::Conflict(format!(
                    "user {name:?} is disabled; enable them before issuing tokens"
                )));
            }
            let secret = new_token();
            let now = now_ms();
            let info = TokenInfo {
                id: random_hex(6),
                user: user.name.clone(),
                kind,
                label: label.to_owned(),
                created_at: now,
                expires_at: ttl_ms.map(|t| now.saturating_add(t)),
                revoked_at: None,
            };
            conn.execute(
                "INSERT INTO tokens (id, user_id, hash, kind, label, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    info.id,
                    user.id.as_str(),
                    hash_token(&secret),
                    kind.as_str(),
                    info.label,
                    info.created_at,
                    info.expires_at
                ],
            )?;
            Ok((info, secret))
        })
    }

    fn list_tokens(&self, name: &str) -> Result<Vec<TokenInfo>, StoreError> {
        self.with(|conn| {
            let user = Self::require_user(conn, name)?;
            let mut stmt = conn.prepare(
                "SELECT t.id, u.name, t.kind, t.label, t.created_at, t.expires_at, t.revoked_at
                 FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = ?1 ORDER BY t.created_at",
            )?;
            let rows = stmt.query_map([user.id.as_str()], token_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn token_info(&self, id: &str) -> Result<Option<TokenInfo>, StoreError> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT t.id, u.name, t.kind, t.label, t.created_at, t.expires_at, t.revoked_at
                     FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?1",
                    [id],
                    token_from_row,
                )
                .optional()?)
        })
    }

    fn revoke_token(&self, id_or_token: &str) -> Result<bool, StoreError> {
        let hash = hash_token(id_or_token);
        self.with(|conn| {
            let n = conn.execute(
                "UPDATE tokens SET revoked_at = ?3 WHERE (id = ?1 OR hash = ?2) AND revoked_at IS NULL",
                params![id_or_token, hash, now_ms()],
            )?;
            Ok(n > 0)
        })
    }

    fn authenticate(&self, token: &str) -> Result<Option<Principal>, StoreError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
            return Ok(None);
        }
        let hash = hash_token(token);
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT u.id, u.name, u.is_admin, u.disabled, u.created_at, t.id
                     FROM tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.hash = ?1 AND t.revoked_at IS NULL AND u.disabled = 0
                       AND (t.expires_at IS NULL OR t.expires_at > ?2)",
                    params![hash, now_ms()],
                    |r| {
                        Ok(Principal {
                            user: user_from_row(r)?,
                            token_id: r.get(5)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    fn valid_token_ids(&self) -> Result<HashSet<String>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT t.id FROM tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.revoked_at IS NULL AND u.disabled = 0
                   AND (t.expires_at IS NULL OR t.expires_at > ?1)",
            )?;
            let rows = stmt.query_map([now_ms()], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<HashSet<_>, _>>()?)
        })
    }

    fn change_marker(&self) -> Result<u64, StoreError> {
        self.with(|conn| {
            let v: i64 = conn.pragma_query_value(None, "data_version", |r| r.get(0))?;
            Ok(v as u64)
        })
    }
}

/// An argon2id hash of a random string, verified against when a user does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$SUW2fGNgzfTCfdsgr8ZKL6ZB2ZkIVZpWZGnz1+8eDgE";

const MIGRATIONS: &[Migration] = &[v1, crate::governance::migration];

/// The schema version (`PRAGMA user_version`) of `arranger.db` written by this build.
pub fn directory_schema_version() -> u32 {
    MIGRATIONS.len() as u32
}

fn v1(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "CREATE TABLE users (
             id TEXT PRIMARY KEY,
             name TEXT NOT NULL UNIQUE,
             password_hash TEXT,
             is_admin INTEGER NOT NULL DEFAULT 0,
             disabled INTEGER NOT NULL DEFAULT 0,
             created_at INTEGER NOT NULL
         );
         CREATE TABLE tokens (
             id TEXT PRIMARY KEY,
             user_id TEXT NOT NULL REFERENCES users(id),
             hash TEXT NOT NULL UNIQUE,
             kind TEXT NOT NULL,
             label TEXT NOT NULL DEFAULT '',
             created_at INTEGER NOT NULL,
             expires_at INTEGER,
             revoked_at INTEGER
         );
         CREATE INDEX tokens_by_user ON tokens(user_id);",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> (tempfile::TempDir, SqliteDirectory) {
        let t = tempfile::tempdir().unwrap();
        let d = SqliteDirectory::open(&t.path().join("arranger.db")).unwrap();
        (t, d)
    }

    #[test]
    fn a_new_password_signs_out_logins_but_keeps_api_tokens() {
        let (_t, d) = dir();
        d.add_user("ada", false, Some("first-password")).unwrap();
        let (_, login) = d
            .create_token("ada", TokenKind::Login, "login", Some(60_000))
            .unwrap();
        let (_, api) = d.create_token("ada", TokenKind::Api, "ci", None).unwrap();
        d.set_password("ada", "second-password").unwrap();
        assert!(
            d.authenticate(&login).unwrap().is_none(),
            "login token survived"
        );
        assert!(
            d.authenticate(&api).unwrap().is_some(),
            "API token was revoked"
        );
        assert!(
            d.verify_password("ada", "first-password")
                .unwrap()
                .is_none()
        );
        assert!(
            d.verify_password("ada", "second-password")
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn users_passwords_and_tokens() {
        let (_t, d) = dir();
        let alice = d.add_user("alice", true, Some("correct horse")).unwrap();
        assert!(matches!(
            d.add_user("alice", false, None),
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            d.add_user("Bob!", false, None),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            d.add_user("bob", false, Some("short")),
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(
            d.verify_password("alice", "correct horse").unwrap(),
            Some(alice.clone())
        );
        assert_eq!(d.verify_password("alice", "wrong horse!").unwrap(), None);
        assert_eq!(d.verify_password("nobody", "correct horse").unwrap(), None);

        let (info, secret) = d
            .create_token("alice", TokenKind::Api, "laptop", None)
            .unwrap();
        assert!(secret.starts_with("arr_") && secret.len() == 4 + 64);
        let p = d.authenticate(&secret).unwrap().unwrap();
        assert_eq!(p.user.id, alice.id);
        assert_eq!(p.token_id, info.id);
        assert!(d.valid_token_ids().unwrap().contains(&info.id));
        assert_eq!(d.authenticate("arr_00").unwrap(), None);

        // Disabling refuses the token and the password; enabling restores them. (Another
        // admin first: the last one cannot be disabled.)
        d.add_user("root", true, None).unwrap();
        d.set_disabled("alice", true).unwrap();
        assert_eq!(d.authenticate(&secret).unwrap(), None);
        assert_eq!(d.verify_password("alice", "correct horse").unwrap(), None);
        assert!(!d.valid_token_ids().unwrap().contains(&info.id));
        d.set_disabled("alice", false).unwrap();
        assert!(d.authenticate(&secret).unwrap().is_some());

        // Revoking by id or by the token itself.
        assert!(d.revoke_token(&info.id).unwrap());
        assert!(!d.revoke_token(&info.id).unwrap());
        assert_eq!(d.authenticate(&secret).unwrap(), None);
        let (_, s2) = d
            .create_token("alice", TokenKind::Login, "", Some(60_000))
            .unwrap();
        assert!(d.revoke_token(&s2).unwrap());
        assert_eq!(d.authenticate(&s2).unwrap(), None);

        // Expired tokens are refused.
        let (_, s3) = d
            .create_token("alice", TokenKind::Login, "", Some(-1))
            .unwrap();
        assert_eq!(d.authenticate(&s3).unwrap(), None);
        assert_eq!(d.list_tokens("alice").unwrap().len(), 3);
    }

    #[test]
    fn admins_are_made_and_demoted_but_the_last_one_stays() {
        let (_t, d) = dir();
        d.add_user("alice", true, None).unwrap();
        d.add_user("bob", false, None).unwrap();
        assert!(matches!(
            d.set_admin("nobody", true),
            Err(StoreError::NotFound { .. })
        ));

        // Alice is the only admin: she can be neither demoted nor disabled.
        let e = d.set_admin("alice", false).unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict(m) if m.contains("last enabled admin")),
            "{e}"
        );
        assert!(matches!(
            d.set_disabled("alice", true),
            Err(StoreError::Conflict(_))
        ));
        assert!(d.user_by_name("alice").unwrap().unwrap().is_admin);

        // With bob promoted, alice can go; then bob is the last one.
        let bob = d.set_admin("bob", true).unwrap();
        assert!(bob.is_admin);
        assert!(d.user_by_name("bob").unwrap().unwrap().is_admin);
        assert!(!d.set_admin("alice", false).unwrap().is_admin);
        assert!(!d.user_by_name("alice").unwrap().unwrap().is_admin);
        assert!(matches!(
            d.set_admin("bob", false),
            Err(StoreError::Conflict(_))
        ));

        // A disabled admin does not count: promoting alice again, then disabling bob,
        // leaves alice as the last enabled admin.
        d.set_admin("alice", true).unwrap();
        d.set_disabled("bob", true).unwrap();
        assert!(matches!(
            d.set_disabled("alice", true),
            Err(StoreError::Conflict(_))
        ));
        // Demoting a disabled admin, members and re-enabling are always fine.
        assert!(!d.set_admin("bob", false).unwrap().is_admin);
        assert!(!d.set_disabled("bob", false).unwrap().disabled);
        assert!(d.set_admin("bob", false).is_ok());
    }

    #[test]
    fn token_info_finds_tokens_by_id_only() {
        let (_t, d) = dir();
        d.add_user("alice", false, None).unwrap();
        let (info, secret) = d.create_token("alice", TokenKind::Api, "ci", None).unwrap();
        assert_eq!(d.token_info(&info.id).unwrap(), Some(info.clone()));
        assert_eq!(d.token_info(&secret).unwrap(), None);
        assert_eq!(d.token_info("nope").unwrap(), None);
        d.revoke_token(&info.id).unwrap();
        assert!(
            d.token_info(&info.id)
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
    }

    #[test]
    fn change_marker_sees_other_connections() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("arranger.db");
        let server = SqliteDirectory::open(&path).unwrap();
        let cli = SqliteDirectory::open(&path).unwrap();
        let before = server.change_marker().unwrap();
        cli.add_user("carol", false, None).unwrap();
        assert_ne!(server.change_marker().unwrap(), before);
    }
}
