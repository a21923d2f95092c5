//! File change notifications for workspaces.
//!
//! One [`WatchHub`] serves the whole process: it owns a single debounced `notify` watcher
//! (one inotify instance on Linux, where the kernel allows only 128 instances per user) and
//! routes every change to the registered workspace root that contains it. Each
//! [`WatchHub::watch`] call registers a root with a tokio channel; the returned [`WatchGuard`]
//! unregisters it on drop.
//!
//! * Changes are delivered as batches of workspace-relative [`FileChange`]s, one batch per
//!   debounce tick (about 200 ms) and subscriber.
//! * An event belongs to the registered root that is its **longest** prefix, so nested roots
//!   do not see each other's changes twice: a change below an inner root goes only to the
//!   inner root's subscribers.
//! * Several subscribers may watch the same root; each gets every change (filtered by its own
//!   hidden names).
//! * Delivery uses `try_send`: a slow consumer never blocks the watcher thread; when its
//!   channel is full the batch is dropped and a warning is logged.
//! * When the kernel's event queue overflowed and changes may have been lost, every subscriber
//!   receives a [`FileChangeKind::Modified`] change for the root path `""`: re-list.
//! * Symbolic links are not followed while watching, so a link to a directory outside the
//!   workspace does not make its changes visible.
//! * Temporary files of [`crate::fs::Workspace::write`] (see [`crate::fs::TEMP_FILE_PREFIX`])
//!   are filtered out.
//!
//! Recursive inotify watches need one kernel watch per directory; large trees count against
//! `fs.inotify.max_user_watches`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use arranger_domain::fs::{FileChange, FileChangeKind};
use notify::event::{EventKind, ModifyKind, RenameMode};
use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, DebouncedEvent, Debouncer, RecommendedCache, new_debouncer_opt,
};
use tokio::sync::mpsc::{self, error::TrySendError};

use crate::fs::TEMP_FILE_PREFIX;

/// How long events are collected and merged before they are delivered.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// Why watching failed. Messages may contain host paths: log them, do not send them to
/// clients.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The file watcher could not be started (e.g. the inotify instance limit is reached).
    #[error("could not start the file watcher: {0}")]
    Init(#[source] notify::Error),
    /// The root does not exist or is not a directory.
    #[error("cannot watch {path:?}: {message}")]
    InvalidRoot {
        /// The root as given.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The watcher refused the root (e.g. the inotify watch limit is reached).
    #[error("could not watch {path:?}: {source}")]
    Watch {
        /// The root as given.
        path: PathBuf,
        /// The watcher's error.
        #[source]
        source: notify::Error,
    },
}

/// The process-wide file watcher. Cheap to clone (all clones share one watcher).
#[derive(Clone)]
pub struct WatchHub {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for WatchHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let routes = read(&self.inner.routes);
        f.debug_struct("WatchHub")
            .field("roots", &routes.roots.len())
            .finish()
    }
}

/// Keeps one registration of [`WatchHub::watch`] alive; dropping it stops the delivery (and
/// the kernel watch, once no one else watches the root).
#[must_use = "dropping the guard stops watching"]
pub struct WatchGuard {
    inner: Arc<Inner>,
    root: PathBuf,
    id: u64,
}

impl std::fmt::Debug for WatchGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchGuard").field("id", &self.id).finish()
    }
}

