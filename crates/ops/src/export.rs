//! One user's data as a `.tar.gz`, and importing it as a new user.

use crate::snapshot::{db_facts, integrity_check, snapshot_db};
use crate::tree::{NoSink, Sink, WalkOptions, resolves_inside, walk};
use crate::{OpsError, now_ms};
use arranger_store::{SqliteDirectory, User, UserDirectory, upgrade_user_db, validate_user_name};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

/// The version of the export archive this build writes and reads.
pub const EXPORT_FORMAT: u32 = 1;

const KIND: &str = "arranger-user-export";
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// Walk options of an exported workspace: files and directories at least readable and
/// writable by their owner (the importer does the same, so digests agree), links only if
/// they stay inside (the importer refuses others).
const EXPORT_WALK: WalkOptions = WalkOptions {
    skip_host_temp: true,
    inside_links_only: true,
    file_mode_floor: 0o600,
    dir_mode_floor: 0o700,
};

/// `manifest.json` of an export archive.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExportManifest {
    /// [`EXPORT_FORMAT`].
    pub format: u32,
    /// Always `arranger-user-export`.
    pub kind: String,
    /// The version of arranger that made it.
    pub arranger_version: String,
    /// When (ms since the Unix epoch).
    pub created_at: i64,
    /// The user's name on the server it came from.
    pub user_name: String,
    /// The user's id there.
    pub user_id: String,
    /// Whether they were an admin there (import decides again: `--admin`).
    pub was_admin: bool,
    /// The `state.db` in the archive: schema version, SHA-256, size; `None` when the user
    /// had never used the server.
    pub state_db: Option<DbSummary>,
    /// The workspace in the archive.
    pub workspace: WorkspaceSummary,
    /// Names of the MCP secrets left out (their values are sealed with the old server's
    /// key and cannot be opened elsewhere): set them again after importing.
    pub mcp_secrets_left_out: Vec<String>,
    /// Names of the model API keys left out, for the same reason.
    pub api_keys_left_out: Vec<String>,
    /// Special files, vanished files and links leading outside the workspace, left out.
    pub skipped: u64,
}

/// A database in an export.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DbSummary {
    /// Its `user_version`.
    pub schema_version: u32,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
}

/// A workspace in an export.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct WorkspaceSummary {
    /// Regular files.
    pub files: u64,
    /// Directories.
    pub dirs: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Bytes of the files.
    pub bytes: u64,
    /// SHA-256 over every entry's path, kind, mode and content.
    pub digest: String,
}

/// What [`export_user`] wrote.
#[derive(Clone, Debug)]
pub struct ExportReport {
    /// The archive.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: ExportManifest,
}

/// What [`import_user`] did.
#[derive(Clone, Debug)]
pub struct ImportReport {
    /// The new user.
    pub user: User,
    /// The archive's manifest.
    pub manifest: ExportManifest,
    /// The schema version of the installed `state.db` (this build's), if there is one.
    pub schema_version: Option<u32>,
}

fn directory(data_dir: &Path) -> Result<SqliteDirectory, OpsError> {
    let path = data_dir.join("arranger.db");
    if !path.is_file() {
        return Err(OpsError::NoDirectory(data_dir.to_owned()));
    }
    Ok(SqliteDirectory::open(&path)?)
}

/// Names in a table of a database, or none if the table does not exist.
fn names_in(conn: &Connection, path: &Path, table: &str) -> Result<Vec<String>, OpsError> {
    let exists: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
            [table],
            |r| r.get(0),
        )
        .map_err(OpsError::sqlite(path))?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut stmt = conn
        .prepare(&format!("SELECT name FROM {table} ORDER BY name"))
        .map_err(OpsError::sqlite(path))?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(OpsError::sqlite(path))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(OpsError::sqlite(path))
}

