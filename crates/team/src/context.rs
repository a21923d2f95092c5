//! [`LiveIndex`]: one user's context-engine index, built in the background when the user's
//! context starts and kept fresh from the file watcher and the user's own events.
//!
//! The index itself ([`arranger_context::WorkspaceIndex`]) is synchronous CPU work; this
//! wrapper runs it on blocking threads, feeds it changed paths (coalesced over a short
//! window, one index commit per batch) and memory documents (the user's tasks and
//! Blackboard messages), and publishes its [`IndexStatus`] for the status bar.

use arranger_context::{
    IndexError, MemoryDoc, ParseCache, SearchRequest, SearchResult, WorkspaceIndex,
};
use arranger_domain::fs::FileChange;
use arranger_domain::{
    Author, Event, EventKind, IndexState, IndexStatus, Message, SnippetSource, SymbolInfo,
    SymbolMatch, Task, UserId,
};
use arranger_host::with_user;
use arranger_llm::CancellationToken;
use arranger_store::UserStore;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// How long changes are gathered into one index update (the watcher's own debounce
/// comes first).
const COALESCE: Duration = Duration::from_millis(40);
/// Blackboard messages indexed as memory when the index starts.
const MEMORY_MESSAGES: usize = 2_000;

/// Index builds and updates of every user (BRIEF A6: fair shares of CPU-heavy work): at
/// most two at once in the whole process, taken in turns by user, so a user with a large
/// repository and many changes waits behind other users' jobs rather than ahead of them.
static INDEX_JOBS: std::sync::LazyLock<arranger_fair::FairQueue> =
    std::sync::LazyLock::new(|| arranger_fair::FairQueue::new(2));

/// The nice value index jobs run at: below the runtime's threads, which serve every
/// user's requests, chats and agents, so those get the CPU first.
const INDEX_NICE: i32 = 10;

/// Runs a CPU-heavy index job on a thread of its own at [`INDEX_NICE`] (threads it starts,
/// such as the parallel walk's, inherit the priority). Not on tokio's blocking pool:
/// those threads are reused for database calls, and a thread cannot raise its priority
/// back without privilege.
async fn cpu_job<R: Send + 'static>(job: impl FnOnce() -> R + Send + 'static) -> Result<R, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("arranger-index".into())
        .spawn(move || {
            // SAFETY: setpriority(2) with `who` 0 changes only the calling thread on Linux
            // (the nice value is per thread); a failure leaves it at the normal priority.
            unsafe {
                libc::setpriority(libc::PRIO_PROCESS, 0, INDEX_NICE);
            }
            let _ = tx.send(job());
        })
        .map_err(|e| format!("cannot start an index thread: {e}"))?;
    rx.await.map_err(|_| "the index job stopped".to_owned())
}

/// The file watcher's feed, handed over once the watch is set up (after the index
/// started).
#[derive(Default)]
struct FileFeed {
    files: std::sync::Mutex<Option<broadcast::Receiver<Arc<Vec<FileChange>>>>>,
    ready: tokio::sync::Notify,
}

/// One user's live index.
pub struct LiveIndex {
    user: UserId,
    index: Arc<WorkspaceIndex>,
    /// The user's store, for loading memory on first use.
    store: UserStore,
    /// Set once the user's earlier tasks and messages are in memory.
    memory_loaded: tokio::sync::OnceCell<()>,
    status: watch::Sender<IndexStatus>,
    feed: Arc<FileFeed>,
    stop: CancellationToken,
}

