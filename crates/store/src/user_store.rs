//! One user's `state.db`.

use crate::db::{self, Migration};
use crate::{EventBus, StoreError, new_id, now_ms};
use arranger_domain::{
    AgentId, Author, BlackboardCommand, ContextRef, Difficulty, Event, EventKind, Message,
    MessageId, Needs, Notice, Priority, Session, SessionId, StateScope, Task, TaskId, TaskStatus,
    TaskTransition, Usage, UserCommand, parse_blackboard_text,
};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Longest Blackboard message accepted, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Longest session or task title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest `state.*` key, in bytes.
pub const MAX_STATE_KEY_BYTES: usize = 256;
/// Largest `state.*` value, serialized, in bytes.
pub const MAX_STATE_VALUE_BYTES: usize = 1024 * 1024;

/// The fields of a new task.
#[derive(Clone, Debug)]
pub struct NewTask {
    /// Session; the default session when `None`.
    pub session: Option<SessionId>,
    /// Title (required, at most [`MAX_TITLE_CHARS`]).
    pub title: String,
    /// Description, possibly empty.
    pub description: String,
    /// Priority; normal when `None`.
    pub priority: Option<Priority>,
    /// Difficulty; unknown when `None`.
    pub difficulty: Option<Difficulty>,
    /// Context references.
    pub context_refs: Vec<ContextRef>,
    /// What it asks of its assignee.
    pub needs: Needs,
    /// The Manager that created it, if one did.
    pub manager_id: Option<AgentId>,
}

impl NewTask {
    /// A task with this title and every other field defaulted.
    pub fn new(title: impl Into<String>) -> Self {
        NewTask {
            session: None,
            title: title.into(),
            description: String::new(),
            priority: None,
            difficulty: None,
            context_refs: Vec::new(),
            needs: Needs::default(),
            manager_id: None,
        }
    }
}

/// What posting to the Blackboard produced.
#[derive(Clone, Debug)]
pub struct PostOutcome {
    /// The stored message.
    pub message: Message,
    /// The task a `/task` message created.
    pub task: Option<Task>,
}

/// One user's state database. Cheap to clone; the SQLite handle is opened on first use
/// and closed again by [`UserStore::close_if_idle`].
#[derive(Clone)]
pub struct UserStore {
    pub(crate) inner: Arc<Inner>,
}

/// The most data a write may carry and still run on the calling thread (see
/// [`UserStore::write_sized`]).
const INLINE_WRITE_BYTES: usize = 128 * 1024;

/// Frames in the write-ahead log past which a background checkpoint starts (SQLite's own
/// automatic checkpoint starts at 1,000).
const CHECKPOINT_FRAMES: i64 = 1_000;
/// Frames past which the committing connection checkpoints itself, as SQLite would: the
/// background ones fell behind (a steady stream of writes can keep a passive checkpoint
/// from reaching the end of the log), and the log must not grow without bound.
const CHECKPOINT_FRAMES_INLINE: i64 = 20 * CHECKPOINT_FRAMES;

/// Replaces SQLite's automatic checkpoint on `conn` with a count of the log's frames in
/// `frames`, which [`UserStore::checkpoint_if_due`] reads after each commit.
fn take_over_checkpoints(conn: &mut Connection, frames: Arc<AtomicI64>) -> Result<(), StoreError> {
    conn.wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages| {
        frames.store(i64::from(pages), Ordering::Relaxed);
        if i64::from(pages) >= CHECKPOINT_FRAMES_INLINE {
            wal.checkpoint()?;
        }
        Ok(())
    }))?;
    Ok(())
}

/// One write: `f` in a transaction, the commit, then the events it recorded published in
/// order while the caller still holds the connection (so publication order is `seq`
/// order).
fn transact<R>(
    conn: &mut Connection,
    inner: &Inner,
    f: impl FnOnce(&mut Events<'_>) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    // BEGIN and COMMIT from the statement cache: `Connection::transaction` compiles
    // both on every call.
    conn.prepare_cached("BEGIN")?.execute([])?;
    let run = |conn: &Connection| {
        let mut ev = Events {
            tx: conn,
            out: Vec::new(),
        };
        let r = f(&mut ev)?;
        conn.prepare_cached("COMMIT")?.execute([])?;
        Ok::<_, StoreError>((r, ev.out))
    };
    let (result, events) = match run(conn) {
        Ok(done) => done,
        Err(e) => {
            if !conn.is_autocommit() {
                let _ = conn
                    .prepare_cached("ROLLBACK")
                    .and_then(|mut s| s.execute([]));
            }
            return Err(e);
        }
    };
    if let Ok(mut hot) = inner.hot.lock() {
        hot.forget_changed(&events);
    }
    for e in events {
        inner.last_seq.fetch_max(e.seq, Ordering::Relaxed);
        inner.bus.publish(Arc::new(e));
    }
    Ok(result)
}

/// A passive checkpoint of the database at `path` on a short-lived connection: it copies
/// what the log holds into the database without blocking the user's connection, which
/// keeps writing meanwhile.
fn checkpoint(path: &Path) -> Result<(), StoreError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // The checkpoint syncs the log before and the database after, at any `synchronous`.
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    Ok(())
}

/// The process's open SQLite handles, oldest first. Each holds three file descriptors
/// (the database, its WAL and shared memory), and a process may hold only so many: at the
/// limit, opening another handle first closes the least recently opened idle one.
struct OpenHandles {
    limit: AtomicUsize,
    list: Mutex<std::collections::VecDeque<std::sync::Weak<Inner>>>,
}

static OPEN: OpenHandles = OpenHandles {
    limit: AtomicUsize::new(2000),
    list: Mutex::new(std::collections::VecDeque::new()),
};

/// Sets how many users' databases may be open at once in this process (default 2,000).
pub fn set_open_handle_limit(limit: usize) {
    OPEN.limit.store(limit.max(1), Ordering::Relaxed);
}

/// How many users' databases are open now.
pub fn open_handles() -> usize {
    OPEN.list.lock().map(|l| l.len()).unwrap_or(0)
}

/// Registers a handle just opened by `me` (whose own lock the caller holds), closing idle
/// ones over the limit. Never waits on another user's handle: busy ones are skipped, and
/// when all are busy the limit is exceeded rather than stalling.
fn admit(me: &Arc<Inner>) {
    let Ok(mut list) = OPEN.list.lock() else {
        return;
    };
    list.retain(|w| w.upgrade().is_some_and(|i| i.open.load(Ordering::Relaxed)));
    let limit = OPEN.limit.load(Ordering::Relaxed);
    let mut i = 0;
    while list.len() >= limit && i < list.len() {
        let Some(other) = list[i].upgrade() else {
            list.remove(i);
            continue;
        };
        if Arc::ptr_eq(&other, me) {
            i += 1;
            continue;
        }
        match other.conn.try_lock() {
            Ok(mut guard) => {
                guard.take();
                other.open.store(false, Ordering::Relaxed);
                if let Ok(mut hot) = other.hot.lock() {
                    *hot = Hot::default();
                }
                list.remove(i);
            }
            Err(_) => i += 1,
        }
    }
    list.push_back(Arc::downgrade(me));
}