/// Removes every sealed secret from a user database (MCP secrets, model API keys) and
/// rewrites the file so that nothing of them stays in free pages. Returns their names.
fn strip_secrets(db: &Path) -> Result<(Vec<String>, Vec<String>), OpsError> {
    let conn = Connection::open(db).map_err(OpsError::sqlite(db))?;
    let mcp = names_in(&conn, db, "user_secrets")?;
    let keys = names_in(&conn, db, "secrets")?;
    if !mcp.is_empty() {
        conn.execute("DELETE FROM user_secrets", [])
            .map_err(OpsError::sqlite(db))?;
    }
    if !keys.is_empty() {
        conn.execute("DELETE FROM secrets", [])
            .map_err(OpsError::sqlite(db))?;
    }
    conn.execute_batch("VACUUM; PRAGMA journal_mode=DELETE;")
        .map_err(OpsError::sqlite(db))?;
    conn.close().map_err(|(_, e)| OpsError::Sqlite {
        path: db.to_owned(),
        source: e,
    })?;
    Ok((mcp, keys))
}

/// A tar sink: entries under `workspace/`.
struct TarSink<W: Write> {
    tar: tar::Builder<W>,
    path: PathBuf,
}

impl<W: Write> TarSink<W> {
    fn header(kind: tar::EntryType, mode: u32, size: u64, mtime: SystemTime) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(
            mtime
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        );
        h
    }
}

impl<W: Write> Sink for TarSink<W> {
    fn dir(&mut self, rel: &Path, mode: u32) -> Result<(), OpsError> {
        let mut h = Self::header(tar::EntryType::Directory, mode, 0, SystemTime::UNIX_EPOCH);
        self.tar
            .append_data(&mut h, Path::new("workspace").join(rel), std::io::empty())
            .map_err(OpsError::io(&self.path))
    }
    fn file(
        &mut self,
        rel: &Path,
        mode: u32,
        mtime: SystemTime,
        size: u64,
        data: &mut dyn Read,
    ) -> Result<(), OpsError> {
        let mut h = Self::header(tar::EntryType::Regular, mode, size, mtime);
        self.tar
            .append_data(&mut h, Path::new("workspace").join(rel), data)
            .map_err(OpsError::io(&self.path))
    }
    fn symlink(&mut self, rel: &Path, target: &Path) -> Result<(), OpsError> {
        let mut h = Self::header(tar::EntryType::Symlink, 0o777, 0, SystemTime::UNIX_EPOCH);
        self.tar
            .append_link(&mut h, Path::new("workspace").join(rel), target)
            .map_err(OpsError::io(&self.path))
    }
}

