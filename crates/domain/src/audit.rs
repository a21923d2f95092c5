//! The audit log's record (BRIEF A7): who did what to whom, and when.

use crate::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One entry of the server's audit log: an admin action, or a High-risk decision on a
/// user's tool call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuditRecord {
    /// Position in the log (increasing).
    pub id: i64,
    /// When (ms since the epoch).
    pub at: Timestamp,
    /// Who acted: a user name, or `cli` for the `arranger` command on the server's machine.
    pub actor: String,
    /// What was done, dotted (`user.create`, `quota.set`, `toolrun.high_risk`, …).
    pub action: String,
    /// Whom or what it was done to (a user name, a token id, `server`), or empty.
    pub target: String,
    /// Details: the changed fields; a High-risk call's tool, arguments, decision and
    /// reason. Never a password, a token or a stored secret.
    pub detail: serde_json::Value,
}

/// A new entry for the audit log (its id and time are given when it is written).
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    /// Who acted.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// To whom or what.
    pub target: String,
    /// Details.
    pub detail: serde_json::Value,
}

impl AuditEntry {
    /// An entry with no details.
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        target: impl Into<String>,
    ) -> Self {
        AuditEntry {
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            detail: serde_json::Value::Null,
        }
    }

    /// Sets the details.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}
