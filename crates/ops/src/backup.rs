//! Backups of a whole data directory, and restoring them.

use crate::snapshot::{db_facts, hash_file, snapshot_db};
use crate::tree::{DirSink, NoSink, Sink, TreeSummary, WalkOptions, walk};
use crate::{OpsError, now_ms};
use arranger_store::{DataDirLock, LOCK_FILE};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The version of the backup layout and manifest this build writes and reads.
pub const BACKUP_FORMAT: u32 = 1;

/// The manifest's file name at the top of a backup.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Largest manifest read (a backup of 10,000 users has a manifest of a few MiB).
const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;

/// What a backup holds: written last, as `manifest.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// [`BACKUP_FORMAT`].
    pub format: u32,
    /// The version of arranger that made it.
    pub arranger_version: String,
    /// When it was made (ms since the Unix epoch).
    pub created_at: i64,
    /// The data directory it was taken from.
    pub source: String,
    /// The users in the directory snapshot (none for a single-user data directory).
    pub users: Vec<ManifestUser>,
    /// Every database, file, tree and link, by path.
    pub entries: Vec<Entry>,
    /// Regular files in the backup (databases included).
    pub total_files: u64,
    /// Their bytes.
    pub total_bytes: u64,
    /// What was left out: special files, files that vanished while being copied, and the
    /// host's temporary files of atomic writes.
    pub skipped: u64,
}

/// A user as the directory snapshot has them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestUser {
    /// The id (names `users/<id>/`).
    pub id: String,
    /// The login name.
    pub name: String,
    /// Whether an admin.
    pub is_admin: bool,
    /// Whether disabled.
    pub disabled: bool,
}

/// One thing in a backup.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// Its path relative to the top of the backup, `/`-separated.
    pub path: String,
    /// What it is.
    #[serde(flatten)]
    pub kind: EntryKind,
}

/// What an [`Entry`] is, with what identifies its content.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryKind {
    /// An SQLite database snapshot.
    Database {
        /// Its `user_version`.
        schema_version: u32,
        /// SHA-256 of the file.
        sha256: String,
        /// Its size.
        bytes: u64,
    },
    /// A regular file (`secret.key`, `config.toml`, …).
    File {
        /// SHA-256 of the content.
        sha256: String,
        /// Its size.
        bytes: u64,
        /// Permission bits.
        mode: u32,
    },
    /// A directory tree (a workspace).
    Tree {
        /// Regular files.
        files: u64,
        /// Directories beneath it.
        dirs: u64,
        /// Symbolic links (kept as links).
        symlinks: u64,
        /// Bytes of its files.
        bytes: u64,
        /// SHA-256 over every entry's path, kind, mode and content.
        digest: String,
    },
    /// A symbolic link (kept, never followed).
    Symlink {
        /// What it points to.
        target: String,
    },
}

/// How a path of a data directory is handled.
enum Item {
    Database(PathBuf),
    File(PathBuf),
    Tree(PathBuf, WalkOptions),
    Symlink(PathBuf),
}

fn is_sqlite_side_file(name: &str, db: &str) -> bool {
    name.strip_prefix(db)
        .is_some_and(|rest| matches!(rest, "-wal" | "-shm" | "-journal"))
}