/// Exports the user `name` of the data directory `data_dir` into a new `.tar.gz` at `out`
/// (refused if it exists): a consistent snapshot of their `state.db` without secrets, their
/// workspace (links that lead outside it left out), and `manifest.json`. No tokens and no
/// password hash are included. Works while a server runs.
pub fn export_user(data_dir: &Path, name: &str, out: &Path) -> Result<ExportReport, OpsError> {
    let dir = directory(data_dir)?;
    let user = dir
        .user_by_name(name)?
        .ok_or_else(|| OpsError::NoSuchUser(name.to_owned()))?;
    drop(dir);
    let home = data_dir.join("users").join(user.id.as_str());
    let tmp = tempfile::tempdir().map_err(OpsError::io(Path::new("temporary directory")))?;
    let live = home.join("state.db");
    let (state_db, mcp, keys) = if live.is_file() {
        let db = tmp.path().join("state.db");
        snapshot_db(&live, &db)?;
        // Up to this build's schema first, so the secret tables are where this build
        // expects them.
        upgrade_user_db(&db)?;
        let (mcp, keys) = strip_secrets(&db)?;
        integrity_check(&db)?;
        let f = db_facts(&db)?;
        (
            Some(DbSummary {
                schema_version: f.schema_version,
                sha256: f.sha256,
                bytes: f.bytes,
            }),
            mcp,
            keys,
        )
    } else {
        (None, Vec::new(), Vec::new())
    };

    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                OpsError::OutputExists(out.to_owned())
            } else {
                OpsError::io(out)(e)
            }
        })?;
    let written = (|| -> Result<ExportManifest, OpsError> {
        let mut sink = TarSink {
            tar: tar::Builder::new(GzEncoder::new(file, Compression::default())),
            path: out.to_owned(),
        };
        if state_db.is_some() {
            let db = tmp.path().join("state.db");
            let mut f = File::open(&db).map_err(OpsError::io(&db))?;
            let size = f.metadata().map_err(OpsError::io(&db))?.len();
            let mut h =
                TarSink::<Vec<u8>>::header(tar::EntryType::Regular, 0o600, size, SystemTime::now());
            sink.tar
                .append_data(&mut h, "state.db", &mut f)
                .map_err(OpsError::io(out))?;
        }
        let ws = home.join("workspace");
        let (workspace, skipped) = if ws.is_dir() {
            let mut h = TarSink::<Vec<u8>>::header(
                tar::EntryType::Directory,
                0o700,
                0,
                SystemTime::UNIX_EPOCH,
            );
            sink.tar
                .append_data(&mut h, "workspace", std::io::empty())
                .map_err(OpsError::io(out))?;
            let s = walk(&ws, EXPORT_WALK, &mut sink)?;
            (
                WorkspaceSummary {
                    files: s.files,
                    dirs: s.dirs,
                    symlinks: s.symlinks,
                    bytes: s.bytes,
                    digest: s.digest,
                },
                s.skipped,
            )
        } else {
            (empty_workspace()?, 0)
        };
        let manifest = ExportManifest {
            format: EXPORT_FORMAT,
            kind: KIND.to_owned(),
            arranger_version: env!("CARGO_PKG_VERSION").to_owned(),
            created_at: now_ms(),
            user_name: user.name.clone(),
            user_id: user.id.as_str().to_owned(),
            was_admin: user.is_admin,
            state_db,
            workspace,
            mcp_secrets_left_out: mcp,
            api_keys_left_out: keys,
            skipped,
        };
        let json = serde_json::to_vec_pretty(&manifest).map_err(|e| OpsError::Manifest {
            path: out.to_owned(),
            reason: e.to_string(),
        })?;
        let mut h = TarSink::<Vec<u8>>::header(
            tar::EntryType::Regular,
            0o600,
            json.len() as u64,
            SystemTime::now(),
        );
        sink.tar
            .append_data(&mut h, "manifest.json", json.as_slice())
            .map_err(OpsError::io(out))?;
        let gz = sink.tar.into_inner().map_err(OpsError::io(out))?;
        let file = gz.finish().map_err(OpsError::io(out))?;
        file.sync_all().map_err(OpsError::io(out))?;
        Ok(manifest)
    })();
    match written {
        Ok(manifest) => Ok(ExportReport {
            path: out.to_owned(),
            manifest,
        }),
        Err(e) => {
            let _ = std::fs::remove_file(out);
            Err(e)
        }
    }
}

fn empty_workspace() -> Result<WorkspaceSummary, OpsError> {
    let t = tempfile::tempdir().map_err(OpsError::io(Path::new("temporary directory")))?;
    let s = walk(t.path(), EXPORT_WALK, &mut NoSink)?;
    Ok(WorkspaceSummary {
        files: 0,
        dirs: 0,
        symlinks: 0,
        bytes: 0,
        digest: s.digest,
    })
}

/// A path of an archive entry, checked: relative, plain components only, under one of
/// the names an export has.
fn checked_path(raw: &Path) -> Result<PathBuf, String> {
    let mut out = PathBuf::new();
    for c in raw.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            Component::ParentDir => return Err(format!("{raw:?} climbs out with '..'")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("{raw:?} is an absolute path"));
            }
        }
    }
    let first = out.components().next().map(|c| c.as_os_str().to_owned());
    match first.as_ref().and_then(|f| f.to_str()) {
        Some("workspace") => Ok(out),
        Some("state.db" | "manifest.json") if out.components().count() == 1 => Ok(out),
        _ => Err(format!(
            "{raw:?} is not part of a user export (manifest.json, state.db, workspace/)"
        )),
    }
}