impl Drop for LiveIndex {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl LiveIndex {
    /// Starts indexing `root` (the user's workspace, minus the top-level `hidden` names)
    /// and the user's tasks and messages in the background. Call inside `with_user(user)`.
    pub fn start(
        user: UserId,
        root: PathBuf,
        hidden: Vec<String>,
        store: UserStore,
        cache: Arc<ParseCache>,
        budget: u64,
    ) -> Result<Arc<LiveIndex>, IndexError> {
        let index = Arc::new(
            WorkspaceIndex::new(root, cache)?
                .with_hidden(hidden)
                .with_budget(budget),
        );
        let (status, _) = watch::channel(IndexStatus::default());
        let feed = Arc::new(FileFeed::default());
        let live = Arc::new(LiveIndex {
            user: user.clone(),
            index: index.clone(),
            store: store.clone(),
            memory_loaded: tokio::sync::OnceCell::new(),
            status: status.clone(),
            feed: feed.clone(),
            stop: CancellationToken::new(),
        });
        let stop = live.stop.clone();
        tokio::spawn(with_user(user.clone(), async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = run(user, index, store, status, feed) => {}
            }
        }));
        Ok(live)
    }

    /// Stops following changes (the user's context is going away).
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// The index's state now.
    pub fn status(&self) -> IndexStatus {
        let published = self.status.borrow().clone();
        match published.state {
            // While building, the progress published is the news; once built, the
            // index's own counts (memory changes without a notification).
            IndexState::Ready => self.index.status(),
            _ => published,
        }
    }

    /// Follows the index's state (for the status bar).
    pub fn subscribe(&self) -> watch::Receiver<IndexStatus> {
        self.status.subscribe()
    }

    /// What the index is doing now (cheap: no counts are gathered).
    pub fn state(&self) -> IndexState {
        self.status.borrow().state
    }

    /// Whether the first build finished.
    pub fn is_ready(&self) -> bool {
        self.status.borrow().state == IndexState::Ready
    }

    /// Feeds the file watcher's changes of the user's workspace to the index from now on
    /// (until the feed closes or the index stops).
    pub fn follow_files(&self, files: broadcast::Receiver<Arc<Vec<FileChange>>>) {
        if let Ok(mut slot) = self.feed.files.lock() {
            *slot = Some(files);
        }
        self.feed.ready.notify_one();
    }

    /// Loads the user's earlier tasks and Blackboard messages into memory, once: on the
    /// first search that asks for memory, not at session start (ten thousand idle users
    /// would all read their databases). Later ones arrive with the user's events.
    async fn load_memory(&self) {
        self.memory_loaded
            .get_or_init(|| async {
                let mut memory = Vec::new();
                match self.store.list_tasks(None, None).await {
                    Ok(tasks) => memory.extend(tasks.iter().map(task_memory)),
                    Err(e) => tracing::warn!(user = %self.user, error = %e, "tasks not indexed"),
                }
                match self.store.recent_messages(MEMORY_MESSAGES).await {
                    Ok(msgs) => memory.extend(msgs.iter().filter_map(message_memory)),
                    Err(e) => {
                        tracing::warn!(user = %self.user, error = %e, "messages not indexed")
                    }
                }
                // Newer versions (from events meanwhile) win: add only unknown ids.
                let index = self.index.clone();
                let _ =
                    tokio::task::spawn_blocking(move || index.add_memories_if_absent(memory)).await;
            })
            .await;
    }

    /// Fused, budgeted search (see [`WorkspaceIndex::search`]).
    pub async fn search(&self, req: SearchRequest) -> Result<SearchResult, IndexError> {
        if req.memory {
            self.load_memory().await;
        }
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.search(&req))
            .await
            .map_err(|e| IndexError::Io(format!("the search stopped: {e}")))?
    }

    /// Symbol lookup.
    pub async fn symbols(&self, query: String, mode: SymbolMatch, limit: usize) -> Vec<SymbolInfo> {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.symbols(&query, mode, limit))
            .await
            .unwrap_or_default()
    }
}

/// The memory document of a task: its title, description and report.
pub fn task_memory(task: &Task) -> MemoryDoc {
    let mut text = task.title.clone();
    if !task.description.trim().is_empty() {
        text.push_str("\n\n");
        text.push_str(&task.description);
    }
    if let Some(report) = &task.report {
        text.push_str("\n\nReport: ");
        text.push_str(report);
    }
    MemoryDoc {
        id: format!("task:{}", task.id),
        source: SnippetSource::Task,
        title: format!("task \"{}\" ({})", task.title, task.status.as_str()),
        text,
        at: task.updated_at,
    }
}

/// The memory document of a Blackboard message (`None` for system broadcasts, which
/// repeat what tasks say, and for a `/task` message, whose task is memory itself).
pub fn message_memory(m: &Message) -> Option<MemoryDoc> {
    if m.task_id.is_some() {
        return None;
    }
    let who = match &m.author {
        Author::User => "the user".to_owned(),
        Author::Agent { name } => name.clone(),
        Author::System => return None,
    };
    Some(MemoryDoc {
        id: format!("message:{}", m.id),
        source: SnippetSource::Message,
        title: format!("{who} on the Blackboard"),
        text: m.text.clone(),
        at: m.created_at,
    })
}

/// The memory document an event brings, if any.
fn memory_of(ev: &Event) -> Option<MemoryDoc> {
    match &ev.kind {
        EventKind::MessageAdded { message } => message_memory(message),
        EventKind::TaskCreated { task } => Some(task_memory(task)),
        EventKind::TaskUpdated { task, from, .. } if from.is_some() => Some(task_memory(task)),
        _ => None,
    }
}

async fn recv_files(
    files: &mut Option<broadcast::Receiver<Arc<Vec<FileChange>>>>,
) -> Result<Arc<Vec<FileChange>>, broadcast::error::RecvError> {
    match files {
        Some(f) => f.recv().await,
        None => std::future::pending().await,
    }
}

/// What the index must take in next: changed paths and memory documents.
#[derive(Default)]
struct Pending {
    paths: Vec<String>,
    memory: Vec<MemoryDoc>,
}

