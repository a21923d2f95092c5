//! Arranger's per-user host API (BRIEF A3–A5): what VS Code gives an extension, scoped
//! to one user.
//!
//! * [`fs::Workspace`] — the workspace file system, jailed beneath a directory handle.
//! * [`watch::WatchHub`] — one file watcher for the process, routing changes to users.
//! * [`with_user`] / [`current_user`] — the implicit user context.
//! * [`sandbox`] — the confinement of every process started for a user.
//! * [`terminal`] — a user's interactive shells on real pseudo-terminals.
//! * [`UserHost`] — one user's host API: files, state, commands; every call checked
//!   against the current user.
//!
//! **Architecture invariant:** this is the only crate that touches a user's files.

mod cgroup;
mod context;
mod error;
pub mod exec;
pub mod fs;
mod host;
pub mod limits;
pub mod sandbox;
mod search;
pub mod terminal;
pub mod watch;

pub use context::{current_user, with_user};
pub use error::HostError;
pub use fs::{FsError, Workspace, WriteOptions};
pub use host::{BUILTINS, Builtin, MAX_READ_BYTES, UserHost};
pub use limits::{StorageMeter, UserLimits};
pub use search::{SearchHit, SearchResult};
pub use watch::{WatchError, WatchGuard, WatchHub};
