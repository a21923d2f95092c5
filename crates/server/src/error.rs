use std::net::SocketAddr;

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listen address is taken or not allowed.
    #[error(
        "cannot listen on {addr}: {source} (is another arranger running? pick another --listen)"
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The data directory cannot be prepared.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Another process owns the data directory.
    #[error(transparent)]
    Locked(#[from] arranger_store::LockError),
    /// The user directory or a store failed.
    #[error(transparent)]
    Store(#[from] arranger_store::StoreError),
    /// A user's team could not start.
    #[error("team: {0}")]
    Team(String),
    /// The LLM configuration is not usable.
    #[error("LLM configuration: {0}")]
    Llm(String),
    /// The file watcher could not start.
    #[error("file watcher: {0}")]
    Watch(String),
    /// Another I/O failure.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
