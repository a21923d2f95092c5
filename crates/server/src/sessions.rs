//! The SessionManager (BRIEF A2): one [`SessionContext`] per user.

use crate::ServerError;
use crate::config::{Mode, ServerConfig};
use arranger_domain::UserId;
use arranger_domain::fs::FileChange;
use arranger_host::fs::Workspace;
use arranger_host::watch::{WatchGuard, WatchHub};
use arranger_host::{UserHost, with_user};
use arranger_store::{LocalBus, User, UserStore, now_ms};
use arranger_team::{Team, TeamServices};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{OnceCell, broadcast, mpsc};

/// Events a lagging subscriber may fall behind before it replays from the log.
const BUS_CAPACITY: usize = 64;

/// One user's live context: their host API, their store and who is connected.
/// Shared by all of the user's connections; dropped when idle (data stays on disk).
pub struct SessionContext {
    /// The user, as the credentials proved.
    pub user: User,
    /// The host API scoped to this user.
    pub host: UserHost,
    /// The user's state store.
    pub store: UserStore,
    /// The user's coding team.
    pub team: Arc<Team>,
    /// Every user's MCP servers (this context's user is attached as `mcp_generation`).
    pub mcp: Arc<arranger_mcp::McpHub>,
    mcp_generation: u64,
    connections: AtomicUsize,
    last_active: AtomicI64,
    files: Mutex<FileFeed>,
    watch_hub: Option<WatchHub>,
}