impl WatchGuard {
    /// The canonical root this guard watches.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

struct Inner {
    /// Serialises changes of the kernel watches. Never held together with a `routes` lock
    /// while calling into the debouncer.
    control: Mutex<Control>,
    /// Read by the debouncer thread for every batch.
    routes: Arc<RwLock<Routes>>,
    next_id: AtomicU64,
}

struct Control {
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    /// Roots with a kernel watch (those without a registered ancestor).
    watched: BTreeSet<PathBuf>,
}

#[derive(Default)]
struct Routes {
    roots: BTreeMap<PathBuf, Vec<Subscriber>>,
}

struct Subscriber {
    id: u64,
    hidden: Vec<String>,
    sink: mpsc::Sender<Vec<FileChange>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

impl WatchHub {
    /// Starts the process-wide watcher (one inotify instance and one debouncer thread).
    pub fn new() -> Result<Self, WatchError> {
        let routes: Arc<RwLock<Routes>> = Arc::default();
        let handler_routes = Arc::clone(&routes);
        let config = notify::Config::default().with_follow_symlinks(false);
        let debouncer = new_debouncer_opt::<_, RecommendedWatcher, RecommendedCache>(
            DEBOUNCE,
            None,
            move |result: DebounceEventResult| dispatch(&handler_routes, result),
            RecommendedCache::new(),
            config,
        )
        .map_err(WatchError::Init)?;
        Ok(WatchHub {
            inner: Arc::new(Inner {
                control: Mutex::new(Control {
                    debouncer,
                    watched: BTreeSet::new(),
                }),
                routes,
                next_id: AtomicU64::new(1),
            }),
        })
    }