pub(crate) struct Inner {
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
    /// Frames in the write-ahead log after the last commit (set by the WAL hook).
    wal_frames: Arc<AtomicI64>,
    /// Whether a background checkpoint is running.
    checkpointing: std::sync::atomic::AtomicBool,
    last_used: AtomicI64,
    /// The highest committed sequence number, once known (0 = not loaded yet).
    last_seq: AtomicU64,
    /// Whether the SQLite handle is open (mirrors `conn`, readable without its lock).
    open: std::sync::atomic::AtomicBool,
    /// Hot data read on every request or task step, kept while the handle is open.
    pub(crate) hot: Mutex<Hot>,
    bus: Arc<dyn EventBus>,
}

/// Data read on nearly every request or task step, served from memory while the user's
/// handle is open. Each part is `None` until read and is dropped by any commit whose
/// events change it (and when the handle closes).
#[derive(Default)]
pub(crate) struct Hot {
    /// Every session; changes with sessions, messages and tasks (which move a session's
    /// `updated_at`).
    pub(crate) sessions: Option<Arc<Vec<Session>>>,
    /// The team.
    pub(crate) agents: Option<Arc<Vec<arranger_domain::Agent>>>,
    /// The model configuration.
    pub(crate) config: Option<Arc<arranger_domain::UserConfig>>,
    /// The user's and the workspace's risk rules.
    pub(crate) rules: Option<Arc<Vec<arranger_domain::Rule>>>,
}

impl Hot {
    fn forget_changed(&mut self, events: &[Event]) {
        for e in events {
            match e.kind {
                EventKind::SessionCreated { .. }
                | EventKind::SessionUpdated { .. }
                | EventKind::MessageAdded { .. }
                | EventKind::TaskCreated { .. } => self.sessions = None,
                EventKind::AgentUpdated { .. } => self.agents = None,
                EventKind::ConfigUpdated { .. } => self.config = None,
                EventKind::PolicyUpdated { .. } => self.rules = None,
                _ => {}
            }
        }
    }
}

/// Collects the events of one transaction; they get their sequence numbers on insert.
pub(crate) struct Events<'a> {
    /// The connection, inside the transaction [`UserStore::write`] began.
    pub(crate) tx: &'a Connection,
    out: Vec<Event>,
}

impl Events<'_> {
    pub(crate) fn record(&mut self, kind: EventKind) -> Result<u64, StoreError> {
        let at = now_ms();
        let data = serde_json::to_string(&kind).map_err(StoreError::corrupt)?;
        self.tx
            .prepare_cached("INSERT INTO events (at, kind, data) VALUES (?1, ?2, ?3)")?
            .execute(params![at, kind.name(), data])?;
        let seq = u64::try_from(self.tx.last_insert_rowid()).map_err(StoreError::corrupt)?;
        self.out.push(Event { seq, at, kind });
        Ok(seq)
    }
}