impl Drop for SessionContext {
    fn drop(&mut self) {
        // Nothing of a user runs while their context is absent: no terminal or MCP
        // server outlives it.
        self.host.kill_terminals();
        self.mcp.detach(&self.user.id, self.mcp_generation);
        // An empty cgroup is removed (one still holding a dying process stays; it is
        // reused when the user comes back).
        if let Some(dir) = self
            .host
            .sandbox_config()
            .and_then(|c| c.pids_cgroup.clone())
        {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// The user's file-change feed: started by the first subscriber, shared by the rest.
#[derive(Default)]
struct FileFeed {
    tx: Option<broadcast::Sender<Arc<Vec<FileChange>>>>,
    guard: Option<WatchGuard>,
}

impl SessionContext {
    /// Connections of this user open right now.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    /// Marks activity (keeps the context from being dropped as idle).
    pub fn touch(&self) {
        self.last_active.store(now_ms(), Ordering::Relaxed);
    }

    /// Subscribes to file changes of the user's workspace, starting the watcher if this
    /// is the first subscriber. `None` when watching is unavailable.
    pub fn subscribe_files(self: &Arc<Self>) -> Option<broadcast::Receiver<Arc<Vec<FileChange>>>> {
        let hub = self.watch_hub.as_ref()?;
        let mut feed = self.files.lock().ok()?;
        if let Some(tx) = &feed.tx {
            return Some(tx.subscribe());
        }
        let (tx, rx) = broadcast::channel(16);
        let (sink, mut changes) = mpsc::channel::<Vec<FileChange>>(16);
        let guard = match hub.watch(
            self.host.workspace().root(),
            self.host.workspace().hidden().to_vec(),
            sink,
        ) {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(user = %self.user.id, error = %e, "cannot watch the workspace");
                return None;
            }
        };
        let fan_out = tx.clone();
        tokio::spawn(async move {
            while let Some(batch) = changes.recv().await {
                let _ = fan_out.send(Arc::new(batch));
            }
        });
        feed.tx = Some(tx);
        feed.guard = Some(guard);
        Some(rx)
    }
}

/// Counts a connection for as long as it lives.
pub struct ConnectionGuard {
    ctx: Arc<SessionContext>,
}

impl ConnectionGuard {
    /// The context.
    pub fn ctx(&self) -> &Arc<SessionContext> {
        &self.ctx
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.ctx.connections.fetch_sub(1, Ordering::Relaxed);
        self.ctx.touch();
    }
}

type Slot = Arc<OnceCell<Arc<SessionContext>>>;

/// Routes users to their contexts; creates each once, on first use.
pub struct SessionManager {
    /// What sandboxed commands may read (computed once).
    read_only: Vec<PathBuf>,
    config: Arc<ServerConfig>,
    services: Arc<TeamServices>,
    contexts: Mutex<HashMap<UserId, Slot>>,
    watch_hub: Option<WatchHub>,
    mcp: Arc<arranger_mcp::McpHub>,
    governor: Arc<crate::governor::Governor>,
}

/// Most processes one user's commands, terminals and MCP servers may have at once.
const PIDS_PER_USER: u32 = 512;

impl SessionManager {
    /// A manager for this configuration. The file watcher is optional: without it the
    /// server still works, without `fs.changed` notifications.
    pub fn new(
        config: Arc<ServerConfig>,
        services: Arc<TeamServices>,
        governor: Arc<crate::governor::Governor>,
    ) -> Self {
        let watch_hub = match WatchHub::new() {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::warn!(error = %e, "file watching unavailable");
                None
            }
        };
        if !arranger_host::exec::landlock_available() {
            match config.mode {
                Mode::MultiUser if config.allow_unsandboxed => tracing::warn!(
                    "the kernel cannot enforce Landlock and the administrator opted out (--allow-unsandboxed): users' commands, terminals and MCP servers run UNCONFINED and can reach each other's files"
                ),
                Mode::MultiUser => tracing::warn!(
                    "the kernel cannot enforce Landlock: users' commands, terminals and stdio MCP servers are refused (--allow-unsandboxed runs them unconfined)"
                ),
                Mode::SingleUser { .. } => {
                    tracing::warn!("the kernel cannot enforce Landlock: commands run unconfined")
                }
            }
        } else if config.allow_unsandboxed {
            tracing::info!("Landlock is available: --allow-unsandboxed has no effect");
        }
        // The data directory's owner is who the server runs as.
        if matches!(config.mode, Mode::MultiUser)
            && std::fs::metadata("/proc/self").is_ok_and(|m| {
                use std::os::unix::fs::MetadataExt;
                m.uid() == 0
            })
        {
            tracing::warn!(
                "running as root: sandboxed processes keep uid 0 without capabilities; Landlock does not cover chmod/utime, so they could change the metadata of root-owned files whose path they know. Run the server as a dedicated unprivileged user"
            );
        }
        SessionManager {
            read_only: arranger_host::exec::SandboxConfig::default_read_only(),
            config: config.clone(),
            services: services.clone(),
            contexts: Mutex::new(HashMap::new()),
            watch_hub,
            mcp: services.mcp.clone(),
            governor,
        }
    }

    /// The process's MCP hub (every user's MCP servers).
    pub fn mcp(&self) -> &Arc<arranger_mcp::McpHub> {
        &self.mcp
    }

    /// The user's directory: `<data-dir>/users/<id>`.
    pub fn user_dir(&self, user: &UserId) -> PathBuf {
        self.config.data_dir.join("users").join(user.as_str())
    }

    /// Contexts in memory right now.
    pub fn active(&self) -> usize {
        self.contexts.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// How many of the contexts in memory have their workspace index in each state (every
    /// state listed, zeros included). Reads memory only.
    pub fn index_states(&self) -> Vec<(arranger_domain::IndexState, usize)> {
        use arranger_domain::IndexState as S;
        let mut counts = [
            (S::Idle, 0),
            (S::Building, 0),
            (S::Ready, 0),
            (S::Failed, 0),
        ];
        if let Ok(map) = self.contexts.lock() {
            for ctx in map.values().filter_map(|slot| slot.get()) {
                if let Some(index) = ctx.team.index() {
                    let state = index.state();
                    if let Some(c) = counts.iter_mut().find(|(s, _)| *s == state) {
                        c.1 += 1;
                    }
                }
            }
        }
        counts.to_vec()
    }

    /// The user's context, created (and the user's team activated) on first use; the
    /// returned guard counts the connection.
    pub async fn connect(&self, user: &User) -> Result<ConnectionGuard, ServerError> {
        let ctx = self.get(user).await?;
        ctx.connections.fetch_add(1, Ordering::Relaxed);
        ctx.touch();
        Ok(ConnectionGuard { ctx })
    }

    /// The user's context, created on first use.
    pub async fn get(&self, user: &User) -> Result<Arc<SessionContext>, ServerError> {
        let slot = {
            let mut map = self
                .contexts
                .lock()
                .map_err(|_| ServerError::Watch("session map poisoned".into()))?;
            map.entry(user.id.clone()).or_default().clone()
        };
        let ctx = slot.get_or_try_init(|| self.activate(user.clone())).await?;
        Ok(ctx.clone())
    }

    async fn activate(&self, user: User) -> Result<Arc<SessionContext>, ServerError> {
        let user_dir = self.user_dir(&user.id);
        let (root, hidden) = match &self.config.mode {
            Mode::SingleUser { workspace, .. } => {
                // Hide the data directory if it lives inside the workspace.
                let hidden = self
                    .config
                    .data_dir
                    .strip_prefix(workspace)
                    .ok()
                    .and_then(|rel| rel.components().next())
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .into_iter()
                    .collect::<Vec<_>>();
                (workspace.clone(), hidden)
            }
            Mode::MultiUser => (user_dir.join("workspace"), Vec::new()),
        };
        let mk = root.clone();
        tokio::task::spawn_blocking(move || std::fs::create_dir_all(&mk))
            .await
            .map_err(|e| ServerError::Watch(e.to_string()))?
            .map_err(|e| ServerError::DataDir {
                path: root.clone(),
                source: e,
            })?;
        let store = UserStore::new(
            user_dir.join("state.db"),
            Arc::new(LocalBus::new(BUS_CAPACITY)),
        );
        let mode = match self.config.mode {
            Mode::MultiUser if !self.config.allow_unsandboxed => {
                arranger_host::exec::SandboxMode::Required
            }
            _ => arranger_host::exec::SandboxMode::BestEffort,
        };
        let sandbox = arranger_host::exec::SandboxConfig {
            tmp_dir: user_dir.join("tmp"),
            read_only: self.read_only.clone(),
            mode,
            network: arranger_host::exec::NetworkPolicy::Allow,
            pids_cgroup: arranger_host::sandbox::pids_cgroup(user.id.as_str(), PIDS_PER_USER),
            max_file_bytes: None,
        };
        let limits = {
            let (g, id) = (self.governor.clone(), user.id.clone());
            tokio::task::spawn_blocking(move || g.attach(&id))
                .await
                .map_err(|e| ServerError::Watch(e.to_string()))??
        };
        let host = UserHost::new(
            user.id.clone(),
            Workspace::new(root).with_hidden(hidden),
            store.clone(),
        )
        .with_sandbox(sandbox)
        .with_limits(limits.clone());
        match with_user(user.id.clone(), store.get_config()).await {
            Ok(cfg) => host.set_network(cfg.network),
            Err(e) => {
                tracing::warn!(user = %user.id, error = %e, "cannot read the network policy; allowing")
            }
        }
        // Activation: nothing of this user runs in memory yet, so any task still marked
        // running was cut off by a crash or an idle drop; hand it on.
        let moved = with_user(user.id.clone(), store.recover_after_crash()).await?;
        if !moved.is_empty() {
            tracing::info!(user = %user.id, tasks = moved.len(), "moved interrupted tasks to reassigning");
        }
        let team = with_user(
            user.id.clone(),
            Team::activate(
                user.id.clone(),
                host.clone(),
                store.clone(),
                self.services.clone(),
            ),
        )
        .await
        .map_err(|e| ServerError::Team(e.to_string()))?;
        let mcp_generation = self.mcp.attach(
            user.id.clone(),
            arranger_mcp::UserEnv {
                store: store.clone(),
                workspace: host.workspace().clone(),
                sandbox: {
                    let host = host.clone();
                    Arc::new(move || host.process_config())
                },
                secrets: self.services.secrets.clone(),
                limits,
            },
        );
        tracing::debug!(user = %user.id, "session context activated");
        let ctx = Arc::new(SessionContext {
            user,
            host,
            store,
            team,
            mcp: self.mcp.clone(),
            mcp_generation,
            connections: AtomicUsize::new(0),
            last_active: AtomicI64::new(now_ms()),
            files: Mutex::new(FileFeed::default()),
            watch_hub: self.watch_hub.clone(),
        });
        // The index follows the workspace from now on. Setting up a watch walks the
        // workspace: keep it off the runtime's threads.
        if let Some(index) = ctx.team.index().cloned() {
            let c = Arc::downgrade(&ctx);
            tokio::spawn(async move {
                let files = tokio::task::spawn_blocking(move || {
                    c.upgrade().and_then(|c| c.subscribe_files())
                })
                .await;
                if let Ok(Some(files)) = files {
                    index.follow_files(files);
                }
            });
        }
        Ok(ctx)
    }

    /// Closes idle SQLite handles and drops contexts without connections that have been
    /// idle for `session_idle`. Returns (handles closed, contexts dropped).
    pub fn reap(&self) -> (usize, usize) {
        let limits = &self.config.limits;
        let now = now_ms();
        let mut closed = 0;
        let mut dropped = 0;
        let Ok(mut map) = self.contexts.lock() else {
            return (0, 0);
        };
        map.retain(|_, slot| {
            let Some(ctx) = slot.get() else { return true };
            if ctx.store.close_if_idle(limits.db_idle) {
                closed += 1;
            }
            let idle = now.saturating_sub(ctx.last_active.load(Ordering::Relaxed));
            // A team at work keeps its context: nothing of a user runs while it is absent.
            let keep = ctx.connections() > 0
                || ctx.team.is_busy()
                || idle < limits.session_idle.as_millis() as i64;
            if !keep {
                ctx.team.shutdown();
                ctx.host.kill_terminals();
                ctx.mcp.detach(&ctx.user.id, ctx.mcp_generation);
                dropped += 1;
            }
            keep
        });
        (closed, dropped)
    }

    /// Drops every context (at shutdown), closing their database handles.
    pub async fn close_all(&self) {
        let all: Vec<Slot> = match self.contexts.lock() {
            Ok(mut map) => map.drain().map(|(_, s)| s).collect(),
            Err(_) => return,
        };
        for slot in all {
            if let Some(ctx) = slot.get() {
                ctx.team.shutdown();
                ctx.host.close_terminals().await;
                ctx.store.close_if_idle(std::time::Duration::ZERO);
            }
        }
        self.mcp.shutdown().await;
    }
}