    /// Watches `root` recursively; changes under it are delivered to `sink` as
    /// workspace-relative [`FileChange`] batches. Top-level `hidden` names are filtered out.
    /// Dropping the guard stops watching.
    pub fn watch(
        &self,
        root: &Path,
        hidden: Vec<String>,
        sink: mpsc::Sender<Vec<FileChange>>,
    ) -> Result<WatchGuard, WatchError> {
        let canonical = std::fs::canonicalize(root).map_err(|e| WatchError::InvalidRoot {
            path: root.to_owned(),
            message: e.to_string(),
        })?;
        if !canonical.is_dir() {
            return Err(WatchError::InvalidRoot {
                path: root.to_owned(),
                message: "not a directory".to_owned(),
            });
        }
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let mut control = lock(&self.inner.control);
        write(&self.inner.routes)
            .roots
            .entry(canonical.clone())
            .or_default()
            .push(Subscriber { id, hidden, sink });
        let failures = sync_watches(&mut control, &self.inner.routes, &canonical);
        if let Some((_, source)) = failures.into_iter().find(|(p, _)| *p == canonical) {
            remove_subscriber(&self.inner.routes, &canonical, id);
            let _ = sync_watches(&mut control, &self.inner.routes, &canonical);
            return Err(WatchError::Watch {
                path: root.to_owned(),
                source,
            });
        }
        drop(control);
        tracing::debug!(id, "watching a workspace root");
        Ok(WatchGuard {
            inner: Arc::clone(&self.inner),
            root: canonical,
            id,
        })
    }
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        let mut control = lock(&self.inner.control);
        remove_subscriber(&self.inner.routes, &self.root, self.id);
        for (path, error) in sync_watches(&mut control, &self.inner.routes, &self.root) {
            tracing::warn!(path = %path.display(), %error, "could not re-watch a workspace root");
        }
        tracing::debug!(id = self.id, "stopped watching a workspace root");
    }
}

fn remove_subscriber(routes: &RwLock<Routes>, root: &Path, id: u64) {
    let mut routes = write(routes);
    if let Some(subs) = routes.roots.get_mut(root) {
        subs.retain(|s| s.id != id);
        if subs.is_empty() {
            routes.roots.remove(root);
        }
    }
}

/// Brings the kernel watches in line with the registered roots around `changed` (the
/// root just added or removed, and the roots below it): every root without a registered
/// ancestor gets one recursive watch (an ancestor's recursive watch already covers nested
/// roots, and unwatching a nested root would remove the ancestor's watches below it).
/// Touches only that part of the tree, so adding the 10,000th root costs what the first
/// did. Returns the roots that could not be watched.
fn sync_watches(
    control: &mut Control,
    routes: &RwLock<Routes>,
    changed: &Path,
) -> Vec<(PathBuf, notify::Error)> {
    let desired: BTreeSet<PathBuf> = {
        let routes = read(routes);
        let covered = changed
            .ancestors()
            .skip(1)
            .any(|a| routes.roots.contains_key(a));
        let mut desired = BTreeSet::new();
        if !covered {
            // Paths order by components, so `changed` and its descendants are contiguous
            // and each top-level root comes before the roots nested in it.
            let mut top: Option<&PathBuf> = None;
            for root in routes.roots.range(changed.to_path_buf()..).map(|(p, _)| p) {
                if !root.starts_with(changed) {
                    break;
                }
                if top.is_some_and(|t| root.starts_with(t)) {
                    continue;
                }
                desired.insert(root.clone());
                top = Some(root);
            }
        }
        desired
    };
    let current: BTreeSet<PathBuf> = control
        .watched
        .range(changed.to_path_buf()..)
        .take_while(|p| p.starts_with(changed))
        .cloned()
        .collect();
    let to_remove: Vec<PathBuf> = current.difference(&desired).cloned().collect();
    let to_add: Vec<PathBuf> = desired.difference(&current).cloned().collect();
    for path in to_remove {
        if let Err(error) = control.debouncer.unwatch(&path) {
            tracing::debug!(path = %path.display(), %error, "unwatch failed");
        }
        control.watched.remove(&path);
    }
    let mut failures = Vec::new();
    for path in to_add {
        match control.debouncer.watch(&path, RecursiveMode::Recursive) {
            Ok(()) => {
                control.watched.insert(path);
            }
            Err(error) => {
                // Drop whatever part of the recursive watch was set up.
                let _ = control.debouncer.unwatch(&path);
                failures.push((path, error));
            }
        }
    }
    failures
}

/// Runs on the debouncer's thread: routes a batch of events to the subscribers' channels.
fn dispatch(routes: &RwLock<Routes>, result: DebounceEventResult) {
    let events = match result {
        Ok(events) => events,
        Err(errors) => {
            for error in errors {
                tracing::warn!(%error, "file watcher error");
            }
            return;
        }
    };
    let routes = read(routes);
    // Per subscriber: its channel and its changes, in event order.
    let mut batches: HashMap<u64, (mpsc::Sender<Vec<FileChange>>, Vec<FileChange>)> =
        HashMap::new();
    for event in &events {
        if event.need_rescan() {
            for subs in routes.roots.values() {
                for sub in subs {
                    batches
                        .entry(sub.id)
                        .or_insert_with(|| (sub.sink.clone(), Vec::new()))
                        .1
                        .push(FileChange {
                            path: String::new(),
                            kind: FileChangeKind::Modified,
                        });
                }
            }
            continue;
        }
        for (path, kind) in classify(event) {
            let Some((root, subs)) = route(&routes, path) else {
                continue;
            };
            let Some(rel) = relative(root, path) else {
                continue;
            };
            for sub in subs {
                if is_filtered(&rel, &sub.hidden) {
                    continue;
                }
                batches
                    .entry(sub.id)
                    .or_insert_with(|| (sub.sink.clone(), Vec::new()))
                    .1
                    .push(FileChange {
                        path: rel.clone(),
                        kind,
                    });
            }
        }
    }
    drop(routes);
    for (id, (sink, mut changes)) in batches {
        changes.dedup();
        let count = changes.len();
        match sink.try_send(changes) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                tracing::warn!(
                    subscriber = id,
                    count,
                    "file change consumer is too slow; dropped a batch of changes"
                );
            }
            Err(TrySendError::Closed(_)) => {
                tracing::debug!(subscriber = id, "file change consumer has gone away");
            }
        }
    }
}

