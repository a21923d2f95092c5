//! Operations on an Arranger data directory.
//!
//! * [`backup`] — a copy of a data directory taken **while the server runs**: every SQLite
//!   file (`arranger.db`, each `users/<id>/state.db`) as a consistent snapshot made with
//!   SQLite's online backup API, the workspaces file by file (symbolic links kept as links,
//!   never followed; modes kept), the other top-level files (`secret.key`, `config.toml`,
//!   `token`), and a `manifest.json` with each database's schema version and SHA-256 and a
//!   digest of every tree.
//! * [`restore`] — checks a backup against its manifest, then copies it into a data
//!   directory that no server uses (it takes the same lock, [`arranger_store::DataDirLock`])
//!   and that is empty (or `force`), and checks the copy again.
//! * [`export_user`] / [`import_user`] — one user's `state.db` and workspace as a `.tar.gz`
//!   that another server can import under a new name. Secrets (MCP secrets and model API
//!   keys) are sealed with the server's key and cannot move: they are left out, by name.
//!
//! **Invariants.** Each database in a backup is consistent on its own (one read
//! transaction); the files of a workspace are each copied as they were when read, not as
//! one point in time. An archive being imported is never trusted: only relative paths of
//! plain components under `workspace/` (plus `state.db` and `manifest.json`) are accepted,
//! only files, directories and symbolic links that resolve inside the workspace, nothing
//! is written through a link, and the result must match the manifest's checksums before
//! the user is created. Neither backups nor exports ever follow a symbolic link.

#![warn(missing_docs)]

mod backup;
mod export;
mod snapshot;
mod tree;

pub use backup::{
    BACKUP_FORMAT, Entry, EntryKind, MANIFEST_FILE, Manifest, ManifestUser, backup, restore,
    verify_backup,
};
pub use export::{
    DbSummary, EXPORT_FORMAT, ExportManifest, ExportReport, ImportReport, WorkspaceSummary,
    export_user, import_user,
};
pub use snapshot::{integrity_check, snapshot_db};

use std::path::{Path, PathBuf};

/// Why an operation on a data directory failed. Every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// A file-system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite failed on a database file.
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// The store refused (a user name, a database newer than this build, …).
    #[error(transparent)]
    Store(#[from] arranger_store::StoreError),
    /// Another process owns the data directory.
    #[error(transparent)]
    Lock(#[from] arranger_store::LockError),
    /// The backup's destination exists and is not an empty directory.
    #[error(
        "refusing to write a backup into {0}: it exists and is not an empty directory; give a new or empty directory"
    )]
    OutputNotEmpty(PathBuf),
    /// The export's destination file exists.
    #[error("refusing to overwrite {0}: give a file name that does not exist yet")]
    OutputExists(PathBuf),
    /// The source is not an Arranger data directory.
    #[error(
        "{0} is not an arranger data directory (no arranger.db and no users/); check --data-dir"
    )]
    NotADataDir(PathBuf),
    /// The restore target holds data.
    #[error(
        "the data directory {0} is not empty; restore into an empty (or new) directory, or pass --force to replace its contents"
    )]
    TargetNotEmpty(PathBuf),
    /// A manifest is missing, unreadable or of an unknown format.
    #[error("manifest {path}: {reason}")]
    Manifest {
        /// The manifest (or the backup or archive holding it).
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The data does not match its manifest's checksums.
    #[error(
        "{path} does not match its manifest ({detail}); it is damaged or was changed — do not use it"
    )]
    Mismatch {
        /// The backup or archive.
        path: PathBuf,
        /// The first differences.
        detail: String,
    },
    /// A database fails SQLite's integrity check.
    #[error("database {path} fails the integrity check: {detail}")]
    Integrity {
        /// The database file.
        path: PathBuf,
        /// What `PRAGMA integrity_check` said.
        detail: String,
    },
    /// An archive holds something that must not be unpacked.
    #[error("refusing the archive {path}: {reason}")]
    UnsafeArchive {
        /// The archive.
        path: PathBuf,
        /// The offending entry and why.
        reason: String,
    },
    /// No user has this name.
    #[error("no user named {0:?}; `arranger user list` shows them")]
    NoSuchUser(String),
    /// A user with this name exists already.
    #[error("a user named {0:?} already exists; import under another --name")]
    UserExists(String),
    /// The data directory has no user directory (a single-user data directory).
    #[error(
        "{0} has no user directory (arranger.db): user export and import are for multi-user data directories"
    )]
    NoDirectory(PathBuf),
}

impl OpsError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OpsError + '_ {
        move |source| OpsError::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn sqlite(path: &Path) -> impl FnOnce(rusqlite::Error) -> OpsError + '_ {
        move |source| OpsError::Sqlite {
            path: path.to_owned(),
            source,
        }
    }
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    arranger_store::now_ms()
}
