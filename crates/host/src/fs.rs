//! The jailed workspace file system.
//!
//! Every user owns one workspace directory on the host. [`Workspace`] is the only way the
//! server touches files in it on a client's behalf, and it guarantees that no client path can
//! reach anything outside that directory.
//!
//! # Security model
//!
//! 1. **Lexical validation.** A client path is workspace-relative and `/`-separated. It is
//!    rejected with [`FsError::InvalidPath`] when it contains a NUL byte or any other control
//!    character, starts with `/`, contains a backslash or a `..` component, is longer than
//!    [`MAX_PATH_BYTES`], or has a component longer than [`MAX_COMPONENT_BYTES`]. Empty and `.`
//!    components are collapsed (`a//./b` is `a/b`).
//! 2. **Kernel-checked resolution.** The validated path is then resolved beneath a
//!    [`cap_std::fs::Dir`] handle of the workspace root (on Linux with `openat2` and
//!    `RESOLVE_BENEATH`, elsewhere with cap-std's component-by-component walk). Symbolic links
//!    are followed only while they stay inside the workspace; a link with an absolute target, a
//!    relative target that climbs out, a chain of links that ends outside, or a symlinked
//!    directory in the middle of a path that points outside all fail with
//!    [`FsError::OutsideWorkspace`]. Because this check happens in the kernel at the moment of
//!    the access, racing a directory against a symlink cannot escape either. Note that links
//!    with an *absolute* target are always refused, even when the target happens to lie inside
//!    the workspace.
//! 3. **Operations on one name in a directory handle.** Mutating operations open the parent
//!    directory (step 2) and then act on a single name relative to that handle, so the final
//!    component is never resolved as a path again.
//!
//! # Symbolic links
//!
//! * [`Workspace::stat`] and [`Workspace::list`] report links as [`FileKind::Symlink`] and never
//!   follow a final link.
//! * [`Workspace::read`] and [`Workspace::list`] follow links that stay inside the workspace.
//! * [`Workspace::write`] **replaces** a final symbolic link with a regular file (the atomic
//!   rename swaps the link itself out); the link's target is never written. Symlinked
//!   directories in the middle of the path are followed when they stay inside the workspace.
//! * [`Workspace::delete`] removes a link itself, never its target, and
//!   [`Workspace::rename`] moves the link itself.
//! * Paths are normalised lexically before anything else, so a trailing `/` or `/.` does not
//!   force a link to be followed: `link/` and `link/.` name the link itself.
//!
//! # Hidden names
//!
//! [`Workspace::with_hidden`] declares top-level names (such as the server's own `.arranger`
//! data directory in single-user mode) that the API treats as nonexistent. They are refused
//! lexically and, when a path reaches them through a symbolic link, after resolution: the
//! resolved location of the directory or file is determined and checked, and its identity
//! (device and inode) is compared with the object actually opened. This second check cannot be
//! kernel-enforced with cap-std, so a client racing symlink swaps *inside its own workspace*
//! could in theory still reach a hidden name; it can never leave the workspace.
//!
//! # Resources
//!
//! No file descriptor is kept open between calls: each call opens the workspace root, works
//! beneath it and closes everything before returning (the server may host thousands of
//! workspaces under one file-descriptor limit).
//!
//! # Error messages
//!
//! Errors name only the relative path the client gave, never the absolute host path of the
//! workspace.

use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use arranger_domain::Timestamp;
use arranger_domain::fs::{DirEntry, FileKind, FileStat};
use cap_std::fs::{Dir, Metadata, MetadataExt, OpenOptions, OpenOptionsExt};

/// The longest accepted workspace path, in bytes.
pub const MAX_PATH_BYTES: usize = 4096;

/// The longest accepted path component (file or directory name), in bytes.
pub const MAX_COMPONENT_BYTES: usize = 255;

/// Name prefix of the temporary files that [`Workspace::write`] creates next to its target
/// while writing atomically. File watchers may ignore names with this prefix.
pub const TEMP_FILE_PREFIX: &str = ".arranger-tmp-";

/// `O_NONBLOCK` on the Linux architectures where its value is `0o4000`: opening a FIFO for
/// reading must never block the calling thread.
#[cfg(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64"
    )
))]
const NONBLOCK_FLAG: Option<i32> = Some(0o4000);
#[cfg(not(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64"
    )
)))]
const NONBLOCK_FLAG: Option<i32> = None;