impl UserStore {
    /// A store for the database at `path`, publishing on `bus`. Opens nothing yet.
    pub fn new(path: impl Into<PathBuf>, bus: Arc<dyn EventBus>) -> Self {
        UserStore {
            inner: Arc::new(Inner {
                path: path.into(),
                conn: Mutex::new(None),
                wal_frames: Arc::new(AtomicI64::new(0)),
                checkpointing: std::sync::atomic::AtomicBool::new(false),
                last_used: AtomicI64::new(now_ms()),
                last_seq: AtomicU64::new(0),
                hot: Mutex::new(Hot::default()),
                open: std::sync::atomic::AtomicBool::new(false),
                bus,
            }),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Subscribes to events committed from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Event>> {
        self.inner.bus.subscribe()
    }

    /// Whether the SQLite handle is open right now.
    pub fn is_open(&self) -> bool {
        self.inner.conn.lock().map(|c| c.is_some()).unwrap_or(false)
    }

    /// Closes the SQLite handle if it has not been used for `idle`. Returns whether it
    /// closed one. Never waits for a running operation.
    pub fn close_if_idle(&self, idle: Duration) -> bool {
        let last = self.inner.last_used.load(Ordering::Relaxed);
        if now_ms().saturating_sub(last) < idle.as_millis() as i64 {
            return false;
        }
        match self.inner.conn.try_lock() {
            Ok(mut guard) => {
                if let Ok(mut hot) = self.inner.hot.lock() {
                    *hot = Hot::default();
                }
                self.inner.open.store(false, Ordering::Relaxed);
                guard.take().is_some()
            }
            Err(_) => false,
        }
    }

    /// Runs `f` with the open connection on the blocking pool.
    pub(crate) async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection, &Inner) -> Result<R, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = inner
                .conn
                .lock()
                .map_err(|_| StoreError::Worker("a previous operation panicked".into()))?;
            if guard.is_none() {
                let mut conn = db::open(&inner.path, MIGRATIONS)?;
                take_over_checkpoints(&mut conn, inner.wal_frames.clone())?;
                *guard = Some(conn);
                inner.open.store(true, Ordering::Relaxed);
                admit(&inner);
            }
            inner.last_used.store(now_ms(), Ordering::Relaxed);
            let conn = guard
                .as_mut()
                .ok_or_else(|| StoreError::Worker("database handle vanished".into()))?;
            f(conn, &inner)
        })
        .await
        .map_err(|e| StoreError::Worker(e.to_string()))?
    }

    /// Runs `f` at once, on this thread, when the connection is open and nobody uses it;
    /// otherwise as [`UserStore::call`] does. A panic in `f` becomes an error, as it does
    /// there.
    ///
    /// For small operations only: reads of a few rows, and writes (a transaction of a few
    /// rows with no `fsync`, as the log is not synced at commit with WAL and
    /// `synchronous = NORMAL` and checkpoints run in the background) take tens to a few
    /// hundred microseconds of CPU. Handing it to the blocking pool costs two thread wake-ups,
    /// which on an idle machine take longer than the work itself (0.2–0.4 ms each on the
    /// benchmark VM), and under load more CPU than the work. Opening the database, and
    /// waiting for a connection another operation holds, still happen on the pool.
    pub(crate) async fn call_now<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection, &Inner) -> Result<R, StoreError> + Send + 'static,
    {
        if let Ok(mut guard) = self.inner.conn.try_lock()
            && let Some(conn) = guard.as_mut()
        {
            self.inner.last_used.store(now_ms(), Ordering::Relaxed);
            return std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn, &self.inner)))
                .unwrap_or_else(|_| Err(StoreError::Worker("a store operation panicked".into())));
        }
        self.call(f).await
    }

    /// Runs `f` in one transaction; commits; then publishes the events it recorded, in
    /// order, while still holding the handle so that publication order is `seq` order.
    ///
    /// The transaction runs on the calling thread when it can (see
    /// [`UserStore::call_now`]), so it must stay small: a few rows of bounded size.
    /// Writes that may carry more use [`UserStore::write_sized`].
    pub(crate) async fn write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Events<'_>) -> Result<R, StoreError> + Send + 'static,
    {
        self.write_sized(0, f).await
    }

    /// Like [`UserStore::write`] for a write carrying about `bytes` of data: past
    /// [`INLINE_WRITE_BYTES`] it always runs on the blocking pool, as writes of up to
    /// megabytes would hold up the runtime's other tasks.
    pub(crate) async fn write_sized<R, F>(&self, bytes: usize, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Events<'_>) -> Result<R, StoreError> + Send + 'static,
    {
        let work = move |conn: &mut Connection, inner: &Inner| transact(conn, inner, f);
        if bytes <= INLINE_WRITE_BYTES {
            self.call_now(work).await
        } else {
            self.call(work).await
        }
        .inspect(|_| self.checkpoint_if_due())
    }

    /// Starts a checkpoint in the background when the write-ahead log has grown past
    /// [`CHECKPOINT_FRAMES`] and none is running. It runs on a connection of its own, so
    /// the user's requests and agents neither wait for it nor pay its two `fsync`s, which
    /// SQLite's automatic checkpoint would put inside some unlucky commit.
    fn checkpoint_if_due(&self) {
        let inner = &self.inner;
        if inner.wal_frames.load(Ordering::Relaxed) < CHECKPOINT_FRAMES
            || inner.checkpointing.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let inner = inner.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = checkpoint(&inner.path) {
                tracing::warn!(path = %inner.path.display(), error = %e, "checkpoint failed");
            }
            inner.checkpointing.store(false, Ordering::Release);
        });
    }

    /// The sequence number of the newest event (0 when there is none).
    pub async fn last_seq(&self) -> Result<u64, StoreError> {
        let cached = self.inner.last_seq.load(Ordering::Relaxed);
        if cached > 0 {
            return Ok(cached);
        }
        self.call(|conn, inner| {
            let seq: i64 = conn
                .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM events")?
                .query_row([], |r| r.get(0))?;
            let seq = seq as u64;
            inner.last_seq.fetch_max(seq, Ordering::Relaxed);
            Ok(seq)
        })
        .await
    }

    /// Events with `seq > since`, oldest first, at most `limit`.
    pub async fn events_after(&self, since: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        self.call(move |conn, _| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, at, data FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![since as i64, limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, at, data) = row?;
                let kind: EventKind = serde_json::from_str(&data).map_err(StoreError::corrupt)?;
                out.push(Event {
                    seq: seq as u64,
                    at,
                    kind,
                });
            }
            Ok(out)
        })
        .await
    }

    // ----- sessions -----------------------------------------------------------------

    /// Creates a session.
    pub async fn create_session(&self, title: String) -> Result<Session, StoreError> {
        let title = check_title(&title, "session title")?;
        self.write(move |ev| {
            let now = now_ms();
            let session = Session {
                id: SessionId::new(new_id()),
                title,
                archived: false,
                created_at: now,
                updated_at: now,
            };
            insert_session(ev, &session)?;
            Ok(session)
        })
        .await
    }

    /// Lists sessions, most recently updated first. Served from memory while no session,
    /// message or task changed since the last read.
    pub async fn list_sessions(&self, include_archived: bool) -> Result<Vec<Session>, StoreError> {
        let cached = self.inner.hot.lock().ok().and_then(|h| h.sessions.clone());
        let all = match cached {
            Some(all) => all,
            None => {
                self.call(|conn, inner| {
                    let mut stmt = conn.prepare_cached(
                        "SELECT id, title, archived, created_at, updated_at FROM sessions
                         ORDER BY updated_at DESC, id",
                    )?;
                    let rows = stmt.query_map([], session_from_row)?;
                    let all = Arc::new(rows.collect::<Result<Vec<_>, _>>()?);
                    // Filled while holding the handle, so no write can slip in between.
                    if let Ok(mut h) = inner.hot.lock() {
                        h.sessions = Some(all.clone());
                    }
                    Ok(all)
                })
                .await?
            }
        };
        Ok(all
            .iter()
            .filter(|s| include_archived || !s.archived)
            .cloned()
            .collect())
    }

    /// One session.
    pub async fn get_session(&self, id: SessionId) -> Result<Session, StoreError> {
        self.call(move |conn, _| load_session(conn, &id)).await
    }

    /// Renames a session.
    pub async fn rename_session(
        &self,
        id: SessionId,
        title: String,
    ) -> Result<Session, StoreError> {
        let title = check_title(&title, "session title")?;
        self.write(move |ev| {
            let mut s = load_session(ev.tx, &id)?;
            s.title = title;
            s.updated_at = now_ms();
            ev.tx
                .prepare_cached("UPDATE sessions SET title = ?2, updated_at = ?3 WHERE id = ?1")?
                .execute(params![s.id.as_str(), s.title, s.updated_at])?;
            ev.record(EventKind::SessionUpdated { session: s.clone() })?;
            Ok(s)
        })
        .await
    }

    /// Archives or unarchives a session. The default session cannot be archived.
    pub async fn set_archived(&self, id: SessionId, archived: bool) -> Result<Session, StoreError> {
        if archived && id.as_str() == SessionId::DEFAULT {
            return Err(StoreError::Conflict(
                "the default session cannot be archived; create another session instead".into(),
            ));
        }
        self.write(move |ev| {
            let mut s = load_session(ev.tx, &id)?;
            if s.archived == archived {
                return Ok(s);
            }
            s.archived = archived;
            s.updated_at = now_ms();
            ev.tx
                .prepare_cached("UPDATE sessions SET archived = ?2, updated_at = ?3 WHERE id = ?1")?
                .execute(params![s.id.as_str(), s.archived, s.updated_at])?;
            ev.record(EventKind::SessionUpdated { session: s.clone() })?;
            Ok(s)
        })
        .await
    }

    // ----- Blackboard ---------------------------------------------------------------

    /// Posts a system broadcast (English text from `notice`, the notice as data) to a
    /// session's Blackboard. An archived or missing session gets none.
    pub async fn post_notice(&self, session: SessionId, notice: Notice) -> Result<(), StoreError> {
        self.write(move |ev| broadcast_in(ev, &session, notice))
            .await
    }

    /// Posts a message. A user's `/task <title>` also creates a task in the same
    /// transaction, and a system broadcast announcing it.
    pub async fn post_message(
        &self,
        session: Option<SessionId>,
        author: Author,
        text: String,
    ) -> Result<PostOutcome, StoreError> {
        if text.trim().is_empty() {
            return Err(StoreError::Invalid("a message needs some text".into()));
        }
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(StoreError::Invalid(format!(
                "a message may be at most {MAX_MESSAGE_BYTES} bytes; this one is {}",
                text.len()
            )));
        }
        let task_title = match (&author, parse_blackboard_text(&text)) {
            (Author::User, Ok(BlackboardCommand::CreateTask { title })) => {
                Some(check_title(title, "task title")?)
            }
            (Author::User, Err(why)) => return Err(StoreError::Invalid(why.into())),
            _ => None,
        };
        let session = session.unwrap_or_else(SessionId::default_session);
        self.write(move |ev| {
            let s = open_session(ev.tx, &session)?;
            let task = match task_title {
                Some(title) => Some(insert_task(
                    ev,
                    NewTask {
                        session: Some(s.id.clone()),
                        ..NewTask::new(title)
                    },
                )?),
                None => None,
            };
            let task_id = task.as_ref().map(|t| t.id.clone());
            let message = insert_message(ev, &s.id, author, text, task_id, None)?;
            if let Some(task) = &task {
                announce_task(ev, task)?;
            }
            touch_session(ev.tx, &s.id)?;
            Ok(PostOutcome { message, task })
        })
        .await
    }

    /// The newest `limit` messages of all sessions, newest first (the context engine's
    /// memory of the Blackboard).
    pub async fn recent_messages(&self, limit: usize) -> Result<Vec<Message>, StoreError> {
        self.call(move |conn, _| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, session_id, author_kind, author_name, text, task_id, created_at, notice
                 FROM messages ORDER BY n DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map(params![limit as i64], message_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Messages of a session, newest last: at most `limit` messages older than `before`
    /// (or the newest ones), and whether older ones remain.
    pub async fn history(
        &self,
        session: Option<SessionId>,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<(Vec<Message>, bool), StoreError> {
        let session = session.unwrap_or_else(SessionId::default_session);
        self.call(move |conn, _| {
            let s = load_session(conn, &session)?;
            let before_row: i64 = match &before {
                Some(id) => conn
                    .query_row(
                        "SELECT n FROM messages WHERE id = ?1 AND session_id = ?2",
                        params![id.as_str(), s.id.as_str()],
                        |r| r.get(0),
                    )
                    .optional()?
                    .ok_or_else(|| StoreError::NotFound {
                        what: "message",
                        id: id.to_string(),
                    })?,
                None => i64::MAX,
            };
            let mut stmt = conn.prepare_cached(
                "SELECT id, session_id, author_kind, author_name, text, task_id, created_at, notice
                 FROM messages WHERE session_id = ?1 AND n < ?2 ORDER BY n DESC LIMIT ?3",
            )?;
            let rows = stmt.query_map(
                params![s.id.as_str(), before_row, (limit + 1) as i64],
                message_from_row,
            )?;
            let mut msgs = rows.collect::<Result<Vec<_>, _>>()?;
            let has_more = msgs.len() > limit;
            msgs.truncate(limit);
            msgs.reverse();
            Ok((msgs, has_more))
        })
        .await
    }

    // ----- tasks --------------------------------------------------------------------

    /// Creates a task (Pending).
    pub async fn create_task(&self, new: NewTask) -> Result<Task, StoreError> {
        let title = check_title(&new.title, "task title")?;
        let new = NewTask { title, ..new };
        self.write(move |ev| {
            let session = new
                .session
                .clone()
                .unwrap_or_else(SessionId::default_session);
            let s = open_session(ev.tx, &session)?;
            let task = insert_task(
                ev,
                NewTask {
                    session: Some(s.id.clone()),
                    ..new
                },
            )?;
            announce_task(ev, &task)?;
            touch_session(ev.tx, &s.id)?;
            Ok(task)
        })
        .await
    }

    /// Tasks, newest first, optionally of one session and/or in one state.
    pub async fn list_tasks(
        &self,
        session: Option<SessionId>,
        status: Option<TaskStatus>,
    ) -> Result<Vec<Task>, StoreError> {
        self.call(move |conn, _| {
            if let Some(s) = &session {
                load_session(conn, s)?;
            }
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM tasks
                 WHERE (?1 IS NULL OR session_id = ?1) AND (?2 IS NULL OR status = ?2)
                 ORDER BY rowid DESC"
            ))?;
            let rows = stmt.query_map(
                params![
                    session.as_ref().map(|s| s.as_str()),
                    status.map(|s| s.as_str())
                ],
                task_from_row,
            )?;
            rows.map(|r| r?).collect()
        })
        .await
    }

    /// Tasks in a state, oldest first (for the Scheduler and for resuming after a restart).
    pub async fn tasks_in(&self, status: TaskStatus) -> Result<Vec<Task>, StoreError> {
        // Its own statement: `list_tasks`' optional filters cannot use the status index.
        self.call_now(move |conn, _| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM tasks WHERE status = ?1 ORDER BY rowid"
            ))?;
            let rows = stmt.query_map([status.as_str()], task_from_row)?;
            rows.map(|r| r?).collect()
        })
        .await
    }

    /// A task and its state history, oldest first.
    pub async fn get_task(&self, id: TaskId) -> Result<(Task, Vec<TaskTransition>), StoreError> {
        self.call_now(move |conn, _| {
            let task = load_task(conn, &id)?;
            let mut stmt = conn.prepare_cached(
                "SELECT seq, from_status, to_status, reason, at FROM task_transitions
                 WHERE task_id = ?1 ORDER BY seq",
            )?;
            let rows = stmt.query_map([id.as_str()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?;
            let mut history = Vec::new();
            for row in rows {
                let (seq, from, to, reason, at) = row?;
                history.push(TaskTransition {
                    seq: seq as u64,
                    from: parse_status(&from)?,
                    to: parse_status(&to)?,
                    reason,
                    at,
                });
            }
            Ok((task, history))
        })
        .await
    }

    /// Moves a task to `to`, if the state machine allows it; records a `task_updated`
    /// event with the transition.
    pub async fn transition_task(
        &self,
        id: TaskId,
        to: TaskStatus,
        reason: Option<String>,
    ) -> Result<Task, StoreError> {
        self.write(move |ev| transition(ev, &id, to, reason)).await
    }

    /// After a crash, moves every task left Active or Finalizing to Reassigning, so that
    /// nothing dangles. Returns the tasks it moved.
    pub async fn recover_after_crash(&self) -> Result<Vec<Task>, StoreError> {
        self.write(|ev| {
            let ids: Vec<(TaskId, TaskStatus)> = {
                let mut stmt = ev.tx.prepare(
                    "SELECT id, status FROM tasks WHERE status IN ('active', 'finalizing')",
                )?;
                let rows =
                    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
                let mut v = Vec::new();
                for row in rows {
                    let (id, status) = row?;
                    v.push((TaskId::new(id), parse_status(&status)?));
                }
                v
            };
            let mut moved = Vec::new();
            for (id, status) in ids {
                if let Some(to) = status.after_crash() {
                    moved.push(transition(
                        ev,
                        &id,
                        to,
                        Some(format!("the server stopped while the task was {status}")),
                    )?);
                }
            }
            Ok(moved)
        })
        .await
    }

    // ----- key-value state ------------------------------------------------------------

    /// The value stored under `key`, if any.
    pub async fn state_get(
        &self,
        scope: StateScope,
        key: String,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        check_state_key(&key)?;
        self.call(move |conn, _| {
            let raw: Option<String> = conn
                .query_row(
                    "SELECT value FROM kv WHERE scope = ?1 AND key = ?2",
                    params![scope.as_str(), key],
                    |r| r.get(0),
                )
                .optional()?;
            raw.map(|s| serde_json::from_str(&s).map_err(StoreError::corrupt))
                .transpose()
        })
        .await
    }

    /// Stores `value` under `key`.
    pub async fn state_set(
        &self,
        scope: StateScope,
        key: String,
        value: serde_json::Value,
    ) -> Result<u64, StoreError> {
        check_state_key(&key)?;
        let raw = serde_json::to_string(&value).map_err(StoreError::corrupt)?;
        if raw.len() > MAX_STATE_VALUE_BYTES {
            return Err(StoreError::Invalid(format!(
                "a state value may be at most {MAX_STATE_VALUE_BYTES} bytes as JSON; this one is {}",
                raw.len()
            )));
        }
        self.write_sized(raw.len(), move |ev| {
            ev.tx
                .prepare_cached(
                    "INSERT INTO kv (scope, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![scope.as_str(), key, raw])?;
            ev.record(EventKind::StateChanged {
                scope,
                key,
                value: Some(value),
            })
        })
        .await
    }

    /// Deletes `key`; returns whether it existed.
    pub async fn state_delete(&self, scope: StateScope, key: String) -> Result<bool, StoreError> {
        check_state_key(&key)?;
        self.write(move |ev| {
            let n = ev
                .tx
                .prepare_cached("DELETE FROM kv WHERE scope = ?1 AND key = ?2")?
                .execute(params![scope.as_str(), key])?;
            if n > 0 {
                ev.record(EventKind::StateChanged {
                    scope,
                    key,
                    value: None,
                })?;
            }
            Ok(n > 0)
        })
        .await
    }

    /// All keys of a scope, sorted.
    pub async fn state_keys(&self, scope: StateScope) -> Result<Vec<String>, StoreError> {
        self.call(move |conn, _| {
            let mut stmt =
                conn.prepare_cached("SELECT key FROM kv WHERE scope = ?1 ORDER BY key")?;
            let rows = stmt.query_map([scope.as_str()], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    // ----- user-defined commands -------------------------------------------------------

    /// Registers (or replaces) a user-defined command.
    pub async fn register_command(&self, command: UserCommand) -> Result<(), StoreError> {
        arranger_domain::validate_command_id(&command.id).map_err(StoreError::Invalid)?;
        let action = serde_json::to_string(&command.action).map_err(StoreError::corrupt)?;
        self.write(move |ev| {
            ev.tx
                .prepare_cached(
                    "INSERT INTO commands (id, title, action) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, action = excluded.action",
                )?
                .execute(params![command.id, command.title, action])?;
            ev.record(EventKind::CommandRegistered { command })?;
            Ok(())
        })
        .await
    }

    /// Removes a user-defined command; returns whether it existed.
    pub async fn unregister_command(&self, id: String) -> Result<bool, StoreError> {
        self.write(move |ev| {
            let n = ev
                .tx
                .prepare_cached("DELETE FROM commands WHERE id = ?1")?
                .execute([&id])?;
            if n > 0 {
                ev.record(EventKind::CommandUnregistered { id })?;
            }
            Ok(n > 0)
        })
        .await
    }

    /// The user's commands, sorted by id.
    pub async fn list_commands(&self) -> Result<Vec<UserCommand>, StoreError> {
        self.call(|conn, _| {
            let mut stmt =
                conn.prepare_cached("SELECT id, title, action FROM commands ORDER BY id")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, title, action) = row?;
                let action = serde_json::from_str(&action).map_err(StoreError::corrupt)?;
                out.push(UserCommand { id, title, action });
            }
            Ok(out)
        })
        .await
    }
}

// ----- helpers running inside a transaction or on a connection ---------------------------

fn check_title(title: &str, what: &str) -> Result<String, StoreError> {
    let t = title.trim();
    if t.is_empty() {
        return Err(StoreError::Invalid(format!("the {what} must not be empty")));
    }
    if t.chars().count() > MAX_TITLE_CHARS {
        return Err(StoreError::Invalid(format!(
            "the {what} may be at most {MAX_TITLE_CHARS} characters"
        )));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(StoreError::Invalid(format!(
            "the {what} must be a single line without control characters"
        )));
    }
    Ok(t.to_owned())
}

fn check_state_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() || key.len() > MAX_STATE_KEY_BYTES {
        return Err(StoreError::Invalid(format!(
            "a state key must be 1 to {MAX_STATE_KEY_BYTES} bytes long"
        )));
    }
    Ok(())
}

pub(crate) fn parse_status(s: &str) -> Result<TaskStatus, StoreError> {
    TaskStatus::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown task status {s:?}")))
}

fn session_from_row(r: &Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: SessionId::new(r.get::<_, String>(0)?),
        title: r.get(1)?,
        archived: r.get(2)?,
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

fn load_session(conn: &Connection, id: &SessionId) -> Result<Session, StoreError> {
    conn.prepare_cached(
        "SELECT id, title, archived, created_at, updated_at FROM sessions WHERE id = ?1",
    )?
    .query_row([id.as_str()], session_from_row)
    .optional()?
    .ok_or_else(|| StoreError::NotFound {
        what: "session",
        id: id.to_string(),
    })
}

/// A session that accepts new messages and tasks.
fn open_session(conn: &Connection, id: &SessionId) -> Result<Session, StoreError> {
    let s = load_session(conn, id)?;
    if s.archived {
        return Err(StoreError::Conflict(format!(
            "session {:?} is archived; unarchive it before posting to it",
            s.id.as_str()
        )));
    }
    Ok(s)
}

/// Posts a system broadcast to `session` inside a larger change (an assignment, a
/// completion), so both commit together. An archived or missing session gets none.
pub(crate) fn broadcast_in(
    ev: &mut Events<'_>,
    session: &SessionId,
    notice: Notice,
) -> Result<(), StoreError> {
    match load_session(ev.tx, session) {
        Ok(s) if !s.archived => {
            insert_message(
                ev,
                &s.id,
                Author::System,
                notice.english(),
                None,
                Some(notice),
            )?;
            touch_session(ev.tx, &s.id)?;
            // The cached session list is dropped by `write` (a `message_added` event).
            Ok(())
        }
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

fn touch_session(conn: &Connection, id: &SessionId) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE sessions SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![id.as_str(), now_ms()])?;
    Ok(())
}

fn insert_session(ev: &mut Events<'_>, s: &Session) -> Result<(), StoreError> {
    ev.tx.prepare_cached("INSERT INTO sessions (id, title, archived, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(params![s.id.as_str(), s.title, s.archived, s.created_at, s.updated_at],
    )?;
    ev.record(EventKind::SessionCreated { session: s.clone() })?;
    Ok(())
}

/// The system broadcast that tells the Blackboard a task exists.
fn announce_task(ev: &mut Events<'_>, task: &Task) -> Result<Message, StoreError> {
    let notice = Notice::TaskCreated {
        title: task.title.clone(),
    };
    insert_message(
        ev,
        &task.session_id,
        Author::System,
        notice.english(),
        Some(task.id.clone()),
        Some(notice),
    )
}

fn author_parts(a: &Author) -> (&'static str, Option<&str>) {
    match a {
        Author::User => ("user", None),
        Author::Agent { name } => ("agent", Some(name.as_str())),
        Author::System => ("system", None),
    }
}

fn message_from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let kind: String = r.get(2)?;
    let name: Option<String> = r.get(3)?;
    let author = match (kind.as_str(), name) {
        ("agent", Some(name)) => Author::Agent { name },
        ("system", _) => Author::System,
        _ => Author::User,
    };
    Ok(Message {
        id: MessageId::new(r.get::<_, String>(0)?),
        session_id: SessionId::new(r.get::<_, String>(1)?),
        author,
        text: r.get(4)?,
        task_id: r.get::<_, Option<String>>(5)?.map(TaskId::new),
        created_at: r.get(6)?,
        // A notice this version cannot read is left out; the text still says it.
        notice: r
            .get::<_, Option<String>>(7)?
            .and_then(|j| serde_json::from_str(&j).ok()),
    })
}

fn insert_message(
    ev: &mut Events<'_>,
    session: &SessionId,
    author: Author,
    text: String,
    task_id: Option<TaskId>,
    notice: Option<Notice>,
) -> Result<Message, StoreError> {
    let message = Message {
        id: MessageId::new(new_id()),
        session_id: session.clone(),
        author,
        text,
        task_id,
        notice,
        created_at: now_ms(),
    };
    let (kind, name) = author_parts(&message.author);
    let notice = match &message.notice {
        Some(n) => Some(serde_json::to_string(n).map_err(|e| StoreError::Worker(e.to_string()))?),
        None => None,
    };
    ev.tx.prepare_cached("INSERT INTO messages (id, session_id, author_kind, author_name, text, task_id, created_at, notice)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?.execute(params![
            message.id.as_str(),
            message.session_id.as_str(),
            kind,
            name,
            message.text,
            message.task_id.as_ref().map(|t| t.as_str()),
            message.created_at,
            notice
        ],
    )?;
    ev.record(EventKind::MessageAdded {
        message: message.clone(),
    })?;
    Ok(message)
}

const TASK_COLUMNS: &str = "id, session_id, title, description, status, status_reason, assignee,
    manager_id, context_refs, priority, difficulty, created_at, updated_at, scene, tags, scores,
    attempts, report, input_tokens, output_tokens, cost_usd";

fn task_from_row(r: &Row<'_>) -> rusqlite::Result<Result<Task, StoreError>> {
    let status: String = r.get(4)?;
    let refs: String = r.get(8)?;
    let priority: u8 = r.get(9)?;
    let difficulty: u8 = r.get(10)?;
    let build = || -> Result<Task, StoreError> {
        Ok(Task {
            id: TaskId::new(r.get::<_, String>(0)?),
            session_id: SessionId::new(r.get::<_, String>(1)?),
            title: r.get(2)?,
            description: r.get(3)?,
            status: parse_status(&status)?,
            status_reason: r.get(5)?,
            assignee: r.get::<_, Option<String>>(6)?.map(AgentId::new),
            manager_id: r.get::<_, Option<String>>(7)?.map(AgentId::new),
            context_refs: serde_json::from_str(&refs).map_err(StoreError::corrupt)?,
            priority: Priority::try_from(priority).map_err(StoreError::Corrupt)?,
            difficulty: Difficulty::try_from(difficulty).map_err(StoreError::Corrupt)?,
            created_at: r.get(11)?,
            updated_at: r.get(12)?,
            needs: Needs {
                scene: r.get(13)?,
                tags: serde_json::from_str(&r.get::<_, String>(14)?)
                    .map_err(StoreError::corrupt)?,
            },
            scores: serde_json::from_str(&r.get::<_, String>(15)?).map_err(StoreError::corrupt)?,
            attempts: r.get(16)?,
            report: r.get(17)?,
            usage: Usage {
                input_tokens: r.get::<_, i64>(18)? as u64,
                output_tokens: r.get::<_, i64>(19)? as u64,
                cost_usd: r.get(20)?,
            },
        })
    };
    Ok(build())
}

pub(crate) fn load_task(conn: &Connection, id: &TaskId) -> Result<Task, StoreError> {
    conn.prepare_cached(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?1"))?
        .query_row([id.as_str()], task_from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound {
            what: "task",
            id: id.to_string(),
        })?
}

fn insert_task(ev: &mut Events<'_>, new: NewTask) -> Result<Task, StoreError> {
    let now = now_ms();
    let task = Task {
        id: TaskId::new(new_id()),
        session_id: new.session.unwrap_or_else(SessionId::default_session),
        title: new.title,
        description: new.description,
        status: TaskStatus::Pending,
        status_reason: None,
        assignee: None,
        manager_id: new.manager_id,
        context_refs: new.context_refs,
        priority: new.priority.unwrap_or(Priority::NORMAL),
        difficulty: new.difficulty.unwrap_or(Difficulty::UNKNOWN),
        needs: new.needs,
        scores: Vec::new(),
        attempts: 0,
        report: None,
        usage: Usage::default(),
        created_at: now,
        updated_at: now,
    };
    let refs = serde_json::to_string(&task.context_refs).map_err(StoreError::corrupt)?;
    let tags = serde_json::to_string(&task.needs.tags).map_err(StoreError::corrupt)?;
    ev.tx
        .prepare_cached(
            "INSERT INTO tasks (id, session_id, title, description, status, context_refs, priority,
                            difficulty, created_at, updated_at, manager_id, scene, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            task.id.as_str(),
            task.session_id.as_str(),
            task.title,
            task.description,
            task.status.as_str(),
            refs,
            task.priority.get(),
            task.difficulty.get(),
            task.created_at,
            task.updated_at,
            task.manager_id.as_ref().map(|m| m.as_str()),
            task.needs.scene,
            tags
        ])?;
    ev.record(EventKind::TaskCreated { task: task.clone() })?;
    Ok(task)
}

pub(crate) fn transition(
    ev: &mut Events<'_>,
    id: &TaskId,
    to: TaskStatus,
    reason: Option<String>,
) -> Result<Task, StoreError> {
    let mut task = load_task(ev.tx, id)?;
    let from = task.status;
    task.status = from.transition(to)?;
    task.status_reason = reason.clone();
    task.updated_at = now_ms();
    ev.tx
        .prepare_cached(
            "UPDATE tasks SET status = ?2, status_reason = ?3, updated_at = ?4 WHERE id = ?1",
        )?
        .execute(params![
            task.id.as_str(),
            task.status.as_str(),
            task.status_reason,
            task.updated_at
        ])?;
    let seq = ev.record(EventKind::TaskUpdated {
        task: task.clone(),
        from: Some(from),
        reason: reason.clone(),
    })?;
    ev.tx
        .prepare_cached(
            "INSERT INTO task_transitions (seq, task_id, from_status, to_status, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            seq as i64,
            task.id.as_str(),
            from.as_str(),
            to.as_str(),
            reason,
            task.updated_at
        ])?;
    Ok(task)
}

// ----- schema -----------------------------------------------------------------------------

const MIGRATIONS: &[Migration] = &[v1, v2, v3, v4, crate::mcp_store::migration, v6, v7];

/// The schema version (`PRAGMA user_version`) of a user's `state.db` written by this build.
pub fn user_schema_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// Opens the user database at `path` (which must exist), brings its schema up to date the
/// way the server does at first use, and closes it again; returns the version it has now.
/// Refuses a database newer than this build, or a file that is not SQLite.
pub fn upgrade_user_db(path: &Path) -> Result<u32, StoreError> {
    if !path.is_file() {
        return Err(StoreError::NotFound {
            what: "user database",
            id: path.display().to_string(),
        });
    }
    let conn = db::open(path, MIGRATIONS)?;
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    u32::try_from(v).map_err(StoreError::corrupt)
}

/// System broadcasts keep what they say as data (`Notice`, JSON) beside their English text.
fn v7(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch("ALTER TABLE messages ADD COLUMN notice TEXT;")?;
    Ok(())
}

/// Tool runs keep their whole output (up to 4 MiB) beside the capped row.
fn v6(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "ALTER TABLE tool_runs ADD COLUMN output_bytes INTEGER;
         CREATE TABLE tool_outputs (run_id TEXT PRIMARY KEY REFERENCES tool_runs(id), data TEXT NOT NULL);",
    )?;
    Ok(())
}

