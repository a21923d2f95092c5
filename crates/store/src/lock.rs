//! The data directory's lock: one process at a time may own a data directory.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "server.lock";

/// Why the data directory could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process (a running server, a restore) holds the lock.
    #[error(
        "the data directory {dir} is in use by another arranger process (a running server or a restore holds {LOCK_FILE}); stop it first, or use another --data-dir"
    )]
    Held {
        /// The data directory.
        dir: PathBuf,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock the data directory {dir}: {source}")]
    Io {
        /// The data directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// An exclusive advisory lock (`flock(LOCK_EX | LOCK_NB)`) on `<data-dir>/server.lock`,
/// held until dropped. The server holds it for its lifetime and a restore while it writes,
/// so neither two servers nor a server and a restore can share a data directory. The lock
/// belongs to the open file, so it ends with the process however that ends (even
/// `kill -9`); the file itself stays and means nothing on its own.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    dir: PathBuf,
}

impl DataDirLock {
    /// Takes the lock of `dir` (which must exist) without waiting.
    pub fn acquire(dir: &Path) -> Result<DataDirLock, LockError> {
        let io = |source| LockError::Io {
            dir: dir.to_owned(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(LOCK_FILE))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(DataDirLock {
                _file: file,
                dir: dir.to_owned(),
            }),
            Err(TryLockError::WouldBlock) => Err(LockError::Held {
                dir: dir.to_owned(),
            }),
            Err(TryLockError::Error(e)) => Err(io(e)),
        }
    }

    /// The locked directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let t = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(t.path()).unwrap();
        let e = DataDirLock::acquire(t.path()).unwrap_err();
        assert!(matches!(e, LockError::Held { .. }), "{e}");
        assert!(e.to_string().contains("in use"), "{e}");
        drop(first);
        assert!(DataDirLock::acquire(t.path()).is_ok());
    }
}
