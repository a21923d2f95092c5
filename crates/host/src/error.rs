use crate::fs::FsError;
use arranger_store::StoreError;

/// Why a host call failed.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The call ran outside any user's context: a server bug, refused loudly.
    #[error("host call without a user context")]
    NoUserContext,
    /// The call carried another user's context: a server bug, refused loudly.
    #[error("host call for the wrong user")]
    WrongUser,
    /// A workspace file operation failed.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// Not found.
    #[error("{0}")]
    NotFound(String),
    /// The operation is not available on this server (for example commands without a
    /// sandbox in multi-user mode).
    #[error("{0}")]
    Unavailable(String),
    /// Something failed inside the server.
    #[error("{0}")]
    Internal(String),
    /// A quota of the user is reached (storage, terminals).
    #[error(transparent)]
    Quota(#[from] arranger_domain::QuotaExceeded),
    /// The user may not use this at all (an admin denied it); the message says what.
    #[error("{0}")]
    Forbidden(String),
}