/// The user's model configuration and encrypted secrets.
/// The tool gateway: each run's risk reasons, the decision's reason and time, its
/// duration; the user's and the workspace's risk rules.
fn v4(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "ALTER TABLE tool_runs ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]';
         ALTER TABLE tool_runs ADD COLUMN decision_reason TEXT;
         ALTER TABLE tool_runs ADD COLUMN decided_at INTEGER;
         ALTER TABLE tool_runs ADD COLUMN duration_ms INTEGER;
         CREATE INDEX tool_runs_by_status ON tool_runs(status);
         CREATE TABLE policy_rules (
             n INTEGER PRIMARY KEY,
             scope TEXT NOT NULL,     -- user | workspace
             pattern TEXT NOT NULL,
             action TEXT NOT NULL     -- allow | ask | high
         );",
    )?;
    Ok(())
}

fn v3(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "CREATE TABLE user_config (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
         CREATE TABLE secrets (name TEXT PRIMARY KEY, nonce BLOB NOT NULL, ciphertext BLOB NOT NULL);
         CREATE TABLE usage_daily (
             day INTEGER NOT NULL,            -- days since the Unix epoch, UTC
             agent_id TEXT NOT NULL,
             input_tokens INTEGER NOT NULL,
             output_tokens INTEGER NOT NULL,
             cost_usd REAL NOT NULL,
             PRIMARY KEY (day, agent_id)
         ) WITHOUT ROWID;",
    )?;
    Ok(())
}