/// Why a workspace file operation failed.
///
/// Every variant carries the workspace-relative path the client gave (never a host path), so
/// the message can be shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FsError {
    /// The path is malformed: see the reason.
    #[error("invalid path {path:?}: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The path resolves (through a symbolic link) to a location outside the workspace.
    #[error(
        "path {path:?} is outside the workspace: it goes through a symbolic link that points \
         outside the workspace (or has an absolute target); only links that stay inside the \
         workspace can be followed"
    )]
    OutsideWorkspace {
        /// The path as given.
        path: String,
    },
    /// Nothing exists at the path.
    #[error("{path:?} does not exist in the workspace")]
    NotFound {
        /// The path as given (or the missing parent directory).
        path: String,
    },
    /// Something already exists at the path.
    #[error("{path:?} already exists")]
    AlreadyExists {
        /// The path as given.
        path: String,
    },
    /// The path (or one of its parent components) is not a directory.
    #[error("{path:?} is not a directory (or one of its parent components is not a directory)")]
    NotADirectory {
        /// The path as given.
        path: String,
    },
    /// The path is a directory, but the operation needs a file.
    #[error("{path:?} is a directory")]
    IsADirectory {
        /// The path as given.
        path: String,
    },
    /// The directory still has entries.
    #[error("directory {path:?} is not empty (delete it recursively to remove its contents too)")]
    DirectoryNotEmpty {
        /// The path as given.
        path: String,
    },
    /// The file is bigger than the caller allowed.
    #[error("{path:?} is {size} bytes, more than the limit of {max} bytes")]
    TooLarge {
        /// The path as given.
        path: String,
        /// The file's size in bytes (at least this much).
        size: u64,
        /// The limit in bytes.
        max: u64,
    },
    /// Any other I/O failure.
    #[error("could not access {path:?}: {message}")]
    Io {
        /// The path as given.
        path: String,
        /// What went wrong (never contains a host path).
        message: String,
    },
}

impl FsError {
    /// The relative path the error is about.
    pub fn path(&self) -> &str {
        match self {
            FsError::InvalidPath { path, .. }
            | FsError::OutsideWorkspace { path }
            | FsError::NotFound { path }
            | FsError::AlreadyExists { path }
            | FsError::NotADirectory { path }
            | FsError::IsADirectory { path }
            | FsError::DirectoryNotEmpty { path }
            | FsError::TooLarge { path, .. }
            | FsError::Io { path, .. } => path,
        }
    }

    /// A stable machine-readable code for the error kind (`"not_found"`, `"outside_workspace"`,
    /// ...), for protocol error data.
    pub fn code(&self) -> &'static str {
        match self {
            FsError::InvalidPath { .. } => "invalid_path",
            FsError::OutsideWorkspace { .. } => "outside_workspace",
            FsError::NotFound { .. } => "not_found",
            FsError::AlreadyExists { .. } => "already_exists",
            FsError::NotADirectory { .. } => "not_a_directory",
            FsError::IsADirectory { .. } => "is_a_directory",
            FsError::DirectoryNotEmpty { .. } => "directory_not_empty",
            FsError::TooLarge { .. } => "too_large",
            FsError::Io { .. } => "io",
        }
    }

    /// Whether the error is [`FsError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, FsError::NotFound { .. })
    }

    /// Whether the error is [`FsError::OutsideWorkspace`] or an [`FsError::InvalidPath`],
    /// i.e. the client asked for something it may never access.
    pub fn is_refused_path(&self) -> bool {
        matches!(
            self,
            FsError::OutsideWorkspace { .. } | FsError::InvalidPath { .. }
        )
    }
}

/// Options of [`Workspace::write`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    /// Create missing parent directories (like `mkdir -p`). Default: `false`.
    pub create_parents: bool,
    /// Replace an existing file. When `false` and the target exists, the write fails with
    /// [`FsError::AlreadyExists`] (atomically: the check and the creation are one step).
    /// Default: `true`.
    pub overwrite: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            create_parents: false,
            overwrite: true,
        }
    }
}

/// A user's workspace directory, accessed only through jailed, workspace-relative paths.
///
/// Cheap to clone; holds no open file descriptors. See the [module documentation](self) for
/// the security model.
#[derive(Clone, Debug)]
pub struct Workspace {
    root: PathBuf,
    hidden: Vec<String>,
}

/// A validated, normalised workspace-relative path.
#[derive(Debug)]
struct RelPath {
    comps: Vec<String>,
}

