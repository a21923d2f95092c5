//! One user's team at run time: activation, the event listener, the Scheduler.

use crate::context::LiveIndex;
use crate::defaults::default_team;
use crate::task_gauge::TaskGauge;
use arranger_domain::{
    Agent, AgentDelta, AgentId, AgentRole, Author, EventKind, Needs, Notice, SessionId, StepKind,
    Task, TaskId, TaskStatus, UserId,
};
use arranger_host::{UserHost, with_user};
use arranger_llm::{CancellationToken, LlmPool, ProviderConfig, ProviderKind};
use arranger_store::{StepOwner, StoreError, UserStore};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, broadcast};

/// What every user's team shares: the LLM pool and the server's default provider.
pub struct TeamServices {
    /// The one pool of LLM connections.
    pub pool: Arc<LlmPool>,
    /// The pool's provider used by agents that name none (`None`: no model configured).
    pub default_provider: Option<String>,
    /// Limits of every team.
    pub config: TeamConfig,
    /// Decrypts users' provider keys.
    pub secrets: Arc<arranger_store::SecretBox>,
    /// Every user's MCP servers; their tools join each worker's tools.
    pub mcp: Arc<arranger_mcp::McpHub>,
    /// Parses of file contents shared by every user's index (content-addressed).
    pub parse_cache: Arc<arranger_context::ParseCache>,
}

/// Limits of a team (the `[team]` table of `<data-dir>/config.toml`).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TeamConfig {
    /// Tasks of one user running at once.
    pub max_concurrent_tasks: usize,
    /// Workers that may start a task before it fails for good.
    pub max_attempts: u32,
    /// Model turns one attempt may take.
    pub max_turns: u32,
    /// Model turns a helper may take for one assist.
    pub max_assist_turns: u32,
    /// Model turns the Manager may take for one message.
    pub max_manager_turns: u32,
    /// The context window assumed for models, in tokens (history is compacted at 75 %).
    pub context_tokens: usize,
    /// Most bytes of a user's workspace the index holds (its memory is a few times this);
    /// what does not fit is left out and counted in the index status.
    pub max_index_bytes: u64,
}

impl Default for TeamConfig {
    fn default() -> Self {
        TeamConfig {
            max_concurrent_tasks: 4,
            max_attempts: 3,
            max_turns: 40,
            max_assist_turns: 12,
            max_manager_turns: 6,
            context_tokens: 100_000,
            max_index_bytes: 256 << 20,
        }
    }
}

/// Why a team could not start.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// The user's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One user's team. Lives in the user's SessionContext; dropped with it.
pub struct Team {
    pub(crate) user: UserId,
    pub(crate) host: UserHost,
    pub(crate) store: UserStore,
    pub(crate) services: Arc<TeamServices>,
    /// Tasks running now, with their cancellation and agent.
    pub(crate) running: Mutex<HashMap<TaskId, (CancellationToken, AgentId)>>,
    /// Waiters for the user's decisions, by tool run.
    pub(crate) decisions: Mutex<HashMap<String, Arc<Notify>>>,
    /// Running tasks that wait for a decision (they leave room for others).
    pub(crate) waiting: std::sync::atomic::AtomicUsize,
    /// Serialises the Manager's handling of messages per user.
    pub(crate) manager_turn: tokio::sync::Mutex<()>,
    /// Serialises 1:1 chats per user, so records do not interleave.
    pub(crate) chat_turn: tokio::sync::Mutex<()>,
    pub(crate) wake: Notify,
    pub(crate) deltas: broadcast::Sender<Arc<AgentDelta>>,
    pub(crate) shutdown: CancellationToken,
    /// Tasks whose record someone other than their worker added to since it last read it.
    pub(crate) touched: Mutex<std::collections::HashSet<TaskId>>,
    /// Sessions already told that no model is configured.
    pub(crate) told_no_model: Mutex<Vec<SessionId>>,
    /// The user's context-engine index (`None` when the workspace could not be opened).
    pub(crate) index: Option<Arc<LiveIndex>>,
    /// This team's share of the tasks-by-state gauge.
    tasks: TaskGauge,
}