/// One loop of the user's index, all in one task: the first build, then the user's events
/// (memory) and the watcher's changes (files), gathered over [`COALESCE`] into one update.
async fn run(
    user: UserId,
    index: Arc<WorkspaceIndex>,
    store: UserStore,
    status: watch::Sender<IndexStatus>,
    feed: Arc<FileFeed>,
) {
    // Memory follows the user's events from now on.
    let mut events = store.subscribe();
    status.send_replace(IndexStatus {
        state: IndexState::Building,
        ..IndexStatus::default()
    });
    let built = {
        // An empty workspace (most new users) is built at once; others take turns.
        let probe = index.clone();
        let empty = tokio::task::spawn_blocking(move || probe.looks_empty())
            .await
            .unwrap_or(false);
        let _turn = if empty {
            None
        } else {
            Some(INDEX_JOBS.acquire(&user, false).await)
        };
        let index = index.clone();
        let progress = status.clone();
        cpu_job(move || {
            index.build(&|s: &IndexStatus| {
                progress.send_replace(s.clone());
            })
        })
        .await
    };
    match built {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return fail(&status, &user, e.to_string()),
        Err(e) => return fail(&status, &user, e),
    }
    publish(&status, index.status());

    let mut files = None;
    let mut pending = Pending::default();
    loop {
        if !next_input(&mut events, &mut files, &feed, &mut pending).await {
            return;
        }
        let deadline = tokio::time::sleep(COALESCE);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => break,
                more = next_input(&mut events, &mut files, &feed, &mut pending) => if !more {
                    break;
                },
            }
        }
        let batch = std::mem::take(&mut pending);
        apply(&user, &index, &status, batch.paths, batch.memory).await;
    }
}

/// Waits for the next input and adds it to `pending`; false when the user's events end.
async fn next_input(
    events: &mut broadcast::Receiver<Arc<Event>>,
    files: &mut Option<broadcast::Receiver<Arc<Vec<FileChange>>>>,
    feed: &FileFeed,
    pending: &mut Pending,
) -> bool {
    loop {
        let waiting_for_files = files.is_none();
        tokio::select! {
            _ = feed.ready.notified(), if waiting_for_files => {
                *files = feed.files.lock().ok().and_then(|mut f| f.take());
            }
            ev = events.recv() => match ev {
                Ok(ev) => {
                    if let Some(doc) = memory_of(&ev) {
                        pending.memory.push(doc);
                        return true;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return false,
            },
            batch = recv_files(files) => match batch {
                Ok(b) => {
                    pending.paths.extend(b.iter().map(|c| c.path.clone()));
                    return true;
                }
                // Missed changes: look at everything again (unchanged files are
                // recognised by size and time, so this is cheap).
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    pending.paths.push(String::new());
                    return true;
                }
                Err(broadcast::error::RecvError::Closed) => *files = None,
            },
        }
    }
}

/// Applies one batch of changed paths and memory documents, then publishes the status.
async fn apply(
    user: &UserId,
    index: &Arc<WorkspaceIndex>,
    status: &watch::Sender<IndexStatus>,
    mut paths: Vec<String>,
    memory: Vec<MemoryDoc>,
) {
    // Memory is a few hash-map updates: no thread needed.
    if let Err(e) = index.upsert_memories(memory) {
        tracing::warn!(error = %e, "memory not indexed");
    }
    paths.sort();
    paths.dedup();
    if !paths.is_empty() {
        let _turn = INDEX_JOBS.acquire(user, false).await;
        let index2 = index.clone();
        match cpu_job(move || index2.update(&paths)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "index update failed"),
            Err(e) => tracing::warn!(error = %e, "index update stopped"),
        }
    }
    publish(status, index.status());
}

/// Publishes the index's state when something a status bar shows changed: not for every
/// Blackboard message added to memory (`index.status` still answers with the counts).
fn publish(status: &watch::Sender<IndexStatus>, now: IndexStatus) {
    status.send_if_modified(|old| {
        let shown = |s: &IndexStatus| {
            (
                s.state,
                s.files,
                s.files_total,
                s.bytes,
                s.symbols,
                s.chunks,
                s.build_ms,
                s.error.clone(),
            )
        };
        let changed = shown(old) != shown(&now);
        *old = now;
        changed
    });
}

fn fail(status: &watch::Sender<IndexStatus>, user: &UserId, error: String) {
    tracing::warn!(user = %user, error = %error, "the index could not be built");
    status.send_replace(IndexStatus {
        state: IndexState::Failed,
        error: Some(error),
        ..IndexStatus::default()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nice() -> i32 {
        // SAFETY: getpriority(2) of the calling thread.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    #[tokio::test]
    async fn index_jobs_run_below_the_threads_that_serve_requests() {
        let base = nice();
        let inside = cpu_job(nice).await.unwrap();
        // Unprivileged, a thread can only lower its priority: at least INDEX_NICE.
        assert_eq!(inside, base.max(INDEX_NICE));
        // Threads the job starts inherit it.
        let spawned = cpu_job(|| std::thread::spawn(nice).join().unwrap())
            .await
            .unwrap();
        assert_eq!(spawned, base.max(INDEX_NICE));
        // The caller's thread is untouched.
        assert_eq!(nice(), base);
    }
}
