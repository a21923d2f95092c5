//! Consistent copies of live SQLite databases, and facts about database files.

use crate::OpsError;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a snapshot waits for a writer's lock before giving up.
const BUSY_FOR: Duration = Duration::from_secs(30);

/// What a database file is: its schema version, checksum and size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DbFacts {
    pub schema_version: u32,
    pub sha256: String,
    pub bytes: u64,
}

/// Copies the database at `src` into a new file `dst` as one consistent snapshot, with
/// SQLite's online backup API in a single step (one read transaction on `src`: writers of
/// a WAL database go on meanwhile, and every commit is either wholly in the copy or not at
/// all). `src` is opened read-only and never changed. The copy is a self-contained file
/// (rollback journal, no `-wal`) that passes `PRAGMA integrity_check`.
pub fn snapshot_db(src: &Path, dst: &Path) -> Result<(), OpsError> {
    if dst.exists() {
        return Err(OpsError::OutputExists(dst.to_owned()));
    }
    let from = Connection::open_with_flags(
        src,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(OpsError::sqlite(src))?;
    from.busy_timeout(BUSY_FOR).map_err(OpsError::sqlite(src))?;
    let mut to = Connection::open(dst).map_err(OpsError::sqlite(dst))?;
    {
        let backup = Backup::new(&from, &mut to).map_err(OpsError::sqlite(dst))?;
        let deadline = Instant::now() + BUSY_FOR;
        loop {
            match backup.step(-1).map_err(OpsError::sqlite(src))? {
                StepResult::Done => break,
                StepResult::More => {}
                StepResult::Busy | StepResult::Locked => {
                    if Instant::now() > deadline {
                        return Err(OpsError::Sqlite {
                            path: src.to_owned(),
                            source: rusqlite::Error::SqliteFailure(
                                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                                Some("the database stayed locked for 30 s".into()),
                            ),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
    drop(from);
    // One file on its own: the server turns WAL on again when it opens it.
    to.pragma_update(None, "journal_mode", "DELETE")
        .map_err(OpsError::sqlite(dst))?;
    to.close().map_err(|(_, e)| OpsError::Sqlite {
        path: dst.to_owned(),
        source: e,
    })?;
    integrity_check(dst)
}

/// Runs `PRAGMA integrity_check` on the database file at `path` (read-only).
pub fn integrity_check(path: &Path) -> Result<(), OpsError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(OpsError::sqlite(path))?;
    let mut stmt = conn
        .prepare("PRAGMA integrity_check")
        .map_err(OpsError::sqlite(path))?;
    let lines = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(OpsError::sqlite(path))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(OpsError::sqlite(path))?;
    if lines.len() == 1 && lines[0] == "ok" {
        Ok(())
    } else {
        Err(OpsError::Integrity {
            path: path.to_owned(),
            detail: lines.into_iter().take(5).collect::<Vec<_>>().join("; "),
        })
    }
}

/// The schema version, SHA-256 and size of a database file, read as bytes (the version is
/// `user_version`, a big-endian integer at offset 60 of the header): nothing is opened
/// with SQLite, so nothing can change.
pub(crate) fn db_facts(path: &Path) -> Result<DbFacts, OpsError> {
    let (sha256, bytes, head) = hash_file(path)?;
    if head.len() < 64 || !head.starts_with(b"SQLite format 3\0") {
        return Err(OpsError::Integrity {
            path: path.to_owned(),
            detail: "not an SQLite database".into(),
        });
    }
    let schema_version = u32::from_be_bytes([head[60], head[61], head[62], head[63]]);
    Ok(DbFacts {
        schema_version,
        sha256,
        bytes,
    })
}

/// SHA-256 (hex) and size of a file, and its first 100 bytes.
pub(crate) fn hash_file(path: &Path) -> Result<(String, u64, Vec<u8>), OpsError> {
    let mut f = std::fs::File::open(path).map_err(OpsError::io(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut head = Vec::new();
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(OpsError::io(path))?;
        if n == 0 {
            break;
        }
        if head.len() < 100 {
            let take = (100 - head.len()).min(n);
            head.extend_from_slice(&buf[..take]);
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), bytes, head))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_of_a_wal_database_is_one_consistent_file() {
        let t = tempfile::tempdir().unwrap();
        let src = t.path().join("live.db");
        let live = Connection::open(&src).unwrap();
        live.pragma_update(None, "journal_mode", "WAL").unwrap();
        live.pragma_update(None, "user_version", 7).unwrap();
        live.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2);")
            .unwrap();
        // The commits are still in the WAL only (the writer is open, nothing checkpointed).
        assert!(
            std::fs::metadata(t.path().join("live.db-wal"))
                .unwrap()
                .len()
                > 0
        );
        let dst = t.path().join("copy.db");
        snapshot_db(&src, &dst).unwrap();
        assert!(!t.path().join("copy.db-wal").exists());
        let facts = db_facts(&dst).unwrap();
        assert_eq!(facts.schema_version, 7);
        assert_eq!(facts.bytes, std::fs::metadata(&dst).unwrap().len());
        let copy = Connection::open(&dst).unwrap();
        let n: i64 = copy
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
        // A second snapshot onto the same file is refused, not merged.
        assert!(matches!(
            snapshot_db(&src, &dst),
            Err(OpsError::OutputExists(_))
        ));
        std::fs::write(t.path().join("junk.db"), b"not a database at all").unwrap();
        assert!(db_facts(&t.path().join("junk.db")).is_err());
    }
}