/// Maps one debounced event to the changed paths and how they changed.
fn classify(event: &DebouncedEvent) -> Vec<(&Path, FileChangeKind)> {
    let paths = &event.paths;
    let all = |kind| paths.iter().map(|p| (p.as_path(), kind)).collect();
    match event.kind {
        EventKind::Access(_) => Vec::new(),
        EventKind::Create(_) => all(FileChangeKind::Created),
        EventKind::Remove(_) => all(FileChangeKind::Removed),
        EventKind::Modify(ModifyKind::Name(mode)) => match mode {
            RenameMode::From => all(FileChangeKind::Removed),
            RenameMode::To => all(FileChangeKind::Created),
            RenameMode::Both => {
                let mut out = Vec::new();
                if let Some(from) = paths.first() {
                    out.push((from.as_path(), FileChangeKind::Removed));
                }
                for to in paths.iter().skip(1) {
                    out.push((to.as_path(), FileChangeKind::Created));
                }
                out
            }
            RenameMode::Any | RenameMode::Other => paths
                .iter()
                .map(|p| {
                    let kind = if std::fs::symlink_metadata(p).is_ok() {
                        FileChangeKind::Created
                    } else {
                        FileChangeKind::Removed
                    };
                    (p.as_path(), kind)
                })
                .collect(),
        },
        EventKind::Modify(_) | EventKind::Any | EventKind::Other => all(FileChangeKind::Modified),
    }
}

/// The registered root that is the longest prefix of `path`, with its subscribers.
fn route<'r>(routes: &'r Routes, path: &Path) -> Option<(&'r Path, &'r [Subscriber])> {
    path.ancestors().find_map(|a| {
        routes
            .roots
            .get_key_value(a)
            .map(|(root, subs)| (root.as_path(), subs.as_slice()))
    })
}

/// `path` relative to `root`, `/`-separated; `None` for names that are not UTF-8.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let rest = path.strip_prefix(root).ok()?;
    let mut parts = Vec::new();
    for comp in rest.components() {
        match comp {
            Component::Normal(name) => parts.push(name.to_str()?),
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// Hidden top-level names and the temporary files of atomic writes are not reported.
fn is_filtered(rel: &str, hidden: &[String]) -> bool {
    let first = rel.split('/').next().unwrap_or_default();
    if !rel.is_empty() && hidden.iter().any(|h| h == first) {
        return true;
    }
    rel.rsplit('/')
        .next()
        .is_some_and(|name| name.starts_with(TEMP_FILE_PREFIX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let root = Path::new("/w/a");
        assert_eq!(relative(root, Path::new("/w/a")).as_deref(), Some(""));
        assert_eq!(
            relative(root, Path::new("/w/a/b/c.txt")).as_deref(),
            Some("b/c.txt")
        );
        assert_eq!(relative(root, Path::new("/w/ab")), None);
    }

    #[test]
    fn filtering() {
        let hidden = vec![".arranger".to_owned()];
        assert!(is_filtered(".arranger", &hidden));
        assert!(is_filtered(".arranger/db.sqlite", &hidden));
        assert!(!is_filtered("src/.arranger", &hidden));
        assert!(!is_filtered("", &hidden));
        assert!(is_filtered(
            &format!("src/{TEMP_FILE_PREFIX}1-2-3"),
            &hidden
        ));
    }

    #[test]
    fn longest_prefix_routing() {
        let (tx, _rx) = mpsc::channel(1);
        let mut routes = Routes::default();
        for (id, root) in [(1, "/w/a"), (2, "/w/a/inner")] {
            routes.roots.insert(
                PathBuf::from(root),
                vec![Subscriber {
                    id,
                    hidden: Vec::new(),
                    sink: tx.clone(),
                }],
            );
        }
        let (root, subs) = route(&routes, Path::new("/w/a/inner/x")).unwrap();
        assert_eq!(root, Path::new("/w/a/inner"));
        assert_eq!(subs[0].id, 2);
        let (root, _) = route(&routes, Path::new("/w/a/innerx")).unwrap();
        assert_eq!(root, Path::new("/w/a"));
        assert!(route(&routes, Path::new("/w/b")).is_none());
    }
}