/// The coding team: agent descriptions, what tasks need and what they cost, agents'
/// step records, tool-run call ids.
fn v2(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "ALTER TABLE agents ADD COLUMN description TEXT NOT NULL DEFAULT '';
         ALTER TABLE tasks ADD COLUMN scene TEXT;
         ALTER TABLE tasks ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
         ALTER TABLE tasks ADD COLUMN scores TEXT NOT NULL DEFAULT '[]';
         ALTER TABLE tasks ADD COLUMN tried TEXT NOT NULL DEFAULT '[]';
         ALTER TABLE tasks ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE tasks ADD COLUMN report TEXT;
         ALTER TABLE tasks ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE tasks ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE tasks ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0;
         ALTER TABLE tool_runs ADD COLUMN call_id TEXT NOT NULL DEFAULT '';
         CREATE TABLE steps (
             n INTEGER PRIMARY KEY,
             task_id TEXT,                    -- NULL for a 1:1 chat
             assist_id TEXT,                  -- set for a helper's steps
             agent_id TEXT NOT NULL,
             idx INTEGER NOT NULL,
             data TEXT NOT NULL,
             at INTEGER NOT NULL
         );
         CREATE INDEX steps_by_task ON steps(task_id, n);
         CREATE INDEX steps_by_assist ON steps(assist_id, n);
         CREATE INDEX steps_by_agent ON steps(agent_id, n);",
    )?;
    Ok(())
}