/// Unpacks `archive` into `stage` (an empty directory) refusing anything unsafe.
fn unpack(archive: &Path, stage: &Path) -> Result<(), OpsError> {
    let unsafe_entry = |reason: String| OpsError::UnsafeArchive {
        path: archive.to_owned(),
        reason,
    };
    let file = File::open(archive).map_err(OpsError::io(archive))?;
    let mut ar = tar::Archive::new(GzDecoder::new(file));
    let mut links: HashSet<PathBuf> = HashSet::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let entries = ar.entries().map_err(OpsError::io(archive))?;
    for entry in entries {
        let mut entry = entry.map_err(OpsError::io(archive))?;
        let raw = entry.path().map_err(OpsError::io(archive))?.into_owned();
        let rel = checked_path(&raw).map_err(unsafe_entry)?;
        if !seen.insert(rel.clone()) {
            return Err(unsafe_entry(format!("{raw:?} appears twice")));
        }
        // Nothing is ever written through a link the archive made.
        if rel.ancestors().skip(1).any(|a| links.contains(a)) {
            return Err(unsafe_entry(format!(
                "{raw:?} lies beneath a symbolic link of the archive"
            )));
        }
        let dst = stage.join(&rel);
        let kind = entry.header().entry_type();
        let mode = entry.header().mode().map_err(OpsError::io(archive))? & 0o777;
        if let Some(parent) = rel.parent() {
            make_dirs(stage, parent)?;
        }
        match kind {
            tar::EntryType::Directory => {
                make_dirs(stage, &rel)?;
                std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(mode | 0o700))
                    .map_err(OpsError::io(&dst))?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(&dst)
                    .map_err(|e| unsafe_entry(format!("{raw:?} cannot be created: {e}")))?;
                std::io::copy(&mut entry, &mut f).map_err(OpsError::io(&dst))?;
                f.set_permissions(std::fs::Permissions::from_mode(mode | 0o600))
                    .map_err(OpsError::io(&dst))?;
                if let Ok(t) = entry.header().mtime() {
                    let _ =
                        f.set_modified(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(t));
                }
            }
            tar::EntryType::Symlink => {
                if !rel.starts_with("workspace") || rel == Path::new("workspace") {
                    return Err(unsafe_entry(format!(
                        "{raw:?} is a symbolic link outside the workspace"
                    )));
                }
                let target = entry
                    .link_name()
                    .map_err(OpsError::io(archive))?
                    .ok_or_else(|| unsafe_entry(format!("{raw:?} is a link without a target")))?
                    .into_owned();
                if target.is_absolute() {
                    return Err(unsafe_entry(format!(
                        "{raw:?} is a symbolic link to the absolute path {target:?}"
                    )));
                }
                std::os::unix::fs::symlink(&target, &dst)
                    .map_err(|e| unsafe_entry(format!("{raw:?} cannot be created: {e}")))?;
                links.insert(rel);
            }
            other => {
                return Err(unsafe_entry(format!(
                    "{raw:?} is a {other:?} entry; only files, directories and symbolic links are accepted"
                )));
            }
        }
    }
    // Where every link leads, now that all are there: inside the workspace, or refused.
    let ws = stage.join("workspace");
    for link in &links {
        let Ok(rel) = link.strip_prefix("workspace") else {
            continue;
        };
        if !resolves_inside(&ws, rel) {
            return Err(unsafe_entry(format!(
                "the symbolic link {link:?} leads outside the workspace"
            )));
        }
    }
    Ok(())
}

/// Creates `rel` beneath `root` component by component, refusing any existing component
/// that is not a real directory (a link, a file).
fn make_dirs(root: &Path, rel: &Path) -> Result<(), OpsError> {
    let mut p = root.to_owned();
    for c in rel.components() {
        p.push(c);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(OpsError::UnsafeArchive {
                    path: p.clone(),
                    reason: format!("{rel:?} runs through something that is not a directory"),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir(&p).map_err(OpsError::io(&p))?;
            }
            Err(e) => return Err(OpsError::io(&p)(e)),
        }
    }
    Ok(())
}

