//! Arranger's StateStore: the single source of truth.
//!
//! * [`UserStore`] — one user's `state.db` (SQLite, WAL): sessions, Blackboard messages,
//!   tasks and their transitions, key-value state, user-defined commands and the event
//!   log. Every change is committed together with its typed event, which carries a
//!   per-user gap-free sequence number, and only then published on the user's
//!   [`EventBus`].
//! * Secrets and MCP server definitions of a user (values sealed with [`SecretBox`];
//!   only names are ever listed or recorded in events).
//! * [`UserDirectory`] — who the users are and which tokens let them in
//!   ([`SqliteDirectory`] keeps it in `<data-dir>/arranger.db`).
//! * [`DataDirLock`] — the exclusive lock a server (or a restore) holds on its data
//!   directory, so two processes never own one at once.
//!
//! **Architecture invariants.** A `UserStore` only ever opens its own user's file, and
//! holds its SQLite handle only while it is in use: idle handles are closed by
//! [`UserStore::close_if_idle`], so ten thousand users do not mean ten thousand open
//! handles. All SQLite work runs on tokio's blocking pool, never on a runtime thread.

mod bus;
mod config_store;
mod db;
mod directory;
mod error;
mod governance;
mod lock;
mod mcp_store;
mod policy_store;
mod secrets;
mod team_store;
mod user_store;

pub use bus::{EventBus, LocalBus};
pub use config_store::{ConfigUpdate, ProviderInput};
pub use directory::{
    Principal, SqliteDirectory, TokenInfo, TokenKind, User, UserDirectory,
    directory_schema_version, new_token, validate_user_name,
};
pub use error::StoreError;
pub use governance::{AuditQuery, Governance, MAX_AUDIT_PAGE};
pub use lock::{DataDirLock, LOCK_FILE, LockError};
pub use mcp_store::{MAX_MCP_SERVERS, MAX_SECRETS};
pub use policy_store::{Decided, MAX_RULES};
pub use secrets::SecretBox;
pub use team_store::{
    AgentPatch, MAX_CONTEXT_REFS, MAX_FULL_OUTPUT_BYTES, MAX_TOOL_OUTPUT_BYTES, StepOwner,
    ToolRunStart, cap_output,
};
pub use user_store::{
    NewTask, PostOutcome, UserStore, open_handles, set_open_handle_limit, upgrade_user_db,
    user_schema_version,
};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A fresh, time-ordered identifier (UUID v7, 32 hex digits).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}
