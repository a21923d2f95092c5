//! Walking a directory tree without ever following a symbolic link, copying it (to
//! another directory or into an archive) and digesting it.

use crate::OpsError;
use sha2::{Digest, Sha256};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

/// The prefix of the host's temporary files of atomic writes (`arranger_host::fs`): such a
/// file is either renamed over its target or removed in a moment, so it is not copied.
const HOST_TEMP_PREFIX: &[u8] = b".arranger-tmp-";

/// How a walk treats what it finds.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WalkOptions {
    /// Leave out the host's temporary files of atomic writes.
    pub skip_host_temp: bool,
    /// Leave out symbolic links that resolve outside the tree (for exports: an importer
    /// refuses them).
    pub inside_links_only: bool,
    /// Mode bits every file gets (an export makes files readable and writable by their
    /// owner, which its import does too).
    pub file_mode_floor: u32,
    /// Mode bits every directory gets.
    pub dir_mode_floor: u32,
}

/// What a walk saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TreeSummary {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    pub bytes: u64,
    /// Special files, files that vanished while walking, and links left out.
    pub skipped: u64,
    /// SHA-256 over every entry's kind, path, mode and content (or link target), in order.
    pub digest: String,
}

/// Where a walk puts what it reads.
pub(crate) trait Sink {
    /// A directory (its mode is final; a directory sink sets it after the contents).
    fn dir(&mut self, rel: &Path, mode: u32) -> Result<(), OpsError>;
    /// The walk has finished the directory `rel`.
    fn dir_done(&mut self, _rel: &Path, _mode: u32) -> Result<(), OpsError> {
        Ok(())
    }
    /// A regular file of exactly `size` bytes, read from `data`.
    fn file(
        &mut self,
        rel: &Path,
        mode: u32,
        mtime: SystemTime,
        size: u64,
        data: &mut dyn Read,
    ) -> Result<(), OpsError>;
    /// A symbolic link (never followed).
    fn symlink(&mut self, rel: &Path, target: &Path) -> Result<(), OpsError>;
}

/// A sink that only digests.
pub(crate) struct NoSink;

impl Sink for NoSink {
    fn dir(&mut self, _: &Path, _: u32) -> Result<(), OpsError> {
        Ok(())
    }
    fn file(
        &mut self,
        _: &Path,
        _: u32,
        _: SystemTime,
        _: u64,
        _: &mut dyn Read,
    ) -> Result<(), OpsError> {
        Ok(())
    }
    fn symlink(&mut self, _: &Path, _: &Path) -> Result<(), OpsError> {
        Ok(())
    }
}

/// Copies into a directory (created if missing; files are created new, never over
/// something existing, and never through a link).
pub(crate) struct DirSink {
    root: PathBuf,
}

impl DirSink {
    pub(crate) fn new(root: &Path) -> Result<DirSink, OpsError> {
        std::fs::create_dir_all(root).map_err(OpsError::io(root))?;
        Ok(DirSink {
            root: root.to_owned(),
        })
    }
}

impl Sink for DirSink {
    fn dir(&mut self, rel: &Path, _mode: u32) -> Result<(), OpsError> {
        let p = self.root.join(rel);
        std::fs::create_dir(&p).map_err(OpsError::io(&p))?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700))
            .map_err(OpsError::io(&p))
    }
    fn dir_done(&mut self, rel: &Path, mode: u32) -> Result<(), OpsError> {
        let p = self.root.join(rel);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
            .map_err(OpsError::io(&p))
    }
    fn file(
        &mut self,
        rel: &Path,
        mode: u32,
        mtime: SystemTime,
        _size: u64,
        data: &mut dyn Read,
    ) -> Result<(), OpsError> {
        let p = self.root.join(rel);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&p)
            .map_err(OpsError::io(&p))?;
        std::io::copy(data, &mut f).map_err(OpsError::io(&p))?;
        f.flush().map_err(OpsError::io(&p))?;
        f.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(OpsError::io(&p))?;
        f.set_modified(mtime).map_err(OpsError::io(&p))?;
        Ok(())
    }
    fn symlink(&mut self, rel: &Path, target: &Path) -> Result<(), OpsError> {
        let p = self.root.join(rel);
        std::os::unix::fs::symlink(target, &p).map_err(OpsError::io(&p))
    }
}

/// Reads exactly `size` bytes: what the file has, cut or padded with zeros if it changed
/// size while being read (a file written in place during a backup is torn anyway; the
/// archive must stay well-formed). Hashes what it hands out.
struct Exact<'a> {
    inner: &'a mut dyn Read,
    remaining: u64,
    hasher: Sha256,
}

impl Read for Exact<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let mut n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            buf[..want].fill(0);
            n = want;
        }
        self.hasher.update(&buf[..n]);
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn line(h: &mut Sha256, kind: &[u8], rel: &Path, extra: &[u8]) {
    h.update(kind);
    h.update(b"\0");
    h.update(rel.as_os_str().as_bytes());
    h.update(b"\0");
    h.update(extra);
    h.update(b"\n");
}