fn v1(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "CREATE TABLE events (
             seq INTEGER PRIMARY KEY,          -- per-user, gap-free: never deleted
             at INTEGER NOT NULL,
             kind TEXT NOT NULL,
             data TEXT NOT NULL
         );
         CREATE TABLE sessions (
             id TEXT PRIMARY KEY,
             title TEXT NOT NULL,
             archived INTEGER NOT NULL DEFAULT 0,
             created_at INTEGER NOT NULL,
             updated_at INTEGER NOT NULL
         );
         CREATE TABLE messages (
             n INTEGER PRIMARY KEY,           -- creation order within the user
             id TEXT NOT NULL UNIQUE,
             session_id TEXT NOT NULL REFERENCES sessions(id),
             author_kind TEXT NOT NULL,
             author_name TEXT,
             text TEXT NOT NULL,
             task_id TEXT,
             created_at INTEGER NOT NULL
         );
         CREATE INDEX messages_by_session ON messages(session_id, n);
         CREATE TABLE agents (
             id TEXT PRIMARY KEY,
             name TEXT NOT NULL UNIQUE,
             role TEXT NOT NULL,              -- manager | worker
             capabilities TEXT NOT NULL DEFAULT '[]',
             scenes TEXT NOT NULL DEFAULT '[]',
             provider TEXT,
             model TEXT,
             enabled INTEGER NOT NULL DEFAULT 1,
             successes INTEGER NOT NULL DEFAULT 0,
             failures INTEGER NOT NULL DEFAULT 0,
             created_at INTEGER NOT NULL
         );
         CREATE TABLE tasks (
             id TEXT PRIMARY KEY,
             session_id TEXT NOT NULL REFERENCES sessions(id),
             title TEXT NOT NULL,
             description TEXT NOT NULL DEFAULT '',
             status TEXT NOT NULL,
             status_reason TEXT,
             assignee TEXT,
             manager_id TEXT,
             context_refs TEXT NOT NULL DEFAULT '[]',
             priority INTEGER NOT NULL,
             difficulty INTEGER NOT NULL,
             created_at INTEGER NOT NULL,
             updated_at INTEGER NOT NULL
         );
         CREATE INDEX tasks_by_session ON tasks(session_id);
         CREATE INDEX tasks_by_status ON tasks(status);
         CREATE TABLE task_transitions (
             seq INTEGER PRIMARY KEY REFERENCES events(seq),
             task_id TEXT NOT NULL REFERENCES tasks(id),
             from_status TEXT NOT NULL,
             to_status TEXT NOT NULL,
             reason TEXT,
             at INTEGER NOT NULL
         );
         CREATE INDEX transitions_by_task ON task_transitions(task_id, seq);
         CREATE TABLE tool_runs (
             id TEXT PRIMARY KEY,
             task_id TEXT REFERENCES tasks(id),
             agent_id TEXT,
             command TEXT NOT NULL,
             args TEXT NOT NULL DEFAULT '{}',
             output TEXT NOT NULL DEFAULT '',
             status TEXT NOT NULL,
             risk_level TEXT NOT NULL,
             decision TEXT,
             decided_by TEXT,
             created_at INTEGER NOT NULL,
             finished_at INTEGER
         );
         CREATE INDEX tool_runs_by_task ON tool_runs(task_id);
         CREATE TABLE assist_requests (
             id TEXT PRIMARY KEY,
             task_id TEXT NOT NULL REFERENCES tasks(id),
             requester TEXT NOT NULL,
             helper TEXT,
             question TEXT NOT NULL,
             status TEXT NOT NULL,
             summary TEXT,
             created_at INTEGER NOT NULL,
             finished_at INTEGER
         );
         CREATE TABLE kv (
             scope TEXT NOT NULL,
             key TEXT NOT NULL,
             value TEXT NOT NULL,
             PRIMARY KEY (scope, key)
         ) WITHOUT ROWID;
         CREATE TABLE commands (
             id TEXT PRIMARY KEY,
             title TEXT NOT NULL,
             action TEXT NOT NULL
         );",
    )?;
    // Every user starts with a default session, recorded like any other change.
    let now = now_ms();
    let session = Session {
        id: SessionId::default_session(),
        title: "Main".into(),
        archived: false,
        created_at: now,
        updated_at: now,
    };
    let mut ev = Events {
        tx,
        out: Vec::new(),
    };
    insert_session(&mut ev, &session)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LocalBus;
    use std::thread;

    fn store() -> (tempfile::TempDir, UserStore) {
        let t = tempfile::tempdir().unwrap();
        let s = UserStore::new(t.path().join("u/state.db"), Arc::new(LocalBus::new(64)));
        (t, s)
    }

    /// A small write runs on the calling thread once the database is open, and on the
    /// blocking pool while it is not (opening touches the disk) or while another
    /// operation holds the connection; each gives the same result.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn small_writes_run_in_place_when_the_connection_is_free() {
        let (_t, s) = store();
        let here = || thread::current().id();
        // Not open yet: the pool opens it.
        let id = s.write(|_| Ok(thread::current().id())).await.unwrap();
        assert_ne!(
            id,
            here(),
            "the first write must open the database off the runtime"
        );
        // Open and free: in place.
        let id = s.write(|_| Ok(thread::current().id())).await.unwrap();
        assert_eq!(id, here());
        // Held by another operation: the write waits on the pool, then runs.
        let inner = s.inner.clone();
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let holder = thread::spawn(move || {
            let _conn = inner.conn.lock().unwrap();
            held_tx.send(()).unwrap();
            thread::sleep(Duration::from_millis(100));
        });
        held_rx.recv().unwrap();
        let id = s.write(|_| Ok(thread::current().id())).await.unwrap();
        assert_ne!(
            id,
            here(),
            "a busy connection must be waited for off the runtime"
        );
        holder.join().unwrap();
        // Large writes always go to the pool.
        let id = s
            .write_sized(INLINE_WRITE_BYTES + 1, |_| Ok(thread::current().id()))
            .await
            .unwrap();
        assert_ne!(id, here());
    }

    /// A panic in a write that runs in place is an error for its caller, not a crash of
    /// the task that called it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_in_place_is_an_error() {
        let (_t, s) = store();
        s.write(|_| Ok(())).await.unwrap();
        let err = s
            .write(|_| -> Result<(), StoreError> { panic!("boom") })
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Worker(_)), "{err:?}");
    }
}