/// What to copy from a data directory (or a backup: same layout). Leaves out the lock,
/// SQLite's side files (the snapshots hold their content), users' `tmp/` and
/// half-imported users (`users/.…`).
fn plan(root: &Path) -> Result<Vec<Item>, OpsError> {
    let mut items = Vec::new();
    for (name, ft) in list(root)? {
        let rel = PathBuf::from(&name);
        if name == LOCK_FILE || name == MANIFEST_FILE || is_sqlite_side_file(&name, "arranger.db") {
            continue;
        }
        if ft.is_symlink() {
            items.push(Item::Symlink(rel));
        } else if name == "arranger.db" && ft.is_file() {
            items.push(Item::Database(rel));
        } else if name == "users" && ft.is_dir() {
            for (id, ft) in list(&root.join("users"))? {
                let rel = Path::new("users").join(&id);
                if id.starts_with('.') {
                    continue;
                }
                if ft.is_symlink() {
                    items.push(Item::Symlink(rel));
                } else if ft.is_file() {
                    items.push(Item::File(rel));
                } else if ft.is_dir() {
                    for (n, ft) in list(&root.join(&rel))? {
                        let p = rel.join(&n);
                        if n == "tmp" || is_sqlite_side_file(&n, "state.db") {
                            continue;
                        }
                        if ft.is_symlink() {
                            items.push(Item::Symlink(p));
                        } else if n == "state.db" && ft.is_file() {
                            items.push(Item::Database(p));
                        } else if ft.is_file() {
                            items.push(Item::File(p));
                        } else if ft.is_dir() {
                            let opts = WalkOptions {
                                skip_host_temp: n == "workspace",
                                ..WalkOptions::default()
                            };
                            items.push(Item::Tree(p, opts));
                        }
                    }
                }
            }
        } else if ft.is_file() {
            items.push(Item::File(rel));
        } else if ft.is_dir() {
            items.push(Item::Tree(rel, WalkOptions::default()));
        }
    }
    Ok(items)
}

/// The entries of a directory with UTF-8 names, sorted; others are not Arranger's.
fn list(dir: &Path) -> Result<Vec<(String, std::fs::FileType)>, OpsError> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(OpsError::io(dir))? {
        let e = e.map_err(OpsError::io(dir))?;
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        out.push((name, e.file_type().map_err(OpsError::io(dir))?));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn rel_string(rel: &Path) -> String {
    rel.to_string_lossy().into_owned()
}

fn tree_entry(rel: &Path, s: &TreeSummary) -> Entry {
    Entry {
        path: rel_string(rel),
        kind: EntryKind::Tree {
            files: s.files,
            dirs: s.dirs,
            symlinks: s.symlinks,
            bytes: s.bytes,
            digest: s.digest.clone(),
        },
    }
}

/// Copies one regular file to a new file (never through a link), keeping its mode;
/// returns its SHA-256 and size as copied.
fn copy_file(src: &Path, dst: &Path) -> Result<(String, u64, u32), OpsError> {
    let mut from = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(src)
        .map_err(OpsError::io(src))?;
    let mode = from.metadata().map_err(OpsError::io(src))?.mode() & 0o777;
    let mut to = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dst)
        .map_err(OpsError::io(dst))?;
    let mut data = Vec::new();
    from.read_to_end(&mut data).map_err(OpsError::io(src))?;
    std::io::Write::write_all(&mut to, &data).map_err(OpsError::io(dst))?;
    to.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(OpsError::io(dst))?;
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data));
    Ok((sha, data.len() as u64, mode))
}

fn users_of(directory: &Path) -> Result<Vec<ManifestUser>, OpsError> {
    let conn = Connection::open_with_flags(
        directory,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(OpsError::sqlite(directory))?;
    let mut stmt = conn
        .prepare("SELECT id, name, is_admin, disabled FROM users ORDER BY name")
        .map_err(OpsError::sqlite(directory))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(ManifestUser {
                id: r.get(0)?,
                name: r.get(1)?,
                is_admin: r.get(2)?,
                disabled: r.get(3)?,
            })
        })
        .map_err(OpsError::sqlite(directory))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(OpsError::sqlite(directory))
}