/// Walks `root` depth-first in name order, handing every entry to `sink`. Symbolic links
/// are reported as links (never followed), special files are skipped, files that vanish
/// meanwhile are skipped. `root` itself must be a real directory.
pub(crate) fn walk(
    root: &Path,
    opts: WalkOptions,
    sink: &mut dyn Sink,
) -> Result<TreeSummary, OpsError> {
    let meta = std::fs::symlink_metadata(root).map_err(OpsError::io(root))?;
    if !meta.is_dir() {
        return Err(OpsError::Io {
            path: root.to_owned(),
            source: std::io::Error::other("not a directory"),
        });
    }
    let mut sum = TreeSummary::default();
    let mut h = Sha256::new();
    // (relative dir, its mode, its entries left in reverse order)
    let mut stack: Vec<(PathBuf, u32, Vec<OsString>)> =
        vec![(PathBuf::new(), 0, sorted_names(root)?)];
    while let Some((dir, _, names)) = stack.last_mut() {
        let Some(name) = names.pop() else {
            let (dir, mode, _) = stack.pop().unwrap_or_default();
            if !dir.as_os_str().is_empty() {
                sink.dir_done(&dir, mode)?;
            }
            continue;
        };
        let rel = dir.join(&name);
        let abs = root.join(&rel);
        if opts.skip_host_temp && name.as_bytes().starts_with(HOST_TEMP_PREFIX) {
            sum.skipped += 1;
            continue;
        }
        let meta = match std::fs::symlink_metadata(&abs) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                sum.skipped += 1;
                continue;
            }
            Err(e) => return Err(OpsError::io(&abs)(e)),
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            let target = match std::fs::read_link(&abs) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    sum.skipped += 1;
                    continue;
                }
                Err(e) => return Err(OpsError::io(&abs)(e)),
            };
            if opts.inside_links_only && !resolves_inside(root, &rel) {
                sum.skipped += 1;
                continue;
            }
            line(&mut h, b"L", &rel, target.as_os_str().as_bytes());
            sink.symlink(&rel, &target)?;
            sum.symlinks += 1;
        } else if ft.is_dir() {
            let mode = (meta.mode() & 0o777) | opts.dir_mode_floor;
            let names = match sorted_names(&abs) {
                Ok(n) => n,
                Err(OpsError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    sum.skipped += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            line(&mut h, b"D", &rel, format!("{mode:o}").as_bytes());
            sink.dir(&rel, mode)?;
            sum.dirs += 1;
            stack.push((rel, mode, names));
        } else if ft.is_file() {
            // O_NOFOLLOW: a link swapped in since the check is not followed; O_NONBLOCK:
            // a FIFO swapped in does not hang the walk (it is refused below).
            let file = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
                .open(&abs);
            let mut file = match file {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    sum.skipped += 1;
                    continue;
                }
                Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                    sum.skipped += 1;
                    continue;
                }
                Err(e) => return Err(OpsError::io(&abs)(e)),
            };
            let meta = file.metadata().map_err(OpsError::io(&abs))?;
            if !meta.is_file() {
                sum.skipped += 1;
                continue;
            }
            let mode = (meta.mode() & 0o777) | opts.file_mode_floor;
            let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let size = meta.len();
            let mut exact = Exact {
                inner: &mut file,
                remaining: size,
                hasher: Sha256::new(),
            };
            sink.file(&rel, mode, mtime, size, &mut exact)?;
            std::io::copy(&mut exact, &mut std::io::sink()).map_err(OpsError::io(&abs))?;
            let sha = hex::encode(exact.hasher.finalize());
            line(
                &mut h,
                b"F",
                &rel,
                format!("{mode:o} {size} {sha}").as_bytes(),
            );
            sum.files += 1;
            sum.bytes += size;
        } else {
            sum.skipped += 1;
        }
    }
    sum.digest = hex::encode(h.finalize());
    Ok(sum)
}

/// The names in `dir`, sorted descending (popped from the end: ascending order).
fn sorted_names(dir: &Path) -> Result<Vec<OsString>, OpsError> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).map_err(OpsError::io(dir))? {
        names.push(e.map_err(OpsError::io(dir))?.file_name());
    }
    names.sort_unstable_by(|a, b| b.cmp(a));
    Ok(names)
}