impl RelPath {
    fn is_root(&self) -> bool {
        self.comps.is_empty()
    }

    fn joined(&self) -> String {
        join(&self.comps)
    }

    /// The parent components and the final name; `None` for the root.
    fn split_last(&self) -> Option<(&[String], &str)> {
        self.comps
            .split_last()
            .map(|(last, parent)| (parent, last.as_str()))
    }
}

fn join(comps: &[String]) -> String {
    comps.join("/")
}

/// An opened directory of the workspace and, when hidden names are configured, its resolved
/// location relative to the root.
struct OpenedDir<'r> {
    dir: DirRef<'r>,
    /// Resolved (symlink-free) components; `None` when no location check was needed.
    location: Option<Vec<String>>,
}

enum DirRef<'r> {
    Root(&'r Dir),
    Sub(Dir),
}

impl OpenedDir<'_> {
    fn dir(&self) -> &Dir {
        match &self.dir {
            DirRef::Root(d) => d,
            DirRef::Sub(d) => d,
        }
    }

    /// Whether this directory is the workspace root (as far as hidden names matter).
    fn is_root(&self) -> bool {
        match &self.location {
            Some(loc) => loc.is_empty(),
            None => matches!(self.dir, DirRef::Root(_)),
        }
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Workspace {
    /// A workspace rooted at `root` (an absolute host path). Nothing is opened yet.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Workspace {
            root: root.into(),
            hidden: Vec::new(),
        }
    }

    /// Top-level names inside the workspace that the API must treat as nonexistent and refuse
    /// (e.g. the server's data dir `.arranger` when it lives inside the workspace in
    /// single-user mode). Names that are not a single valid component are ignored.
    #[must_use]
    pub fn with_hidden(mut self, names: impl IntoIterator<Item = String>) -> Self {
        for name in names {
            let valid = !name.is_empty()
                && name != "."
                && name != ".."
                && !name.contains('/')
                && !name.contains('\0');
            if valid && !self.hidden.contains(&name) {
                self.hidden.push(name);
            }
        }
        self
    }

    /// The workspace's root directory on the host. Never show this to clients.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The hidden top-level names (see [`Workspace::with_hidden`]).
    pub fn hidden(&self) -> &[String] {
        &self.hidden
    }

    /// Reads a whole file. Follows symbolic links that stay inside the workspace.
    ///
    /// Fails with [`FsError::TooLarge`] when the file is bigger than `max_bytes`, with
    /// [`FsError::IsADirectory`] for a directory and with [`FsError::Io`] for anything that
    /// is not a regular file (FIFOs, sockets, devices).
    pub fn read(&self, path: &str, max_bytes: u64) -> Result<Vec<u8>, FsError> {
        let rel = self.parse(path)?;
        if rel.is_root() {
            return Err(FsError::IsADirectory {
                path: path.to_owned(),
            });
        }
        let root = self.open_root(path)?;
        let target = rel.joined();

        if NONBLOCK_FLAG.is_none() {
            // Without O_NONBLOCK, make sure not to open a FIFO (which would block).
            let meta = root.metadata(&target).map_err(|e| self.map_io(e, path))?;
            check_readable(&meta, path)?;
        }
        let mut options = OpenOptions::new();
        options.read(true);
        if let Some(flag) = NONBLOCK_FLAG {
            options.custom_flags(flag);
        }
        let file = root
            .open_with(&target, &options)
            .map_err(|e| self.map_io(e, path))?;
        let meta = file.metadata().map_err(|e| self.map_io(e, path))?;
        if !self.hidden.is_empty() {
            self.locate(&root, &target, &meta, path)?;
        }
        check_readable(&meta, path)?;
        if meta.len() > max_bytes {
            return Err(FsError::TooLarge {
                path: path.to_owned(),
                size: meta.len(),
                max: max_bytes,
            });
        }
        let capacity = usize::try_from(meta.len()).unwrap_or(0);
        let mut data = Vec::with_capacity(capacity);
        (&file)
            .take(max_bytes.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| self.map_io(e, path))?;
        let read = data.len() as u64;
        if read > max_bytes {
            return Err(FsError::TooLarge {
                path: path.to_owned(),
                size: read,
                max: max_bytes,
            });
        }
        Ok(data)
    }

    /// Writes a whole file atomically: the data goes to a temporary sibling file which is then
    /// renamed over the target, so readers see either the old or the new content. The
    /// temporary file is removed on any error.
    ///
    /// An existing regular file keeps its permissions. **A final symbolic link is replaced by
    /// a regular file**; its target is never written. Directories in the middle of the path
    /// may be symbolic links that stay inside the workspace.
    pub fn write(&self, path: &str, data: &[u8], opts: WriteOptions) -> Result<FileStat, FsError> {
        let rel = self.parse(path)?;
        let Some((parent, name)) = rel.split_last() else {
            return Err(root_not_allowed(path, "write to"));
        };
        let root = self.open_root(path)?;
        let dir = if opts.create_parents {
            self.ensure_dirs(&root, parent, path)?
        } else {
            self.open_parent(&root, parent, &join(parent), path)?
        };
        self.check_child(&dir, name, path)?;
        let d = dir.dir();

        let existing = match d.symlink_metadata(name) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(self.map_io(e, path)),
        };
        let mut keep_permissions = None;
        if let Some(meta) = &existing {
            if !opts.overwrite {
                return Err(FsError::AlreadyExists {
                    path: path.to_owned(),
                });
            }
            if meta.is_dir() {
                return Err(FsError::IsADirectory {
                    path: path.to_owned(),
                });
            }
            if meta.is_file() {
                keep_permissions = Some(meta.permissions());
            }
        }

        let (temp_name, mut file) = self.create_temp(d, path)?;
        let result = (|| -> Result<(), FsError> {
            file.write_all(data).map_err(|e| self.map_io(e, path))?;
            if let Some(perms) = keep_permissions {
                file.set_permissions(perms)
                    .map_err(|e| self.map_io(e, path))?;
            }
            file.sync_data().map_err(|e| self.map_io(e, path))?;
            drop(file);
            if opts.overwrite {
                d.rename(&temp_name, d, name)
                    .map_err(|e| self.map_io(e, path))
            } else {
                self.link_no_replace(d, &temp_name, name, path)
            }
        })();
        if result.is_err() || !opts.overwrite {
            // After a successful no-replace link the temporary name is an extra hard link.
            if let Err(e) = d.remove_file(&temp_name)
                && e.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!(error = %e, "could not remove a temporary file after a write");
            }
        }
        result?;
        let meta = d.symlink_metadata(name).map_err(|e| self.map_io(e, path))?;
        Ok(file_stat(rel.joined(), &meta))
    }

    /// Metadata of a file, directory or link. Does not follow a final symbolic link (reports
    /// [`FileKind::Symlink`]). `""` and `"."` give the workspace root.
    pub fn stat(&self, path: &str) -> Result<FileStat, FsError> {
        let rel = self.parse(path)?;
        let root = self.open_root(path)?;
        let Some((parent, name)) = rel.split_last() else {
            let meta = root.dir_metadata().map_err(|e| self.map_io(e, path))?;
            return Ok(file_stat(String::new(), &meta));
        };
        let dir = self.open_parent(&root, parent, path, path)?;
        self.check_child(&dir, name, path)?;
        let meta = dir
            .dir()
            .symlink_metadata(name)
            .map_err(|e| self.map_io(e, path))?;
        Ok(file_stat(rel.joined(), &meta))
    }

    /// Resolves a directory of the workspace for a process's working directory: `""` is the
    /// root. Follows links that stay inside; refuses anything else like every other call.
    /// Returns the symlink-free workspace-relative path and the host path (never show the
    /// latter to clients).
    pub fn resolve_dir(&self, path: &str) -> Result<(String, PathBuf), FsError> {
        let rel = self.parse(path)?;
        let root = self.open_root(path)?;
        if rel.is_root() {
            return Ok((String::new(), self.root.clone()));
        }
        let target = join(&rel.comps);
        let dir = root.open_dir(&target).map_err(|e| self.map_io(e, path))?;
        let meta = dir.dir_metadata().map_err(|e| self.map_io(e, path))?;
        let comps = self.locate(&root, &target, &meta, path)?;
        let resolved = join(&comps);
        let host = if comps.is_empty() {
            self.root.clone()
        } else {
            self.root.join(&resolved)
        };
        Ok((resolved, host))
    }

    /// Lists a directory, sorted by name. Follows symbolic links (to directories inside the
    /// workspace); entries themselves are reported without following links. Hidden names are
    /// omitted from the root listing. Entries whose names are not valid UTF-8 are skipped.
    pub fn list(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let rel = self.parse(path)?;
        let root = self.open_root(path)?;
        let dir = self.open_dir_checked(&root, &rel.comps, path)?;
        let hide = !self.hidden.is_empty() && dir.is_root();
        let entries = dir.dir().entries().map_err(|e| self.map_io(e, path))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.map_io(e, path))?;
            let Ok(name) = entry.file_name().into_string() else {
                tracing::debug!("skipping a directory entry with a non-UTF-8 name");
                continue;
            };
            if hide && self.is_hidden(&name) {
                continue;
            }
            let meta = match entry.metadata() {
                Ok(meta) => meta,
                // Removed while listing.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(self.map_io(e, path)),
            };
            out.push(DirEntry {
                name,
                kind: file_kind(&meta),
                size: entry_size(&meta),
                modified: modified_ms(&meta),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Creates a directory. With `recursive`, missing parents are created too and an existing
    /// directory is not an error (like `mkdir -p`); without it, the parent must exist and the
    /// target must not.
    pub fn mkdir(&self, path: &str, recursive: bool) -> Result<FileStat, FsError> {
        let rel = self.parse(path)?;
        let Some((parent, name)) = rel.split_last() else {
            return Err(root_not_allowed(path, "create"));
        };
        let root = self.open_root(path)?;
        let dir = if recursive {
            self.ensure_dirs(&root, parent, path)?
        } else {
            self.open_parent(&root, parent, &join(parent), path)?
        };
        self.check_child(&dir, name, path)?;
        let d = dir.dir();
        match d.create_dir(name) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && recursive => {
                // Fine if it is a directory (possibly through a link inside the workspace).
                match self.open_dir_checked(&root, &rel.comps, path) {
                    Ok(_) => {}
                    Err(FsError::NotADirectory { .. }) => {
                        return Err(FsError::AlreadyExists {
                            path: path.to_owned(),
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(self.map_io(e, path)),
        }
        let meta = d.symlink_metadata(name).map_err(|e| self.map_io(e, path))?;
        Ok(file_stat(rel.joined(), &meta))
    }

    /// Deletes a file, a symbolic link (the link itself, never its target) or a directory.
    /// A non-empty directory needs `recursive` (which never follows links inside it). The
    /// workspace root cannot be deleted.
    pub fn delete(&self, path: &str, recursive: bool) -> Result<(), FsError> {
        let rel = self.parse(path)?;
        let Some((parent, name)) = rel.split_last() else {
            return Err(root_not_allowed(path, "delete"));
        };
        let root = self.open_root(path)?;
        let dir = self.open_parent(&root, parent, path, path)?;
        self.check_child(&dir, name, path)?;
        let d = dir.dir();
        let meta = d.symlink_metadata(name).map_err(|e| self.map_io(e, path))?;
        let result = if meta.is_dir() {
            if recursive {
                d.remove_dir_all(name)
            } else {
                d.remove_dir(name)
            }
        } else {
            d.remove_file(name)
        };
        result.map_err(|e| self.map_io(e, path))
    }

    /// Renames (moves) a file, directory or link. A link is moved itself.
    ///
    /// With `overwrite`, an existing destination is replaced following POSIX rules: a file
    /// may replace a file or link, a directory may replace an empty directory. Without it, an
    /// existing destination fails with [`FsError::AlreadyExists`] (checked just before the
    /// rename; not atomic against concurrent writers). A directory cannot be moved into itself
    /// and the root cannot be moved. Renaming a path to itself is a no-op.
    pub fn rename(&self, from: &str, to: &str, overwrite: bool) -> Result<FileStat, FsError> {
        let src = self.parse(from)?;
        let dst = self.parse(to)?;
        let Some((src_parent, src_name)) = src.split_last() else {
            return Err(root_not_allowed(from, "move"));
        };
        let Some((dst_parent, dst_name)) = dst.split_last() else {
            return Err(root_not_allowed(to, "replace"));
        };
        if dst.comps.len() > src.comps.len() && dst.comps.starts_with(&src.comps) {
            return Err(FsError::InvalidPath {
                path: to.to_owned(),
                reason: format!("a directory cannot be moved into itself ({from:?})"),
            });
        }
        let root = self.open_root(from)?;
        let src_dir = self.open_parent(&root, src_parent, from, from)?;
        self.check_child(&src_dir, src_name, from)?;
        let src_meta = src_dir
            .dir()
            .symlink_metadata(src_name)
            .map_err(|e| self.map_io(e, from))?;
        if src.comps == dst.comps {
            return Ok(file_stat(src.joined(), &src_meta));
        }
        let dst_dir = self.open_parent(&root, dst_parent, &join(dst_parent), to)?;
        self.check_child(&dst_dir, dst_name, to)?;
        if !overwrite {
            match dst_dir.dir().symlink_metadata(dst_name) {
                Ok(_) => {
                    return Err(FsError::AlreadyExists {
                        path: to.to_owned(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(self.map_io(e, to)),
            }
        }
        src_dir
            .dir()
            .rename(src_name, dst_dir.dir(), dst_name)
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => FsError::NotFound {
                    path: from.to_owned(),
                },
                io::ErrorKind::InvalidInput => FsError::InvalidPath {
                    path: to.to_owned(),
                    reason: format!("a directory cannot be moved into itself ({from:?})"),
                },
                io::ErrorKind::CrossesDevices => FsError::Io {
                    path: to.to_owned(),
                    message: "cannot move across file systems".to_owned(),
                },
                _ => self.map_io(e, to),
            })?;
        let meta = dst_dir
            .dir()
            .symlink_metadata(dst_name)
            .map_err(|e| self.map_io(e, to))?;
        Ok(file_stat(dst.joined(), &meta))
    }

    // ----- internals -----

    fn is_hidden(&self, name: &str) -> bool {
        self.hidden.iter().any(|h| h == name)
    }

    /// Lexical validation, then the lexical hidden-name check.
    fn parse(&self, path: &str) -> Result<RelPath, FsError> {
        let rel = parse_path(path)?;
        if let Some(first) = rel.comps.first()
            && self.is_hidden(first)
        {
            return Err(FsError::NotFound {
                path: path.to_owned(),
            });
        }
        Ok(rel)
    }

    fn open_root(&self, path: &str) -> Result<Dir, FsError> {
        Dir::open_ambient_dir(&self.root, cap_std::ambient_authority()).map_err(|e| {
            tracing::warn!(error = %e, "could not open a workspace root");
            FsError::Io {
                path: path.to_owned(),
                message: format!("the workspace directory is not available ({})", e.kind()),
            }
        })
    }

    /// Opens the parent directory `comps` of a client path. `not_found_path` is reported when
    /// the parent does not exist; `path` for every other error.
    fn open_parent<'r>(
        &self,
        root: &'r Dir,
        comps: &[String],
        not_found_path: &str,
        path: &str,
    ) -> Result<OpenedDir<'r>, FsError> {
        self.open_dir_checked(root, comps, path)
            .map_err(|e| match e {
                FsError::NotFound { .. } => FsError::NotFound {
                    path: if comps.is_empty() {
                        path.to_owned()
                    } else {
                        not_found_path.to_owned()
                    },
                },
                other => other,
            })
    }

    /// Opens the directory `comps` beneath the root (following links that stay inside) and,
    /// when hidden names are configured, checks its resolved location.
    fn open_dir_checked<'r>(
        &self,
        root: &'r Dir,
        comps: &[String],
        path: &str,
    ) -> Result<OpenedDir<'r>, FsError> {
        if comps.is_empty() {
            return Ok(OpenedDir {
                dir: DirRef::Root(root),
                location: None,
            });
        }
        let target = join(comps);
        let dir = root.open_dir(&target).map_err(|e| self.map_io(e, path))?;
        let location = if self.hidden.is_empty() {
            None
        } else {
            let meta = dir.dir_metadata().map_err(|e| self.map_io(e, path))?;
            Some(self.locate(root, &target, &meta, path)?)
        };
        Ok(OpenedDir {
            dir: DirRef::Sub(dir),
            location,
        })
    }

    /// Creates the directories `comps` as needed (like `mkdir -p`) and opens the last one.
    fn ensure_dirs<'r>(
        &self,
        root: &'r Dir,
        comps: &[String],
        path: &str,
    ) -> Result<OpenedDir<'r>, FsError> {
        for i in 1..=comps.len() {
            match self.open_dir_checked(root, &comps[..i], path) {
                Ok(_) => continue,
                Err(FsError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
            let parent = self.open_dir_checked(root, &comps[..i - 1], path)?;
            let name = &comps[i - 1];
            self.check_child(&parent, name, path)?;
            match parent.dir().create_dir(name) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(self.map_io(e, path)),
            }
        }
        self.open_dir_checked(root, comps, path)
    }

    /// Refuses a hidden name directly inside the root (when reached through a link).
    fn check_child(&self, dir: &OpenedDir<'_>, name: &str, path: &str) -> Result<(), FsError> {
        if !self.hidden.is_empty() && dir.is_root() && self.is_hidden(name) {
            return Err(FsError::NotFound {
                path: path.to_owned(),
            });
        }
        Ok(())
    }

    /// Resolves `target` to its symlink-free location beneath the root, refuses hidden
    /// locations and checks that the object found there is the one already opened (`meta`).
    fn locate(
        &self,
        root: &Dir,
        target: &str,
        meta: &Metadata,
        path: &str,
    ) -> Result<Vec<String>, FsError> {
        let canonical = root
            .canonicalize(target)
            .map_err(|e| self.map_io(e, path))?;
        let comps: Vec<String> = canonical
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        if let Some(first) = comps.first()
            && self.is_hidden(first)
        {
            return Err(FsError::NotFound {
                path: path.to_owned(),
            });
        }
        let found = if comps.is_empty() {
            root.dir_metadata()
        } else {
            root.symlink_metadata(&canonical)
        }
        .map_err(|e| self.map_io(e, path))?;
        if found.dev() != meta.dev() || found.ino() != meta.ino() {
            return Err(FsError::Io {
                path: path.to_owned(),
                message: "the path changed while it was being accessed; try again".to_owned(),
            });
        }
        Ok(comps)
    }

    /// Creates a new, uniquely named temporary file in `dir`.
    fn create_temp(&self, dir: &Dir, path: &str) -> Result<(String, cap_std::fs::File), FsError> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        let mut last_error = None;
        for _ in 0..16 {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let name = format!(
                "{TEMP_FILE_PREFIX}{}-{}-{nanos:08x}",
                std::process::id(),
                TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            match dir.open_with(&name, &options) {
                Ok(file) => return Ok((name, file)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(self.map_io(e, path)),
            }
        }
        Err(FsError::Io {
            path: path.to_owned(),
            message: format!(
                "could not create a temporary file next to it ({})",
                last_error.map_or_else(|| "unknown error".to_owned(), |e| describe(&e))
            ),
        })
    }

    /// Puts the finished temporary file at `name` unless something exists there. Uses a hard
    /// link (atomic); falls back to check-then-rename where hard links are not supported.
    fn link_no_replace(
        &self,
        dir: &Dir,
        temp: &str,
        name: &str,
        path: &str,
    ) -> Result<(), FsError> {
        match dir.hard_link(temp, dir, name) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(FsError::AlreadyExists {
                path: path.to_owned(),
            }),
            Err(e) => {
                tracing::debug!(error = %e, "hard link failed; falling back to check and rename");
                match dir.symlink_metadata(name) {
                    Ok(_) => Err(FsError::AlreadyExists {
                        path: path.to_owned(),
                    }),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => dir
                        .rename(temp, dir, name)
                        .map_err(|e| self.map_io(e, path)),
                    Err(e) => Err(self.map_io(e, path)),
                }
            }
        }
    }

    /// Maps an I/O error to an [`FsError`] about the client path `path`.
    fn map_io(&self, e: io::Error, path: &str) -> FsError {
        let path = path.to_owned();
        if is_escape(&e) {
            return FsError::OutsideWorkspace { path };
        }
        match e.kind() {
            io::ErrorKind::NotFound => FsError::NotFound { path },
            io::ErrorKind::AlreadyExists => FsError::AlreadyExists { path },
            io::ErrorKind::NotADirectory => FsError::NotADirectory { path },
            io::ErrorKind::IsADirectory => FsError::IsADirectory { path },
            io::ErrorKind::DirectoryNotEmpty => FsError::DirectoryNotEmpty { path },
            _ => {
                let mut message = describe(&e);
                // Defence in depth: OS error texts carry no paths, but never leak the root.
                let root = self.root.to_string_lossy();
                if !root.is_empty() && message.contains(root.as_ref()) {
                    message = message.replace(root.as_ref(), "<workspace>");
                }
                FsError::Io { path, message }
            }
        }
    }
}

/// cap-std reports an attempt to leave the directory handle as a `PermissionDenied` error
/// without an OS error code ("a path led outside of the filesystem"); a real `EACCES` has one.
fn is_escape(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::PermissionDenied && e.raw_os_error().is_none()
}

/// A user-presentable description of an I/O error without any path in it.
fn describe(e: &io::Error) -> String {
    if e.raw_os_error().is_some() {
        e.to_string()
    } else {
        e.kind().to_string()
    }
}

fn root_not_allowed(path: &str, verb: &str) -> FsError {
    FsError::InvalidPath {
        path: path.to_owned(),
        reason: format!("cannot {verb} the workspace root itself; give a path inside it"),
    }
}

fn check_readable(meta: &Metadata, path: &str) -> Result<(), FsError> {
    if meta.is_dir() {
        return Err(FsError::IsADirectory {
            path: path.to_owned(),
        });
    }
    if !meta.is_file() {
        return Err(FsError::Io {
            path: path.to_owned(),
            message: "not a regular file (FIFOs, sockets and devices cannot be read)".to_owned(),
        });
    }
    Ok(())
}

/// Validates a client path lexically and normalises it into components.
fn parse_path(path: &str) -> Result<RelPath, FsError> {
    let invalid = |reason: &str| FsError::InvalidPath {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    if path.len() > MAX_PATH_BYTES {
        return Err(invalid(&format!(
            "it is {} bytes long; the limit is {MAX_PATH_BYTES} bytes",
            path.len()
        )));
    }
    if path.contains('\0') {
        return Err(invalid("it contains a NUL byte"));
    }
    if path.chars().any(char::is_control) {
        return Err(invalid("it contains a control character"));
    }
    if path.starts_with('/') {
        return Err(invalid(
            "absolute paths are not allowed: paths are relative to the workspace root \
             (use \"src/main.rs\", not \"/src/main.rs\")",
        ));
    }
    if path.contains('\\') {
        return Err(invalid(
            "it contains a backslash: use `/` to separate path components",
        ));
    }
    let mut comps = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                return Err(invalid(
                    "it would lead outside the workspace: paths are relative to the workspace \
                     root and may not contain `..`",
                ));
            }
            _ => {
                if comp.len() > MAX_COMPONENT_BYTES {
                    return Err(invalid(&format!(
                        "a component is {} bytes long; the limit is {MAX_COMPONENT_BYTES} bytes",
                        comp.len()
                    )));
                }
                comps.push(comp.to_owned());
            }
        }
    }
    Ok(RelPath { comps })
}