fn is_empty_dir(dir: &Path, ignoring: &[&str]) -> Result<bool, OpsError> {
    for e in std::fs::read_dir(dir).map_err(OpsError::io(dir))? {
        let e = e.map_err(OpsError::io(dir))?;
        if !ignoring.iter().any(|i| e.file_name() == *i) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Backs up the data directory `data_dir` into `out`, a new or empty directory (refused
/// otherwise), while a server may be running on it: each database is copied as one
/// consistent snapshot, workspaces file by file (links kept as links). Writes
/// `manifest.json` last and returns it. `out` is made readable by its owner only: it holds
/// `secret.key` and every user's data.
pub fn backup(data_dir: &Path, out: &Path) -> Result<Manifest, OpsError> {
    if !data_dir.join("arranger.db").is_file() && !data_dir.join("users").is_dir() {
        return Err(OpsError::NotADataDir(data_dir.to_owned()));
    }
    match std::fs::symlink_metadata(out) {
        Ok(m) if m.is_dir() => {
            if !is_empty_dir(out, &[])? {
                return Err(OpsError::OutputNotEmpty(out.to_owned()));
            }
        }
        Ok(_) => return Err(OpsError::OutputNotEmpty(out.to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(out).map_err(OpsError::io(out))?;
        }
        Err(e) => return Err(OpsError::io(out)(e)),
    }
    std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o700))
        .map_err(OpsError::io(out))?;
    let mut m = Manifest {
        format: BACKUP_FORMAT,
        arranger_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: now_ms(),
        source: data_dir.to_string_lossy().into_owned(),
        users: Vec::new(),
        entries: Vec::new(),
        total_files: 0,
        total_bytes: 0,
        skipped: 0,
    };
    for item in plan(data_dir)? {
        match item {
            Item::Database(rel) => {
                let dst = out.join(&rel);
                if let Some(p) = dst.parent() {
                    std::fs::create_dir_all(p).map_err(OpsError::io(p))?;
                }
                snapshot_db(&data_dir.join(&rel), &dst)?;
                let f = db_facts(&dst)?;
                if rel == Path::new("arranger.db") {
                    m.users = users_of(&dst)?;
                }
                m.total_files += 1;
                m.total_bytes += f.bytes;
                m.entries.push(Entry {
                    path: rel_string(&rel),
                    kind: EntryKind::Database {
                        schema_version: f.schema_version,
                        sha256: f.sha256,
                        bytes: f.bytes,
                    },
                });
            }
            Item::File(rel) => {
                let dst = out.join(&rel);
                if let Some(p) = dst.parent() {
                    std::fs::create_dir_all(p).map_err(OpsError::io(p))?;
                }
                let (sha256, bytes, mode) = match copy_file(&data_dir.join(&rel), &dst) {
                    Ok(x) => x,
                    Err(OpsError::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound =>
                    {
                        m.skipped += 1;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                m.total_files += 1;
                m.total_bytes += bytes;
                m.entries.push(Entry {
                    path: rel_string(&rel),
                    kind: EntryKind::File {
                        sha256,
                        bytes,
                        mode,
                    },
                });
            }
            Item::Tree(rel, opts) => {
                let mut sink = DirSink::new(&out.join(&rel))?;
                let s = walk(&data_dir.join(&rel), opts, &mut sink)?;
                m.total_files += s.files;
                m.total_bytes += s.bytes;
                m.skipped += s.skipped;
                m.entries.push(tree_entry(&rel, &s));
            }
            Item::Symlink(rel) => {
                let target = std::fs::read_link(data_dir.join(&rel)).map_err(OpsError::io(&rel))?;
                let dst = out.join(&rel);
                if let Some(p) = dst.parent() {
                    std::fs::create_dir_all(p).map_err(OpsError::io(p))?;
                }
                std::os::unix::fs::symlink(&target, &dst).map_err(OpsError::io(&dst))?;
                m.entries.push(Entry {
                    path: rel_string(&rel),
                    kind: EntryKind::Symlink {
                        target: target.to_string_lossy().into_owned(),
                    },
                });
            }
        }
    }
    let json = serde_json::to_vec_pretty(&m).map_err(|e| OpsError::Manifest {
        path: out.to_owned(),
        reason: e.to_string(),
    })?;
    let tmp = out.join(".manifest.json.tmp");
    let path = out.join(MANIFEST_FILE);
    std::fs::write(&tmp, json).map_err(OpsError::io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(OpsError::io(&path))?;
    Ok(m)
}

/// What a directory laid out like a data directory holds, as manifest entries, read
/// without changing anything (databases are read as bytes).
fn describe(root: &Path) -> Result<Vec<Entry>, OpsError> {
    let mut entries = Vec::new();
    for item in plan(root)? {
        match item {
            Item::Database(rel) => {
                let f = db_facts(&root.join(&rel))?;
                entries.push(Entry {
                    path: rel_string(&rel),
                    kind: EntryKind::Database {
                        schema_version: f.schema_version,
                        sha256: f.sha256,
                        bytes: f.bytes,
                    },
                });
            }
            Item::File(rel) => {
                let p = root.join(&rel);
                let (sha256, bytes, _) = hash_file(&p)?;
                let mode = std::fs::symlink_metadata(&p)
                    .map_err(OpsError::io(&p))?
                    .mode()
                    & 0o777;
                entries.push(Entry {
                    path: rel_string(&rel),
                    kind: EntryKind::File {
                        sha256,
                        bytes,
                        mode,
                    },
                });
            }
            Item::Tree(rel, opts) => {
                let s = walk(&root.join(&rel), opts, &mut NoSink)?;
                entries.push(tree_entry(&rel, &s));
            }
            Item::Symlink(rel) => {
                let p = root.join(&rel);
                let target = std::fs::read_link(&p).map_err(OpsError::io(&p))?;
                entries.push(Entry {
                    path: rel_string(&rel),
                    kind: EntryKind::Symlink {
                        target: target.to_string_lossy().into_owned(),
                    },
                });
            }
        }
    }
    Ok(entries)
}

/// The differences between what a manifest lists and what is there (at most five).
fn differences(listed: &[Entry], found: &[Entry]) -> Option<String> {
    let mut out = Vec::new();
    for e in listed {
        match found.iter().find(|f| f.path == e.path) {
            None => out.push(format!("{} is missing", e.path)),
            Some(f) if f.kind != e.kind => out.push(format!("{} differs", e.path)),
            Some(_) => {}
        }
    }
    for f in found {
        if !listed.iter().any(|e| e.path == f.path) {
            out.push(format!("{} is not in the manifest", f.path));
        }
    }
    if out.is_empty() {
        None
    } else {
        let n = out.len();
        out.truncate(5);
        if n > 5 {
            out.push(format!("and {} more", n - 5));
        }
        Some(out.join(", "))
    }
}

fn read_manifest(from: &Path) -> Result<Manifest, OpsError> {
    let path = from.join(MANIFEST_FILE);
    let bad = |reason: String| OpsError::Manifest {
        path: path.clone(),
        reason,
    };
    let f = std::fs::File::open(&path).map_err(|e| {
        bad(format!(
            "cannot be read ({e}); is {} a backup made by `arranger backup`?",
            from.display()
        ))
    })?;
    let mut text = Vec::new();
    f.take(MAX_MANIFEST_BYTES)
        .read_to_end(&mut text)
        .map_err(OpsError::io(&path))?;
    let m: Manifest =
        serde_json::from_slice(&text).map_err(|e| bad(format!("is not valid: {e}")))?;
    if m.format != BACKUP_FORMAT {
        return Err(bad(format!(
            "has format {} but this build reads format {BACKUP_FORMAT}; use the arranger version that made it ({})",
            m.format, m.arranger_version
        )));
    }
    Ok(m)
}

/// Checks that the backup in `from` is complete and unchanged: every database, file, tree
/// and link matches its manifest entry, nothing is missing or extra, and each database
/// passes SQLite's integrity check. Returns the manifest.
pub fn verify_backup(from: &Path) -> Result<Manifest, OpsError> {
    let m = read_manifest(from)?;
    let found = describe(from)?;
    if let Some(detail) = differences(&m.entries, &found) {
        return Err(OpsError::Mismatch {
            path: from.to_owned(),
            detail,
        });
    }
    for e in &m.entries {
        if matches!(e.kind, EntryKind::Database { .. }) {
            crate::snapshot::integrity_check(&from.join(&e.path))?;
        }
    }
    Ok(m)
}

/// Restores the backup in `from` into the data directory `data_dir`. Verifies the backup
/// first ([`verify_backup`]); then takes the data directory's lock (refused while a server
/// runs on it) and refuses a directory that holds anything unless `force`, which removes
/// what is there first. After copying, checks the restored data against the manifest
/// again. Returns the manifest.
pub fn restore(from: &Path, data_dir: &Path, force: bool) -> Result<Manifest, OpsError> {
    let m = verify_backup(from)?;
    std::fs::create_dir_all(data_dir).map_err(OpsError::io(data_dir))?;
    let _lock = DataDirLock::acquire(data_dir)?;
    if !is_empty_dir(data_dir, &[LOCK_FILE])? {
        if !force {
            return Err(OpsError::TargetNotEmpty(data_dir.to_owned()));
        }
        for e in std::fs::read_dir(data_dir).map_err(OpsError::io(data_dir))? {
            let e = e.map_err(OpsError::io(data_dir))?;
            if e.file_name() == LOCK_FILE {
                continue;
            }
            let p = e.path();
            // Neither removal follows a link: a link is removed as a link.
            let r = if e.file_type().map_err(OpsError::io(&p))?.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
            r.map_err(OpsError::io(&p))?;
        }
    }
    let mut sink = DirSink::new(data_dir)?;
    for name in list(from)?.into_iter().map(|(n, _)| n) {
        if name == MANIFEST_FILE || name == LOCK_FILE {
            continue;
        }
        copy_any(from, Path::new(&name), &mut sink)?;
    }
    std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))
        .map_err(OpsError::io(data_dir))?;
    let found = describe(data_dir)?;
    if let Some(detail) = differences(&m.entries, &found) {
        return Err(OpsError::Mismatch {
            path: data_dir.to_owned(),
            detail: format!("after restoring: {detail}"),
        });
    }
    Ok(m)
}

/// Copies the entry `rel` of `root` (file, link or whole directory) through `sink`.
fn copy_any(root: &Path, rel: &Path, sink: &mut DirSink) -> Result<(), OpsError> {
    let p = root.join(rel);
    let meta = std::fs::symlink_metadata(&p).map_err(OpsError::io(&p))?;
    if meta.is_dir() {
        sink.dir(rel, meta.mode() & 0o777)?;
        struct Under<'a> {
            base: &'a Path,
            sink: &'a mut DirSink,
        }
        impl Sink for Under<'_> {
            fn dir(&mut self, rel: &Path, mode: u32) -> Result<(), OpsError> {
                self.sink.dir(&self.base.join(rel), mode)
            }
            fn dir_done(&mut self, rel: &Path, mode: u32) -> Result<(), OpsError> {
                self.sink.dir_done(&self.base.join(rel), mode)
            }
            fn file(
                &mut self,
                rel: &Path,
                mode: u32,
                mtime: std::time::SystemTime,
                size: u64,
                data: &mut dyn Read,
            ) -> Result<(), OpsError> {
                self.sink
                    .file(&self.base.join(rel), mode, mtime, size, data)
            }
            fn symlink(&mut self, rel: &Path, target: &Path) -> Result<(), OpsError> {
                self.sink.symlink(&self.base.join(rel), target)
            }
        }
        walk(&p, WalkOptions::default(), &mut Under { base: rel, sink })?;
        sink.dir_done(rel, meta.mode() & 0o777)?;
    } else if meta.file_type().is_symlink() {
        let target = std::fs::read_link(&p).map_err(OpsError::io(&p))?;
        sink.symlink(rel, &target)?;
    } else if meta.is_file() {
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&p)
            .map_err(OpsError::io(&p))?;
        let mtime = meta.modified().unwrap_or(std::time::SystemTime::UNIX_EPOCH);
        sink.file(rel, meta.mode() & 0o777, mtime, meta.len(), &mut f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arranger_store::{SqliteDirectory, UserDirectory};

    fn data_dir() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let d = SqliteDirectory::open(&t.path().join("arranger.db")).unwrap();
        let u = d.add_user("alice", true, None).unwrap();
        let home = t.path().join("users").join(u.id.as_str());
        std::fs::create_dir_all(home.join("workspace/src")).unwrap();
        std::fs::create_dir_all(home.join("tmp")).unwrap();
        std::fs::write(home.join("tmp/scratch"), b"x").unwrap();
        std::fs::write(home.join("workspace/src/lib.rs"), b"pub fn f() {}\n").unwrap();
        std::os::unix::fs::symlink("src/lib.rs", home.join("workspace/lib")).unwrap();
        let c = Connection::open(home.join("state.db")).unwrap();
        c.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        std::fs::write(t.path().join("secret.key"), [7u8; 32]).unwrap();
        t
    }

    #[test]
    fn backup_verify_restore_round_trip_and_refusals() {
        let data = data_dir();
        let out = tempfile::tempdir().unwrap();
        let b = out.path().join("b");
        let m = backup(data.path(), &b).unwrap();
        assert_eq!(m.users.len(), 1);
        assert_eq!(m.users[0].name, "alice");
        let kinds: Vec<_> = m.entries.iter().map(|e| e.path.as_str()).collect();
        assert!(kinds.contains(&"secret.key"), "{kinds:?}");
        assert!(!kinds.iter().any(|k| k.ends_with("tmp")), "{kinds:?}");
        assert!(!b.join("users").join(&m.users[0].id).join("tmp").exists());
        // Refusals of the output: not empty, or a file.
        assert!(matches!(
            backup(data.path(), &b),
            Err(OpsError::OutputNotEmpty(_))
        ));
        let file = out.path().join("f");
        std::fs::write(&file, b"").unwrap();
        assert!(matches!(
            backup(data.path(), &file),
            Err(OpsError::OutputNotEmpty(_))
        ));
        assert!(matches!(
            backup(out.path(), &out.path().join("c")),
            Err(OpsError::NotADataDir(_))
        ));

        let target = out.path().join("restored");
        restore(&b, &target, false).unwrap();
        let ws = target.join("users").join(&m.users[0].id).join("workspace");
        assert_eq!(
            std::fs::read_link(ws.join("lib")).unwrap(),
            Path::new("src/lib.rs")
        );
        assert_eq!(std::fs::read(target.join("secret.key")).unwrap(), [7u8; 32]);
        // Not into a directory with data, unless forced.
        let e = restore(&b, &target, false).unwrap_err();
        assert!(e.to_string().contains("--force"), "{e}");
        std::fs::write(target.join("stray"), b"old").unwrap();
        restore(&b, &target, true).unwrap();
        assert!(!target.join("stray").exists());
        // Not while a server (anyone holding the lock) uses it.
        let lock = DataDirLock::acquire(&target).unwrap();
        let e = restore(&b, &target, true).unwrap_err();
        assert!(matches!(e, OpsError::Lock(_)), "{e}");
        drop(lock);

        // A changed backup is refused before anything is touched.
        std::fs::write(
            b.join("users")
                .join(&m.users[0].id)
                .join("workspace/src/lib.rs"),
            b"evil",
        )
        .unwrap();
        let e = restore(&b, &out.path().join("x"), false).unwrap_err();
        assert!(matches!(e, OpsError::Mismatch { .. }), "{e}");
        assert!(e.to_string().contains("workspace differs"), "{e}");
        std::fs::remove_file(b.join(MANIFEST_FILE)).unwrap();
        let e = verify_backup(&b).unwrap_err();
        assert!(e.to_string().contains("arranger backup"), "{e}");
    }
}