/// Whether the symbolic link at `rel` (relative to `root`) resolves to a place inside
/// `root`, following the links it meets on the way (as the kernel would, at most 40) but
/// looking only at what exists beneath `root`. Absolute targets never do.
pub(crate) fn resolves_inside(root: &Path, rel: &Path) -> bool {
    let mut stack: Vec<OsString> = Vec::new();
    let Some(parent) = rel.parent() else {
        return false;
    };
    for c in parent.components() {
        match c {
            Component::Normal(n) => stack.push(n.to_owned()),
            _ => return false,
        }
    }
    let Ok(first) = std::fs::read_link(root.join(rel)) else {
        return false;
    };
    // Components still to resolve, next one last.
    let mut todo: Vec<OsString> = Vec::new();
    let mut hops = 0;
    let push_target = |todo: &mut Vec<OsString>, target: &Path| -> bool {
        let mut parts = Vec::new();
        for c in target.components() {
            match c {
                Component::Normal(n) => parts.push(n.to_owned()),
                Component::ParentDir => parts.push(OsString::from("..")),
                Component::CurDir => {}
                Component::RootDir | Component::Prefix(_) => return false,
            }
        }
        todo.extend(parts.into_iter().rev());
        true
    };
    if !push_target(&mut todo, &first) {
        return false;
    }
    while let Some(part) = todo.pop() {
        if part == ".." {
            if stack.pop().is_none() {
                return false;
            }
            continue;
        }
        stack.push(part);
        let here: PathBuf = stack.iter().collect();
        let abs = root.join(&here);
        if std::fs::symlink_metadata(&abs).is_ok_and(|m| m.file_type().is_symlink()) {
            hops += 1;
            if hops > 40 {
                return false;
            }
            stack.pop();
            let Ok(t) = std::fs::read_link(&abs) else {
                return false;
            };
            if !push_target(&mut todo, &t) {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_are_judged_by_where_they_really_lead() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::create_dir_all(r.join("a/b")).unwrap();
        symlink("../x", r.join("a/up")).unwrap();
        symlink("b/../../x", r.join("a/lex")).unwrap();
        symlink("../..", r.join("a/out")).unwrap();
        symlink("/etc/passwd", r.join("abs")).unwrap();
        symlink("..", r.join("a/b/parent")).unwrap();
        // Lexically inside (a/b/parent/.. is a/..), really outside: a/b/parent is a/.
        symlink("b/parent/../..", r.join("a/sneaky")).unwrap();
        symlink("a/b", r.join("ok")).unwrap();
        assert!(resolves_inside(r, Path::new("a/up")));
        assert!(resolves_inside(r, Path::new("a/lex")));
        assert!(resolves_inside(r, Path::new("ok")));
        assert!(resolves_inside(r, Path::new("a/b/parent")));
        assert!(!resolves_inside(r, Path::new("a/out")));
        assert!(!resolves_inside(r, Path::new("abs")));
        assert!(!resolves_inside(r, Path::new("a/sneaky")));
        symlink("loop2", r.join("loop1")).unwrap();
        symlink("loop1", r.join("loop2")).unwrap();
        assert!(!resolves_inside(r, Path::new("loop1")));
    }

    #[test]
    fn a_copy_keeps_links_modes_and_content_and_digests_the_same() {
        let t = tempfile::tempdir().unwrap();
        let src = t.path().join("src");
        std::fs::create_dir_all(src.join("d/e")).unwrap();
        std::fs::write(src.join("d/e/f.txt"), b"hello").unwrap();
        std::fs::write(src.join("run.sh"), b"#!/bin/sh\n").unwrap();
        std::fs::set_permissions(src.join("run.sh"), std::fs::Permissions::from_mode(0o750))
            .unwrap();
        std::fs::write(src.join(".arranger-tmp-123"), b"half").unwrap();
        symlink("/etc/hostname", src.join("outside")).unwrap();
        symlink("d/e/f.txt", src.join("inside")).unwrap();
        let opts = WalkOptions {
            skip_host_temp: true,
            ..WalkOptions::default()
        };
        let dst = t.path().join("dst");
        let a = walk(&src, opts, &mut DirSink::new(&dst).unwrap()).unwrap();
        assert_eq!(
            (a.files, a.dirs, a.symlinks, a.bytes, a.skipped),
            (2, 2, 2, 15, 1)
        );
        let b = walk(&dst, opts, &mut NoSink).unwrap();
        assert_eq!(
            a,
            TreeSummary {
                skipped: 1,
                ..b.clone()
            }
        );
        assert_eq!(
            std::fs::read_link(dst.join("outside")).unwrap(),
            Path::new("/etc/hostname")
        );
        assert_eq!(
            std::fs::metadata(dst.join("run.sh")).unwrap().mode() & 0o777,
            0o750
        );
        std::fs::write(dst.join("d/e/f.txt"), b"hellO").unwrap();
        assert_ne!(walk(&dst, opts, &mut NoSink).unwrap().digest, a.digest);
        let only_inside = WalkOptions {
            inside_links_only: true,
            ..opts
        };
        let c = walk(&src, only_inside, &mut NoSink).unwrap();
        assert_eq!((c.symlinks, c.skipped), (1, 2));
    }
}
