use arranger_domain::InvalidTransition;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named thing does not exist (for this user).
    #[error("{what} {id:?} not found")]
    NotFound {
        /// What was looked for ("session", "task", …).
        what: &'static str,
        /// The id the caller gave.
        id: String,
    },
    /// The request is not acceptable; the message says why and what to do.
    #[error("{0}")]
    Invalid(String),
    /// The change conflicts with the current state (a duplicate name, an archived session).
    #[error("{0}")]
    Conflict(String),
    /// A task state change the state machine forbids.
    #[error(transparent)]
    Transition(#[from] InvalidTransition),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database holds something this version cannot read.
    #[error("corrupt record in the database: {0}")]
    Corrupt(String),
    /// A file-system error around the database (creating its directory).
    #[error("storage I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The blocking task running the operation died.
    #[error("storage worker failed: {0}")]
    Worker(String),
}

impl StoreError {
    pub(crate) fn corrupt(e: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