/// Imports an archive made by [`export_user`] as the new user `name` of the data
/// directory `data_dir` (refused if the name is taken). Never trusts the archive: see the
/// crate's invariants; the unpacked data must match the manifest's checksums, the database
/// must pass SQLite's integrity check and is brought up to this build's schema, and any
/// secrets in it are removed. Only then is the user created (without password or token)
/// and their data moved into place. Works while a server runs: nobody can be signed in as
/// a user who does not exist yet.
pub fn import_user(
    data_dir: &Path,
    archive: &Path,
    name: &str,
    admin: bool,
) -> Result<ImportReport, OpsError> {
    validate_user_name(name)?;
    let dir = directory(data_dir)?;
    if dir.user_by_name(name)?.is_some() {
        return Err(OpsError::UserExists(name.to_owned()));
    }
    let users = data_dir.join("users");
    std::fs::create_dir_all(&users).map_err(OpsError::io(&users))?;
    // Staged beside the users' directories (same file system: the final move is a
    // rename); backups skip names starting with a dot.
    let stage = tempfile::Builder::new()
        .prefix(".import-")
        .tempdir_in(&users)
        .map_err(OpsError::io(&users))?;
    unpack(archive, stage.path())?;

    let mpath = stage.path().join("manifest.json");
    let mut text = Vec::new();
    File::open(&mpath)
        .map_err(|_| OpsError::Manifest {
            path: archive.to_owned(),
            reason: "the archive has no manifest.json; is it made by `arranger user export`?"
                .into(),
        })?
        .take(MAX_MANIFEST_BYTES)
        .read_to_end(&mut text)
        .map_err(OpsError::io(&mpath))?;
    let manifest: ExportManifest =
        serde_json::from_slice(&text).map_err(|e| OpsError::Manifest {
            path: archive.to_owned(),
            reason: format!("manifest.json is not valid: {e}"),
        })?;
    if manifest.kind != KIND || manifest.format != EXPORT_FORMAT {
        return Err(OpsError::Manifest {
            path: archive.to_owned(),
            reason: format!(
                "this is a {:?} archive of format {}; this build imports {KIND:?} format {EXPORT_FORMAT}",
                manifest.kind, manifest.format
            ),
        });
    }
    std::fs::remove_file(&mpath).map_err(OpsError::io(&mpath))?;

    let mismatch = |detail: &str| OpsError::Mismatch {
        path: archive.to_owned(),
        detail: detail.to_owned(),
    };
    let db = stage.path().join("state.db");
    let schema_version = match (&manifest.state_db, db.is_file()) {
        (Some(want), true) => {
            let f = db_facts(&db)?;
            if f.sha256 != want.sha256 || f.bytes != want.bytes {
                return Err(mismatch("state.db differs"));
            }
            integrity_check(&db)?;
            let v = upgrade_user_db(&db)?;
            // Secrets of another server cannot be opened here; an archive that has some
            // was not made by `user export`, and they go.
            strip_secrets(&db)?;
            Some(v)
        }
        (None, false) => None,
        (Some(_), false) => return Err(mismatch("state.db is missing")),
        (None, true) => return Err(mismatch("state.db is not in the manifest")),
    };
    let ws = stage.path().join("workspace");
    make_dirs(stage.path(), Path::new("workspace"))?;
    let s = walk(&ws, EXPORT_WALK, &mut NoSink)?;
    let found = WorkspaceSummary {
        files: s.files,
        dirs: s.dirs,
        symlinks: s.symlinks,
        bytes: s.bytes,
        digest: s.digest,
    };
    if found != manifest.workspace || s.skipped != 0 {
        return Err(mismatch("the workspace differs"));
    }

    let user = dir.add_user(name, admin, None).map_err(|e| match e {
        arranger_store::StoreError::Conflict(_) => OpsError::UserExists(name.to_owned()),
        other => OpsError::Store(other),
    })?;
    let home = users.join(user.id.as_str());
    std::fs::rename(stage.path(), &home).map_err(|e| OpsError::Io {
        path: home.clone(),
        source: std::io::Error::new(
            e.kind(),
            format!(
                "the user {name:?} was created but their data could not be moved into place ({e}); disable them with `arranger user disable {name}` and import again under another name"
            ),
        ),
    })?;
    Ok(ImportReport {
        user,
        manifest,
        schema_version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, symlink};

    /// A data directory with the user `ada`: a state.db holding a value and two sealed
    /// secrets, and a workspace.
    fn data_dir() -> (tempfile::TempDir, User) {
        let t = tempfile::tempdir().unwrap();
        let d = SqliteDirectory::open(&t.path().join("arranger.db")).unwrap();
        let u = d.add_user("ada", true, Some("a good password")).unwrap();
        let home = t.path().join("users").join(u.id.as_str());
        std::fs::create_dir_all(home.join("workspace/src")).unwrap();
        let db = home.join("state.db");
        Connection::open(&db).unwrap();
        upgrade_user_db(&db).unwrap();
        let c = Connection::open(&db).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode=WAL;
             INSERT INTO kv (scope, key, value) VALUES ('global', 'theme', '\"dark\"');
             INSERT INTO user_secrets VALUES ('GH_TOKEN', x'00', x'53454352455456414c5545', 1, 1);
             INSERT INTO secrets VALUES ('provider:mine', x'00', x'4b4559');",
        )
        .unwrap();
        let ws = home.join("workspace");
        std::fs::write(ws.join("src/main.rs"), b"fn main() {}\n").unwrap();
        std::fs::write(ws.join("run.sh"), b"#!/bin/sh\n").unwrap();
        std::fs::set_permissions(ws.join("run.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        symlink("src/main.rs", ws.join("main")).unwrap();
        symlink("/etc/passwd", ws.join("passwd")).unwrap();
        // Longer than a tar header's 100-byte name field.
        let deep = ws.join("src").join("d".repeat(90)).join("e".repeat(90));
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("deep.txt"), b"deep\n").unwrap();
        (t, u)
    }

    #[test]
    fn export_and_import_round_trip_without_secrets() {
        let (data, old) = data_dir();
        let out = tempfile::tempdir().unwrap();
        let file = out.path().join("ada.tar.gz");
        let r = export_user(data.path(), "ada", &file).unwrap();
        assert_eq!(r.manifest.mcp_secrets_left_out, ["GH_TOKEN"]);
        assert_eq!(r.manifest.api_keys_left_out, ["provider:mine"]);
        assert_eq!(
            r.manifest.skipped, 1,
            "the link to /etc/passwd stays behind"
        );
        assert_eq!(
            (r.manifest.workspace.files, r.manifest.workspace.symlinks),
            (3, 1)
        );
        // Nothing of the secrets' ciphertext, the password hash or the tokens is in it.
        let mut raw = Vec::new();
        GzDecoder::new(File::open(&file).unwrap())
            .read_to_end(&mut raw)
            .unwrap();
        for needle in [&b"SECRETVALUE"[..], b"argon2", b"arr_"] {
            assert!(!raw.windows(needle.len()).any(|w| w == needle));
        }
        assert!(matches!(
            export_user(data.path(), "ada", &file),
            Err(OpsError::OutputExists(_))
        ));
        assert!(matches!(
            export_user(data.path(), "nobody", &out.path().join("n.tar.gz")),
            Err(OpsError::NoSuchUser(_))
        ));

        // Into another server, under a new name.
        let other = tempfile::tempdir().unwrap();
        SqliteDirectory::open(&other.path().join("arranger.db")).unwrap();
        let imported = import_user(other.path(), &file, "grace", false).unwrap();
        assert_eq!(imported.user.name, "grace");
        assert!(!imported.user.is_admin);
        assert_ne!(imported.user.id, old.id);
        let home = other.path().join("users").join(imported.user.id.as_str());
        let ws = home.join("workspace");
        assert_eq!(
            std::fs::read(ws.join("src/main.rs")).unwrap(),
            b"fn main() {}\n"
        );
        assert_eq!(
            std::fs::metadata(ws.join("run.sh")).unwrap().mode() & 0o777,
            0o755
        );
        assert_eq!(
            std::fs::read_link(ws.join("main")).unwrap(),
            Path::new("src/main.rs")
        );
        assert!(!ws.join("passwd").exists());
        let deep = ws.join("src").join("d".repeat(90)).join("e".repeat(90));
        assert_eq!(std::fs::read(deep.join("deep.txt")).unwrap(), b"deep\n");
        let c = Connection::open(home.join("state.db")).unwrap();
        let theme: String = c
            .query_row("SELECT value FROM kv WHERE key = 'theme'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(theme, "\"dark\"");
        let secrets: i64 = c
            .query_row(
                "SELECT (SELECT count(*) FROM user_secrets) + (SELECT count(*) FROM secrets)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(secrets, 0);
        // The name is taken now.
        assert!(matches!(
            import_user(other.path(), &file, "grace", false),
            Err(OpsError::UserExists(_))
        ));
        // No staging directory is left behind by the refusal.
        let left: Vec<_> = std::fs::read_dir(other.path().join("users"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }

    enum Evil {
        File(&'static [u8]),
        Link(&'static [u8], &'static [u8]),
        Hard(&'static [u8], &'static [u8]),
    }

    /// An archive with raw entry names (the tar crate's own builder refuses such paths).
    fn archive(path: &Path, entries: &[Evil]) {
        let mut b = tar::Builder::new(GzEncoder::new(
            File::create(path).unwrap(),
            Compression::fast(),
        ));
        let raw = |h: &mut tar::Header, name: &[u8]| {
            let n = &mut h.as_old_mut().name;
            n.fill(0);
            n[..name.len()].copy_from_slice(name);
        };
        for e in entries {
            let mut h = tar::Header::new_old();
            h.set_mode(0o644);
            match e {
                Evil::File(name) => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(3);
                    raw(&mut h, name);
                    h.set_cksum();
                    b.append(&h, &b"bad"[..]).unwrap();
                }
                Evil::Link(name, target) | Evil::Hard(name, target) => {
                    h.set_entry_type(if matches!(e, Evil::Link(..)) {
                        tar::EntryType::Symlink
                    } else {
                        tar::EntryType::Link
                    });
                    h.set_size(0);
                    raw(&mut h, name);
                    let l = &mut h.as_old_mut().linkname;
                    l[..target.len()].copy_from_slice(target);
                    h.set_cksum();
                    b.append(&h, std::io::empty()).unwrap();
                }
            }
        }
        b.into_inner().unwrap().finish().unwrap();
    }

    #[test]
    fn malicious_archives_are_refused_and_leave_nothing_behind() {
        let t = tempfile::tempdir().unwrap();
        let data = t.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        SqliteDirectory::open(&data.join("arranger.db")).unwrap();
        let cases: Vec<(&str, Vec<Evil>, &str)> = vec![
            ("dotdot", vec![Evil::File(b"../escaped")], "'..'"),
            (
                "nested-dotdot",
                vec![Evil::File(b"workspace/../../escaped")],
                "'..'",
            ),
            (
                "absolute",
                vec![Evil::File(b"/tmp/arranger-absolute-escape")],
                "absolute",
            ),
            (
                "elsewhere",
                vec![Evil::File(b"users/x/state.db")],
                "not part of",
            ),
            (
                "abs-link",
                vec![Evil::Link(b"workspace/etc", b"/etc")],
                "absolute",
            ),
            (
                "up-link",
                vec![Evil::Link(b"workspace/up", b"../..")],
                "leads outside",
            ),
            (
                "through-link",
                vec![
                    Evil::Link(b"workspace/d", b"."),
                    Evil::File(b"workspace/d/x"),
                ],
                "beneath a symbolic link",
            ),
            (
                "hard-link",
                vec![Evil::Hard(b"workspace/h", b"/etc/passwd")],
                "Link entry",
            ),
            (
                "twice",
                vec![Evil::File(b"workspace/a"), Evil::File(b"workspace/a")],
                "twice",
            ),
            (
                "no-manifest",
                vec![Evil::File(b"workspace/a")],
                "manifest.json",
            ),
        ];
        for (name, entries, says) in cases {
            let file = t.path().join(format!("{name}.tar.gz"));
            archive(&file, &entries);
            let e = import_user(&data, &file, "mallory", false).unwrap_err();
            assert!(e.to_string().contains(says), "{name}: {e}");
            assert!(!t.path().join("escaped").exists(), "{name}");
            assert!(
                !Path::new("/tmp/arranger-absolute-escape").exists(),
                "{name}"
            );
            let dir = SqliteDirectory::open(&data.join("arranger.db")).unwrap();
            assert!(dir.user_by_name("mallory").unwrap().is_none(), "{name}");
            let users: Vec<_> = std::fs::read_dir(data.join("users")).unwrap().collect();
            assert!(users.is_empty(), "{name}: staging left behind");
        }
    }
}