impl Team {
    /// Activates a user's team: creates the default team on first use, marks tool runs a
    /// crash cut off, and starts listening to the user's Blackboard and task events. Call
    /// inside `with_user(user)`; the team's own tasks enter it themselves.
    pub async fn activate(
        user: UserId,
        host: UserHost,
        store: UserStore,
        services: Arc<TeamServices>,
    ) -> Result<Arc<Team>, TeamError> {
        store.ensure_team(default_team()).await?;
        for run in store.interrupt_running_tool_runs().await? {
            if let (Some(task), Some(agent)) = (run.task_id.clone(), run.agent_id.clone()) {
                let note = format!(
                    "The tool call {} ({}) was cut off by a server restart; its effects are unknown. \
                     Check the workspace before repeating it.",
                    run.call_id, run.tool
                );
                store
                    .append_step(StepOwner::task(task, agent), StepKind::Note { text: note })
                    .await?;
            }
        }
        // Subscribed before the tasks are counted: every change after the count arrives.
        let events = store.subscribe();
        let tasks = TaskGauge::default();
        let (seq, counts) = store.task_counts().await?;
        tasks.reset(seq, &counts);
        let (deltas, _) = broadcast::channel(64);
        let index = match LiveIndex::start(
            user.clone(),
            host.workspace().root().to_path_buf(),
            host.workspace().hidden().to_vec(),
            store.clone(),
            services.parse_cache.clone(),
            services.config.max_index_bytes,
        ) {
            Ok(ix) => Some(ix),
            Err(e) => {
                tracing::warn!(user = %user, error = %e, "no workspace index");
                None
            }
        };
        let team = Arc::new(Team {
            user,
            host,
            store,
            services,
            running: Mutex::new(HashMap::new()),
            decisions: Mutex::new(HashMap::new()),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            manager_turn: tokio::sync::Mutex::new(()),
            chat_turn: tokio::sync::Mutex::new(()),
            wake: Notify::new(),
            deltas,
            shutdown: CancellationToken::new(),
            told_no_model: Mutex::new(Vec::new()),
            touched: Mutex::new(std::collections::HashSet::new()),
            index,
            tasks,
        });
        let listener = team.clone();
        tokio::spawn(with_user(team.user.clone(), async move {
            listener.listen(events).await
        }));
        let scheduler = team.clone();
        tokio::spawn(with_user(team.user.clone(), async move {
            scheduler.schedule().await
        }));
        // Tasks that waited for a decision when the server stopped wait again.
        let agents = team.store.list_agents().await?;
        for task in team.store.tasks_in(TaskStatus::NeedsConfirm).await? {
            if let Some(agent) = agents
                .iter()
                .find(|a| Some(&a.id) == task.assignee.as_ref())
                .cloned()
            {
                team.start_worker(task, agent);
            }
        }
        team.wake.notify_one();
        Ok(team)
    }

    /// The user's workspace index, if it could be started.
    pub fn index(&self) -> Option<&Arc<LiveIndex>> {
        self.index.as_ref()
    }

    /// What this team shares with every other (the LLM pool).
    pub fn services(&self) -> &Arc<TeamServices> {
        &self.services
    }

    /// Streamed pieces of agents' replies, for the user's live connections.
    pub fn subscribe_deltas(&self) -> broadcast::Receiver<Arc<AgentDelta>> {
        self.deltas.subscribe()
    }

    /// Whether any task runs now (a busy team keeps its SessionContext in memory).
    pub fn is_busy(&self) -> bool {
        self.running.lock().map(|r| !r.is_empty()).unwrap_or(true)
    }

    /// Stops the team: running tasks are cancelled where they stand (their records stay;
    /// on the next activation they are reassigned).
    pub fn shutdown(&self) {
        self.shutdown.cancel();
        if let Some(ix) = &self.index {
            ix.stop();
        }
        if let Ok(running) = self.running.lock() {
            for (token, _) in running.values() {
                token.cancel();
            }
        }
    }

    /// Cancels a running task's worker (the task's state is changed by the caller).
    pub fn stop_task(&self, task: &TaskId) {
        if let Ok(running) = self.running.lock()
            && let Some((token, _)) = running.get(task)
        {
            token.cancel();
        }
    }