fn file_kind(meta: &Metadata) -> FileKind {
    let ft = meta.file_type();
    if ft.is_symlink() {
        FileKind::Symlink
    } else if ft.is_dir() {
        FileKind::Dir
    } else if ft.is_file() {
        FileKind::File
    } else {
        FileKind::Other
    }
}

/// Directory sizes are file-system specific and meaningless to clients: report 0.
fn entry_size(meta: &Metadata) -> u64 {
    if meta.is_dir() { 0 } else { meta.len() }
}

fn modified_ms(meta: &Metadata) -> Option<Timestamp> {
    let modified = meta.modified().ok()?.into_std();
    Some(match modified.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    })
}

fn file_stat(path: String, meta: &Metadata) -> FileStat {
    FileStat {
        path,
        kind: file_kind(meta),
        size: entry_size(meta),
        modified: modified_ms(meta),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_normalises() {
        assert_eq!(parse_path("").unwrap().comps, Vec::<String>::new());
        assert_eq!(parse_path(".").unwrap().comps, Vec::<String>::new());
        assert_eq!(parse_path("a//./b/").unwrap().comps, vec!["a", "b"]);
        assert_eq!(parse_path("...").unwrap().comps, vec!["..."]);
    }

    #[test]
    fn parse_rejects() {
        for bad in [
            "..", "a/..", "a/../b", "/etc", "a\\b", "a\0b", "a\nb", "\u{7f}", "\u{85}",
        ] {
            assert!(
                matches!(parse_path(bad), Err(FsError::InvalidPath { .. })),
                "{bad:?}"
            );
        }
        assert!(parse_path(&"a".repeat(256)).is_err());
        assert!(parse_path(&"a".repeat(255)).is_ok());
        assert!(parse_path(&"a/".repeat(2049)).is_err());
    }

    #[test]
    fn escape_detection() {
        let escape = io::Error::new(
            io::ErrorKind::PermissionDenied,
            "a path led outside of the filesystem",
        );
        assert!(is_escape(&escape));
        assert!(!is_escape(&io::Error::from_raw_os_error(13)));
    }

    #[test]
    fn messages_are_helpful() {
        let err = parse_path("../x").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("\"../x\""), "{msg}");
        assert!(msg.contains("outside the workspace"), "{msg}");
        assert_eq!(err.code(), "invalid_path");
        assert!(err.is_refused_path());
    }
}