    /// The pool provider and model an agent uses, if any is configured: the agent's own
    /// choice, else the user's default provider, else the server's default.
    pub(crate) async fn model_for(&self, agent: &Agent) -> Option<(String, Option<String>)> {
        let cfg = match self.store.get_config().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(user = %self.user, error = %e, "cannot read the model configuration");
                return None;
            }
        };
        let model = agent.model.model.clone();
        match agent
            .model
            .provider
            .clone()
            .or_else(|| cfg.default_provider.clone())
        {
            Some(name) => {
                if let Some(entry) = cfg.providers.iter().find(|p| p.name == name) {
                    let key = match self
                        .store
                        .provider_key(name.clone(), self.services.secrets.clone())
                        .await
                    {
                        Ok(k) => k,
                        Err(e) => {
                            tracing::warn!(user = %self.user, error = %e, "cannot read a provider key");
                            return None;
                        }
                    };
                    let kind = if entry.kind == "anthropic" {
                        ProviderKind::Anthropic
                    } else {
                        ProviderKind::OpenAi
                    };
                    let mut pc = ProviderConfig::new(kind, entry.model.clone());
                    if let Some(u) = &entry.base_url {
                        pc = pc.with_base_url(u.clone());
                    }
                    if let Some(k) = key {
                        pc = pc.with_api_key(k);
                    }
                    match self.services.pool.ensure_provider(&pc) {
                        Ok(pool_name) => {
                            Some((pool_name, model.or_else(|| Some(entry.model.clone()))))
                        }
                        Err(e) => {
                            tracing::warn!(user = %self.user, error = %e, "a configured provider is not usable");
                            None
                        }
                    }
                } else if self.services.default_provider.as_deref() == Some(name.as_str()) {
                    // The server's own provider. Other names in the pool belong to other
                    // users (their keys): never reachable by naming them.
                    Some((name, model))
                } else {
                    self.services.default_provider.clone().map(|p| (p, model))
                }
            }
            None => self.services.default_provider.clone().map(|p| (p, model)),
        }
    }

    /// Posts a system broadcast to a session's Blackboard.
    pub(crate) async fn broadcast(&self, session: &SessionId, notice: Notice) {
        if let Err(e) = self.store.post_notice(session.clone(), notice).await {
            tracing::warn!(user = %self.user, error = %e, "cannot post a system broadcast");
        }
    }

    /// Posts an agent's message to a session's Blackboard.
    pub(crate) async fn say(&self, session: &SessionId, agent: &Agent, text: String) {
        let author = Author::Agent {
            name: agent.name.clone(),
        };
        if let Err(e) = self
            .store
            .post_message(Some(session.clone()), author, text)
            .await
        {
            tracing::warn!(user = %self.user, error = %e, "cannot post an agent's message");
        }
    }

    /// Reacts to the user's committed events: user messages go to the Manager (or to the
    /// agent they mention); new and reassigned tasks wake the Scheduler.
    async fn listen(self: Arc<Self>, mut rx: broadcast::Receiver<Arc<arranger_domain::Event>>) {
        loop {
            let event = tokio::select! {
                _ = self.shutdown.cancelled() => return,
                e = rx.recv() => e,
            };
            if let Ok(e) = &event {
                self.tasks.apply(e);
            }
            match event {
                Ok(e) => match &e.kind {
                    EventKind::MessageAdded { message }
                        if message.author == Author::User && message.task_id.is_none() =>
                    {
                        let team = self.clone();
                        let message = message.clone();
                        tokio::spawn(with_user(self.user.clone(), async move {
                            team.on_user_message(message).await
                        }));
                    }
                    EventKind::TaskCreated { .. } => self.wake.notify_one(),
                    EventKind::TaskUpdated {
                        task,
                        from: Some(_),
                        ..
                    } if matches!(task.status, TaskStatus::Pending | TaskStatus::Reassigning) => {
                        self.wake.notify_one()
                    }
                    _ => {}
                },
                // Fell behind: the Scheduler rescans anyway; messages missed here stay on
                // the Blackboard for the user to repeat.
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(user = %self.user, missed = n, "team listener lagged");
                    self.wake.notify_one();
                    // The missed events may have changed tasks: count them again.
                    match self.store.task_counts().await {
                        Ok((seq, counts)) => self.tasks.reset(seq, &counts),
                        Err(e) => {
                            tracing::warn!(user = %self.user, error = %e, "cannot count tasks")
                        }
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// The Scheduler: whenever woken, assigns waiting tasks (oldest first) while there is
    /// room, each to the best-scoring agent.
    async fn schedule(self: Arc<Self>) {
        loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                _ = self.wake.notified() => {}
            }
            if let Err(e) = self.schedule_once().await {
                tracing::warn!(user = %self.user, error = %e, "scheduling failed");
            }
        }
    }

    async fn schedule_once(self: &Arc<Self>) -> Result<(), StoreError> {
        let mut waiting = self.store.tasks_in(TaskStatus::Reassigning).await?;
        waiting.extend(self.store.tasks_in(TaskStatus::Pending).await?);
        for task in waiting {
            let running = self.running.lock().map(|r| r.len()).unwrap_or(usize::MAX);
            let waiting = self.waiting.load(std::sync::atomic::Ordering::Relaxed);
            // The user's quota when an admin set one, else the server's team setting.
            let max = self
                .host
                .limits()
                .get()
                .quotas
                .concurrent_tasks
                .map_or(self.services.config.max_concurrent_tasks, |n| n as usize);
            if running.saturating_sub(waiting) >= max {
                return Ok(());
            }
            self.assign(task, None).await?;
        }
        Ok(())
    }

    /// Scores the candidates for a task and starts the best one on it (or `wanted`, when
    /// the Manager or the user named an agent). Leaves the task waiting if no model is
    /// configured or nobody can take it.
    pub(crate) async fn assign(
        self: &Arc<Self>,
        task: Task,
        wanted: Option<AgentId>,
    ) -> Result<(), StoreError> {
        let agents = self.store.list_agents().await?;
        let load: HashMap<AgentId, u32> = {
            let running = self
                .running
                .lock()
                .map(|r| r.values().map(|(_, a)| a.clone()).collect::<Vec<_>>())
                .unwrap_or_default();
            let mut m = HashMap::new();
            for a in running {
                *m.entry(a).or_insert(0) += 1;
            }
            m
        };
        let candidates: Vec<(Agent, u32)> = agents
            .iter()
            .filter(|a| a.role == AgentRole::Worker)
            .map(|a| (a.clone(), load.get(&a.id).copied().unwrap_or(0)))
            .collect();
        let failed = self.store.tried_agents(task.id.clone()).await?;
        let (mut pick, scores) = arranger_domain::agent::choose(&task.needs, &candidates, &failed);
        if let Some(w) = wanted
            && scores.iter().any(|s| s.agent == w && s.excluded.is_none())
        {
            pick = Some(w);
        }
        let Some(agent_id) = pick.or_else(|| {
            // Everyone failed it once: give the best of them another go while attempts last.
            let (p, _) = arranger_domain::agent::choose(&task.needs, &candidates, &[]);
            p.filter(|_| task.attempts < self.services.config.max_attempts)
        }) else {
            if task.status == TaskStatus::Reassigning {
                self.store
                    .fail_attempt(
                        task.id.clone(),
                        "no agent is left to take this task".into(),
                        true,
                    )
                    .await?;
            }
            return Ok(());
        };
        let Some(agent) = agents.iter().find(|a| a.id == agent_id).cloned() else {
            return Ok(());
        };
        if self.model_for(&agent).await.is_none() {
            self.tell_no_model(&task.session_id).await;
            return Ok(());
        }
        if task.attempts >= self.services.config.max_attempts {
            self.store
                .fail_attempt(
                    task.id.clone(),
                    format!("gave up after {} attempts", task.attempts),
                    true,
                )
                .await?;
            return Ok(());
        }
        let announce = Notice::Assigned {
            title: task.title.clone(),
            agent: agent.name.clone(),
            score: scores.iter().find(|s| s.agent == agent.id).map(|s| s.total),
        };
        let task = self
            .store
            .assign_task(task.id.clone(), agent.id.clone(), scores, Some(announce))
            .await?;
        self.start_worker(task, agent);
        Ok(())
    }

    /// Whether a worker runs `task` now.
    pub(crate) fn is_running(&self, task: &TaskId) -> bool {
        self.running
            .lock()
            .map(|r| r.contains_key(task))
            .unwrap_or(true)
    }

    /// Starts `agent` on `task` (already Active or NeedsConfirm).
    pub(crate) fn start_worker(self: &Arc<Self>, task: Task, agent: Agent) {
        let cancel = self.shutdown.child_token();
        if let Ok(mut running) = self.running.lock() {
            running.insert(task.id.clone(), (cancel.clone(), agent.id.clone()));
        }
        let team = self.clone();
        tokio::spawn(with_user(self.user.clone(), async move {
            let id = task.id.clone();
            team.clone().run_task(task, agent, cancel).await;
            if let Ok(mut running) = team.running.lock() {
                running.remove(&id);
            }
            team.wake.notify_one();
        }));
    }

    async fn tell_no_model(&self, session: &SessionId) {
        let first = self
            .told_no_model
            .lock()
            .map(|mut told| {
                if told.contains(session) {
                    false
                } else {
                    told.push(session.clone());
                    true
                }
            })
            .unwrap_or(false);
        if first {
            self.broadcast(session, Notice::NoModel).await;
        }
    }

    /// What a new task needs, from the Manager's arguments.
    pub(crate) fn needs(scene: Option<String>, tags: Vec<String>) -> Needs {
        Needs {
            scene: scene.filter(|s| !s.trim().is_empty()),
            tags,
        }
    }
}
