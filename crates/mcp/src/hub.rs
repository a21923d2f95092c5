//! [`McpHub`]: every user's MCP servers in this process, supervised.

use crate::McpError;
use crate::process::{self, GroupKill, StdioLaunch};
use crate::redact::Redactor;
use arranger_domain::mcp::{mcp_tool_name, parse_mcp_tool_name};
use arranger_domain::{
    McpServerSpec, McpServerState, McpServerStatus, McpToolDef, McpTransport, UserId,
};
use arranger_host::Workspace;
use arranger_host::sandbox::{NetworkPolicy, SandboxConfig};
use arranger_store::{SecretBox, StoreError, UserStore, now_ms};
use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult, Tool};
use rmcp::service::{Peer, RoleClient};
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClientTransport, StreamableHttpClientTransportConfig,
};
use rmcp::{ServiceError, ServiceExt};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Limits and timings of the MCP runtime.
#[derive(Clone, Debug)]
pub struct McpConfig {
    /// A server unused for this long is stopped (default 5 min).
    pub idle: Duration,
    /// Servers one user may have starting or running at once (default 4).
    pub max_running: usize,
    /// How long one tool call may take (default 60 s).
    pub call_timeout: Duration,
    /// How long one start (spawn, handshake, tool list) may take (default 30 s).
    pub start_timeout: Duration,
    /// Restarts after a failure before the server is left crashed (default 3).
    pub max_restarts: u32,
    /// First delay before a restart, doubled each time up to 5 s (default 250 ms).
    pub restart_backoff: Duration,
    /// Largest tool result text returned, in bytes (default 64 KiB).
    pub max_result_bytes: usize,
    /// HTTP servers may be only at public addresses (no loopback, private networks or
    /// metadata endpoints; no redirects): a multi-user server sets this unless its admin
    /// allows private networks (default false).
    pub public_only: bool,
}

impl Default for McpConfig {
    fn default() -> Self {
        McpConfig {
            idle: Duration::from_secs(300),
            max_running: 4,
            call_timeout: Duration::from_secs(60),
            start_timeout: Duration::from_secs(30),
            max_restarts: 3,
            restart_backoff: Duration::from_millis(250),
            max_result_bytes: 64 * 1024,
            public_only: false,
        }
    }
}

/// A server that ran this long before crashing gets a fresh restart budget.
const STABLE_AFTER: Duration = Duration::from_secs(60);
/// Longest JSON-RPC line accepted from a stdio server.
const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// What the hub needs of one user: their store (definitions, secrets), workspace and
/// sandbox, and the server's key to open their secrets.
#[derive(Clone)]
pub struct UserEnv {
    /// The user's store.
    pub store: UserStore,
    /// The user's workspace (stdio servers run in it).
    pub workspace: Workspace,
    /// How the user's processes are confined right now (it follows the user's network
    /// policy and storage quota); `None`: stdio servers are not available.
    pub sandbox: Arc<dyn Fn() -> Option<Arc<SandboxConfig>> + Send + Sync>,
    /// The server's secret box.
    pub secrets: Arc<SecretBox>,
    /// The user's limits: whether they may use MCP at all, and how many servers may run.
    pub limits: arranger_host::UserLimits,
}

/// A connected server.
struct Live {
    peer: Peer<RoleClient>,
    tools: Vec<Tool>,
    spec: McpServerSpec,
    redact: Arc<Redactor>,
}

#[derive(Clone)]
enum Phase {
    Stopped,
    Starting,
    Running(Arc<Live>),
    Crashed,
}

impl Phase {
    fn state(&self) -> McpServerState {
        match self {
            Phase::Stopped => McpServerState::Stopped,
            Phase::Starting => McpServerState::Starting,
            Phase::Running(_) => McpServerState::Running,
            Phase::Crashed => McpServerState::Crashed,
        }
    }

    fn active(&self) -> bool {
        matches!(self, Phase::Starting | Phase::Running(_))
    }
}

/// One server of one user: its phase and its supervisor.
struct Entry {
    phase: watch::Sender<Phase>,
    /// The current supervisor's number: an older one (stopped, being replaced) must not
    /// overwrite the phase of its successor.
    run: std::sync::atomic::AtomicU64,
    restarts: AtomicU32,
    last_error: Mutex<Option<String>>,
    last_used: AtomicI64,
    stop: Mutex<Option<CancellationToken>>,
}

impl Entry {
    fn new() -> Self {
        Entry {
            phase: watch::channel(Phase::Stopped).0,
            run: std::sync::atomic::AtomicU64::new(0),
            restarts: AtomicU32::new(0),
            last_error: Mutex::new(None),
            last_used: AtomicI64::new(now_ms()),
            stop: Mutex::new(None),
        }
    }

    fn phase(&self) -> Phase {
        self.phase.borrow().clone()
    }

    fn error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }

    fn set_error(&self, e: String) {
        if let Ok(mut l) = self.last_error.lock() {
            *l = Some(e);
        }
    }

    fn touch(&self) {
        self.last_used.store(now_ms(), Ordering::Relaxed);
    }

    /// Asks the supervisor to stop (it kills the process and sets `Stopped`).
    fn stop(&self) {
        if let Some(t) = self.stop.lock().ok().and_then(|mut s| s.take()) {
            t.cancel();
        }
    }

    /// Forgets a crash so the next use starts it again.
    fn reset(&self) {
        self.stop();
        self.restarts.store(0, Ordering::Relaxed);
        if let Ok(mut l) = self.last_error.lock() {
            *l = None;
        }
        self.phase.send_if_modified(|p| {
            if matches!(p, Phase::Crashed) {
                *p = Phase::Stopped;
                true
            } else {
                false
            }
        });
    }
}

/// One user's servers.
struct UserMcp {
    user: UserId,
    generation: u64,
    env: UserEnv,
    servers: tokio::sync::Mutex<HashMap<String, Arc<Entry>>>,
}

/// Every user's MCP servers in this process. Create one with [`McpHub::new`]; attach a
/// user's environment when their context activates, detach it when it is dropped.
pub struct McpHub {
    config: McpConfig,
    generation: std::sync::atomic::AtomicU64,
    users: Mutex<HashMap<UserId, Arc<UserMcp>>>,
    http: reqwest::Client,
}

fn check_user(user: &UserId) -> Result<(), McpError> {
    match arranger_host::current_user() {
        Ok(current) if &current == user => Ok(()),
        Ok(current) => {
            tracing::error!(user = %user, current = %current, "MCP call with another user's context");
            Err(McpError::WrongUser)
        }
        Err(_) => Err(McpError::WrongUser),
    }
}

fn not_found(name: &str) -> McpError {
    McpError::NotFound(format!(
        "MCP server {name:?} not found; mcp.list shows your servers"
    ))
}

fn store_err(name: &str, e: StoreError) -> McpError {
    match e {
        StoreError::NotFound {
            what: "MCP server", ..
        } => not_found(name),
        StoreError::NotFound { what: "secret", id } => McpError::Invalid(format!(
            "MCP server {name:?} needs secret {id:?}, which is not set; set it with secret.set"
        )),
        other => McpError::Store(other),
    }
}

/// `text` cut to `max` bytes at a character boundary, saying how much was cut.
fn cap(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n[result cut at {max} bytes: {} more bytes not shown]",
        &text[..end],
        text.len() - end
    )
}

/// The text of a tool result: text blocks joined; other blocks described.
fn result_text(r: &CallToolResult) -> String {
    let mut parts: Vec<String> = Vec::new();
    for block in &r.content {
        if let Some(t) = block.as_text() {
            parts.push(t.text.clone());
            continue;
        }
        let v = serde_json::to_value(block).unwrap_or(Value::Null);
        let kind = v.get("type").and_then(Value::as_str).unwrap_or("content");
        if let Some(text) = v.pointer("/resource/text").and_then(Value::as_str) {
            parts.push(text.to_owned());
        } else if let Some(uri) = v
            .pointer("/resource/uri")
            .or_else(|| v.get("uri"))
            .and_then(Value::as_str)
        {
            parts.push(format!("[{kind}: {uri}]"));
        } else {
            let mime = v.get("mimeType").and_then(Value::as_str).unwrap_or("?");
            parts.push(format!("[{kind} content ({mime}) not shown]"));
        }
    }
    if parts.is_empty()
        && let Some(s) = &r.structured_content
    {
        parts.push(s.to_string());
    }
    parts.join("\n")
}

fn service_error(server: &str, e: ServiceError) -> McpError {
    match e {
        ServiceError::McpError(d) => McpError::Tool(d.message.into_owned()),
        ServiceError::Timeout { .. } => {
            McpError::Timeout(format!("MCP server {server:?} did not answer in time"))
        }
        other => McpError::Unavailable(format!("MCP server {server:?}: {other}")),
    }
}

impl McpHub {
    /// A hub with `config`. Starts a background task (on the current tokio runtime)
    /// that stops idle servers; it ends when the hub is dropped.
    pub fn new(config: McpConfig) -> Arc<Self> {
        let builder = if config.public_only {
            arranger_net::public_client_builder()
        } else {
            reqwest::Client::builder()
        };
        let http = builder
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        let hub = Arc::new(McpHub {
            config,
            users: Mutex::new(HashMap::new()),
            generation: std::sync::atomic::AtomicU64::new(0),
            http,
        });
        let weak: Weak<McpHub> = Arc::downgrade(&hub);
        let every = (hub.config.idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(30));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let Some(hub) = weak.upgrade() else { break };
                hub.stop_idle().await;
            }
        });
        hub
    }

    /// The runtime's limits and timings.
    pub fn config(&self) -> &McpConfig {
        &self.config
    }

    /// Makes `user`'s servers available, with the user's environment; returns the
    /// attachment's generation for [`McpHub::detach`]. Replaces an earlier attachment
    /// (stopping its servers).
    pub fn attach(&self, user: UserId, env: UserEnv) -> u64 {
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let um = Arc::new(UserMcp {
            user: user.clone(),
            generation,
            env,
            servers: tokio::sync::Mutex::new(HashMap::new()),
        });
        let old = self.users.lock().ok().and_then(|mut m| m.insert(user, um));
        if let Some(old) = old {
            stop_all_now(&old);
        }
        generation
    }

    /// Stops every server of `user` and forgets the user, if the attachment is still
    /// `generation` (a context being dropped must not stop the servers of its
    /// successor). Needs no user context: it only ends what was started for the user.
    pub fn detach(&self, user: &UserId, generation: u64) {
        let old = self.users.lock().ok().and_then(|mut m| {
            if m.get(user).is_some_and(|u| u.generation == generation) {
                m.remove(user)
            } else {
                None
            }
        });
        if let Some(old) = old {
            stop_all_now(&old);
        }
    }

    /// Stops every server of every user and waits (briefly) for them to end (shutdown).
    pub async fn shutdown(&self) {
        let all: Vec<Arc<UserMcp>> = match self.users.lock() {
            Ok(mut m) => m.drain().map(|(_, u)| u).collect(),
            Err(_) => return,
        };
        for um in all {
            let entries: Vec<Arc<Entry>> = um.servers.lock().await.values().cloned().collect();
            for e in &entries {
                e.stop();
            }
            for e in entries {
                let mut rx = e.phase.subscribe();
                let _ = tokio::time::timeout(Duration::from_secs(3), rx.wait_for(|p| !p.active()))
                    .await;
            }
        }
    }

    /// How many of `user`'s servers are starting or running now.
    pub fn running_count(&self, user: &UserId) -> usize {
        let Some(um) = self.user(user).ok() else {
            return 0;
        };
        um.servers
            .try_lock()
            .map(|m| m.values().filter(|e| e.phase().active()).count())
            .unwrap_or(0)
    }

    fn user(&self, user: &UserId) -> Result<Arc<UserMcp>, McpError> {
        self.users
            .lock()
            .ok()
            .and_then(|m| m.get(user).cloned())
            .ok_or_else(|| {
                McpError::Unavailable(
                    "MCP is not available for this session; reconnect and try again".into(),
                )
            })
    }

    async fn stop_idle(&self) {
        let users: Vec<Arc<UserMcp>> = match self.users.lock() {
            Ok(m) => m.values().cloned().collect(),
            Err(_) => return,
        };
        let idle = self.config.idle.as_millis() as i64;
        let now = now_ms();
        for um in users {
            let servers = um.servers.lock().await;
            for (name, e) in servers.iter() {
                if matches!(e.phase(), Phase::Running(_))
                    && now.saturating_sub(e.last_used.load(Ordering::Relaxed)) >= idle
                {
                    tracing::debug!(user = %um.user, server = %name, "stopping an idle MCP server");
                    e.stop();
                }
            }
        }
    }

    /// The user's servers with their state, by name.
    pub async fn list(&self, user: &UserId) -> Result<Vec<McpServerStatus>, McpError> {
        check_user(user)?;
        let um = self.user(user)?;
        let specs = um.env.store.list_mcp_servers().await?;
        let servers = um.servers.lock().await;
        Ok(specs
            .into_iter()
            .map(|spec| {
                let (state, last_error, restarts) = match servers.get(&spec.name) {
                    Some(e) => (
                        e.phase().state(),
                        e.error(),
                        e.restarts.load(Ordering::Relaxed),
                    ),
                    None => (McpServerState::Stopped, None, 0),
                };
                McpServerStatus {
                    spec,
                    state,
                    last_error,
                    restarts,
                }
            })
            .collect())
    }

    /// Adds or replaces a definition; a running (or crashed) server of that name is
    /// stopped so the next use starts the new definition.
    pub async fn add(&self, user: &UserId, spec: McpServerSpec) -> Result<McpServerSpec, McpError> {
        check_user(user)?;
        if self.config.public_only
            && let McpTransport::Http { url, .. } = &spec.transport
        {
            arranger_net::check_url(url).map_err(McpError::Invalid)?;
        }
        let um = self.user(user)?;
        let name = spec.name.clone();
        let saved = um
            .env
            .store
            .put_mcp_server(spec)
            .await
            .map_err(|e| store_err(&name, e))?;
        if let Some(e) = um.servers.lock().await.get(&name) {
            e.reset();
        }
        Ok(saved)
    }

    /// Removes a definition and stops its server. Whether there was one.
    pub async fn remove(&self, user: &UserId, name: &str) -> Result<bool, McpError> {
        check_user(user)?;
        let um = self.user(user)?;
        let removed = um
            .env
            .store
            .remove_mcp_server(name.to_owned())
            .await
            .map_err(|e| store_err(name, e))?;
        if let Some(e) = um.servers.lock().await.remove(name) {
            e.stop();
        }
        Ok(removed)
    }

    /// The tools of one server (`Some(name)`, started on demand; its failure is the
    /// error) or of every enabled server (each failure returned beside the tools).
    pub async fn tools_of(
        &self,
        user: &UserId,
        server: Option<&str>,
    ) -> Result<(Vec<McpToolDef>, Vec<(String, McpError)>), McpError> {
        check_user(user)?;
        let um = self.user(user)?;
        um.env
            .limits
            .get()
            .permissions
            .check(arranger_domain::Capability::Mcp)
            .map_err(McpError::Forbidden)?;
        let names: Vec<String> = match server {
            Some(name) => vec![name.to_owned()],
            None => um
                .env
                .store
                .list_mcp_servers()
                .await?
                .into_iter()
                .filter(|s| s.enabled)
                .map(|s| s.name)
                .collect(),
        };
        let mut tools = Vec::new();
        let mut errors = Vec::new();
        for name in names {
            match self.ensure(&um, &name).await {
                Ok(live) => tools.extend(defs(&live)),
                Err(e) if server.is_some() => return Err(e),
                Err(e) => errors.push((name, e)),
            }
        }
        Ok((tools, errors))
    }

    /// The tool definitions of every enabled server of `user` (servers that cannot start
    /// are skipped and logged). For the team: offer these beside the built-in tools.
    pub async fn tools(&self, user: &UserId) -> Result<Vec<McpToolDef>, McpError> {
        let (tools, errors) = self.tools_of(user, None).await?;
        for (server, e) in errors {
            tracing::info!(user = %user, server = %server, error = %e, "MCP server skipped");
        }
        Ok(tools)
    }

    /// Calls `mcp__<server>__<tool>` with `args` (an object, or null for none) for
    /// `user`: the text content joined (capped, secrets masked), or the server's error.
    pub async fn call(&self, user: &UserId, name: &str, args: Value) -> Result<String, McpError> {
        check_user(user)?;
        let (server, tool) = parse_mcp_tool_name(name).ok_or_else(|| {
            McpError::Invalid(format!(
                "{name:?} is not an MCP tool name; they look like mcp__<server>__<tool> (mcp.tools lists them)"
            ))
        })?;
        let arguments = match args {
            Value::Object(m) => m,
            Value::Null => Default::default(),
            other => {
                return Err(McpError::Invalid(format!(
                    "the arguments of {name} must be a JSON object, not {other}"
                )));
            }
        };
        let um = self.user(user)?;
        let live = self.ensure(&um, server).await?;
        if !live.tools.iter().any(|t| t.name == tool) {
            return Err(McpError::NotFound(format!(
                "MCP server {server:?} has no tool {tool:?}; mcp.tools lists its tools"
            )));
        }
        let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
        let secs = self.config.call_timeout.as_secs_f64();
        let answer =
            tokio::time::timeout(self.config.call_timeout, live.peer.call_tool_once(params))
                .await
                .map_err(|_| {
                    McpError::Timeout(format!(
                        "{name} did not answer within {secs:.0} s; the call was cancelled"
                    ))
                })?;
        if let Some(e) = um.servers.lock().await.get(server) {
            e.touch();
        }
        let result = match answer.map_err(|e| service_error(server, e)) {
            Ok(CallToolResponse::Complete(r)) => r,
            Ok(_) => {
                return Err(McpError::Unavailable(format!(
                    "{name} asked for interactive input or started a background task, which Arranger does not support"
                )));
            }
            Err(McpError::Tool(m)) => return Err(McpError::Tool(live.redact.apply(&m))),
            Err(e) => return Err(e),
        };
        let text = cap(
            live.redact.apply(&result_text(&result)),
            self.config.max_result_bytes,
        );
        if result.is_error == Some(true) {
            return Err(McpError::Tool(if text.is_empty() {
                format!("{name} failed without saying why")
            } else {
                text
            }));
        }
        Ok(text)
    }

    /// The running server `name` of the user, started if needed (waiting for the start).
    async fn ensure(&self, um: &Arc<UserMcp>, name: &str) -> Result<Arc<Live>, McpError> {
        let limits = um.env.limits.get();
        limits
            .permissions
            .check(arranger_domain::Capability::Mcp)
            .map_err(McpError::Forbidden)?;
        let spec = um
            .env
            .store
            .get_mcp_server(name.to_owned())
            .await
            .map_err(|e| store_err(name, e))?;
        if !spec.enabled {
            return Err(McpError::Unavailable(format!(
                "MCP server {name:?} is disabled; enable it with mcp.add"
            )));
        }
        let entry = {
            let mut servers = um.servers.lock().await;
            let entry = servers
                .entry(name.to_owned())
                .or_insert_with(|| Arc::new(Entry::new()))
                .clone();
            entry.touch();
            match entry.phase() {
                Phase::Running(live) if live.spec == spec => return Ok(live),
                Phase::Running(_) => entry.stop(),
                Phase::Starting => {}
                Phase::Crashed => {
                    return Err(McpError::Unavailable(format!(
                        "MCP server {name:?} crashed: {}; fix its definition (or what it needs) and save it again with mcp.add",
                        entry.error().unwrap_or_else(|| "unknown error".into())
                    )));
                }
                Phase::Stopped => {}
            }
            if !matches!(entry.phase(), Phase::Starting) {
                let active = servers
                    .iter()
                    .filter(|(n, e)| n.as_str() != name && e.phase().active())
                    .count();
                if let Some(max) = limits.quotas.mcp_servers
                    && active >= max as usize
                {
                    return Err(arranger_domain::QuotaExceeded {
                        limit: arranger_domain::QuotaKind::McpServers,
                        scope: arranger_domain::QuotaScope::User,
                        used: active as f64,
                        max: f64::from(max),
                        resets_at: None,
                    }
                    .into());
                }
                if active >= self.config.max_running {
                    return Err(McpError::Limit(format!(
                        "you already have {active} MCP servers running (at most {}); remove one with mcp.remove or wait until one stops when idle",
                        self.config.max_running
                    )));
                }
                self.start(um, &entry, spec).await?;
            }
            entry
        };
        let mut rx = entry.phase.subscribe();
        let budget =
            (self.config.start_timeout + Duration::from_secs(5)) * (self.config.max_restarts + 1);
        let outcome = tokio::time::timeout(budget, rx.wait_for(|p| !matches!(p, Phase::Starting)))
            .await
            .map_err(|_| McpError::Timeout(format!("MCP server {name:?} did not start in time")))?
            .map(|p| p.clone())
            .map_err(|_| McpError::Unavailable(format!("MCP server {name:?} was removed")))?;
        match outcome {
            Phase::Running(live) => Ok(live),
            Phase::Crashed => Err(McpError::Unavailable(format!(
                "MCP server {name:?} crashed: {}; fix its definition (or what it needs) and save it again with mcp.add",
                entry.error().unwrap_or_else(|| "unknown error".into())
            ))),
            _ => Err(McpError::Unavailable(format!(
                "MCP server {name:?} was stopped while starting; try again"
            ))),
        }
    }

    /// Resolves the definition's secrets and starts its supervisor (phase `Starting`).
    async fn start(
        &self,
        um: &Arc<UserMcp>,
        entry: &Arc<Entry>,
        spec: McpServerSpec,
    ) -> Result<(), McpError> {
        let name = spec.name.clone();
        let wanted: Vec<String> = spec.secret_names().into_iter().map(str::to_owned).collect();
        let values = um
            .env
            .store
            .secret_values(wanted, um.env.secrets.clone())
            .await
            .map_err(|e| store_err(&name, e))?;
        let check = match &spec.transport {
            McpTransport::Stdio { .. } if (um.env.sandbox)().is_none() => {
                Err(McpError::Unavailable(
                    "stdio MCP servers are not enabled on this server (processes are disabled)"
                        .into(),
                ))
            }
            McpTransport::Http { .. }
                if (um.env.sandbox)().is_some_and(|s| s.network == NetworkPolicy::Deny) =>
            {
                Err(McpError::Unavailable(
                    "HTTP MCP servers are not available: your network policy is \"deny\"".into(),
                ))
            }
            _ => Ok(()),
        };
        check?;
        let token = CancellationToken::new();
        if let Ok(mut s) = entry.stop.lock()
            && let Some(old) = s.replace(token.clone())
        {
            old.cancel();
        }
        let run = entry.run.fetch_add(1, Ordering::SeqCst) + 1;
        entry.phase.send_replace(Phase::Starting);
        let sup = Supervisor {
            run,
            user: um.user.clone(),
            env: um.env.clone(),
            entry: entry.clone(),
            spec,
            redact: Arc::new(Redactor::new(&values)),
            values,
            config: self.config.clone(),
            http: self.http.clone(),
            stop: token,
        };
        tokio::spawn(sup.run());
        Ok(())
    }
}

fn defs(live: &Live) -> Vec<McpToolDef> {
    let server = &live.spec.name;
    live.tools
        .iter()
        .filter_map(|t| {
            let Some(name) = mcp_tool_name(server, &t.name) else {
                tracing::debug!(server = %server, tool = %t.name, "MCP tool skipped: its name cannot be a model tool name");
                return None;
            };
            Some(McpToolDef {
                name,
                server: server.clone(),
                tool: t.name.to_string(),
                description: t
                    .description
                    .as_deref()
                    .or(t.title.as_deref())
                    .unwrap_or("")
                    .to_owned(),
                input_schema: Value::Object((*t.input_schema).clone()),
                risk: live.spec.risk_of(&t.name),
            })
        })
        .collect()
}

fn stop_all_now(um: &Arc<UserMcp>) {
    // Called from sync code (a context being dropped). The map is rarely contended; when
    // it is, a task stops the servers as soon as it can.
    if let Ok(servers) = um.servers.try_lock() {
        for e in servers.values() {
            e.stop();
        }
    } else if let Ok(rt) = tokio::runtime::Handle::try_current() {
        let um = um.clone();
        rt.spawn(async move {
            for e in um.servers.lock().await.values() {
                e.stop();
            }
        });
    }
}

/// How one run of a connected server ended.
enum Ended {
    Stopped,
    Crashed(String),
}

/// Owns one server's processes and connections, from start to stop or crash.
struct Supervisor {
    run: u64,
    user: UserId,
    env: UserEnv,
    entry: Arc<Entry>,
    spec: McpServerSpec,
    values: BTreeMap<String, String>,
    redact: Arc<Redactor>,
    config: McpConfig,
    http: reqwest::Client,
    stop: CancellationToken,
}

impl Supervisor {
    /// Sets the phase unless a newer supervisor has taken over the entry.
    fn set(&self, phase: Phase) {
        if self.entry.run.load(Ordering::SeqCst) == self.run {
            self.entry.phase.send_replace(phase);
        }
    }

    async fn run(self) {
        let name = self.spec.name.clone();
        let mut failures = 0u32;
        loop {
            if self.stop.is_cancelled() {
                break;
            }
            let started = Instant::now();
            let ended = match &self.spec.transport {
                McpTransport::Stdio { .. } => self.run_stdio().await,
                McpTransport::Http { .. } => self.run_http().await,
            };
            let error = match ended {
                Ended::Stopped => break,
                Ended::Crashed(e) => e,
            };
            if started.elapsed() >= STABLE_AFTER {
                failures = 0;
            }
            if self.entry.run.load(Ordering::SeqCst) != self.run {
                // Replaced by a newer definition meanwhile: nothing of ours to report.
                return;
            }
            failures += 1;
            let error = self.redact.apply(&error);
            tracing::info!(user = %self.user, server = %name, error = %error, failures, "MCP server failed");
            self.entry.set_error(error);
            if failures > self.config.max_restarts {
                self.set(Phase::Crashed);
                return;
            }
            self.entry.restarts.fetch_add(1, Ordering::Relaxed);
            self.set(Phase::Starting);
            let delay = self
                .config
                .restart_backoff
                .saturating_mul(1 << (failures - 1).min(5))
                .min(Duration::from_secs(5));
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.stop.cancelled() => break,
            }
        }
        self.set(Phase::Stopped);
    }

    fn mapped(&self, vars: &[arranger_domain::McpVar]) -> Vec<(String, String)> {
        vars.iter()
            .map(|v| {
                let value = match (&v.secret, &v.value) {
                    (Some(s), _) => self.values.get(s).cloned().unwrap_or_default(),
                    (None, Some(v)) => v.clone(),
                    (None, None) => String::new(),
                };
                (v.name.clone(), value)
            })
            .collect()
    }

    fn running(&self, peer: Peer<RoleClient>, tools: Vec<Tool>) {
        self.entry.touch();
        self.set(Phase::Running(Arc::new(Live {
            peer,
            tools,
            spec: self.spec.clone(),
            redact: self.redact.clone(),
        })));
    }

    async fn run_stdio(&self) -> Ended {
        let McpTransport::Stdio {
            command,
            args,
            env,
            cwd,
        } = &self.spec.transport
        else {
            return Ended::Crashed("not a stdio server".into());
        };
        let Some(sandbox) = &(self.env.sandbox)() else {
            return Ended::Crashed("processes are not enabled on this server".into());
        };
        let user = self.user.to_string();
        let launch = StdioLaunch {
            user: &user,
            server: &self.spec.name,
            command,
            args,
            env: self.mapped(env).into_iter().collect(),
            cwd: cwd.as_deref(),
        };
        let spawned = tokio::select! {
            s = process::spawn(launch, &self.env.workspace, sandbox, self.redact.clone()) => s,
            _ = self.stop.cancelled() => return Ended::Stopped,
        };
        let process::Spawned {
            mut child,
            stdin,
            stdout,
            stderr,
            group,
        } = match spawned {
            Ok(s) => s,
            Err(e) => return Ended::Crashed(e.to_string()),
        };
        let _group: GroupKill = group;
        let transport = AsyncRwTransport::<RoleClient, _, _>::new(stdout, stdin)
            .with_max_line_length(MAX_LINE_BYTES);
        let connect = async {
            let service = ().serve(transport).await.map_err(|e| e.to_string())?;
            let tools = service.list_all_tools().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((service, tools))
        };
        let connected = tokio::select! {
            r = tokio::time::timeout(self.config.start_timeout, connect) => r,
            _ = self.stop.cancelled() => return Ended::Stopped,
        };
        let (service, tools) = match connected {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                let status = exit_status(&mut child).await;
                stderr.drained(Duration::from_millis(500)).await;
                return Ended::Crashed(format!(
                    "the MCP handshake failed ({e}){status}{}",
                    stderr.suffix()
                ));
            }
            Err(_) => {
                return Ended::Crashed(format!(
                    "no MCP handshake within {} s{}",
                    self.config.start_timeout.as_secs(),
                    stderr.suffix()
                ));
            }
        };
        tracing::debug!(user = %self.user, server = %self.spec.name, tools = tools.len(), "MCP server running");
        self.running(service.peer().clone(), tools);
        let stopped = tokio::select! {
            _ = child.wait() => false,
            _ = service.waiting() => false,
            _ = self.stop.cancelled() => true,
        };
        if stopped {
            // `_group` kills the whole group when dropped; reap the child.
            drop(_group);
            let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
            return Ended::Stopped;
        }
        // It exited or closed its end: say how, with the end of its standard error.
        let status = exit_status(&mut child).await;
        drop(_group);
        let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
        stderr.drained(Duration::from_millis(500)).await;
        let how = if status.is_empty() {
            "it closed the connection".to_owned()
        } else {
            status.trim_start_matches("; ").to_owned()
        };
        Ended::Crashed(format!("{how}{}", stderr.suffix()))
    }

    async fn run_http(&self) -> Ended {
        let McpTransport::Http { url, headers } = &self.spec.transport else {
            return Ended::Crashed("not an HTTP server".into());
        };
        // A definition saved before the server refused private addresses.
        if self.config.public_only
            && let Err(e) = arranger_net::check_url(url)
        {
            return Ended::Crashed(e);
        }
        let mut map = HashMap::new();
        for (name, value) in self.mapped(headers) {
            let (Ok(n), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(name.as_bytes()),
                reqwest::header::HeaderValue::from_str(&value),
            ) else {
                return Ended::Crashed(format!(
                    "header {name:?} cannot be sent (its value has characters a header cannot carry)"
                ));
            };
            map.insert(n, v);
        }
        let config =
            StreamableHttpClientTransportConfig::with_uri(url.as_str()).custom_headers(map);
        let transport = StreamableHttpClientTransport::with_client(self.http.clone(), config);
        let connect = async {
            let service = ().serve(transport).await.map_err(|e| e.to_string())?;
            let tools = service.list_all_tools().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((service, tools))
        };
        let connected = tokio::select! {
            r = tokio::time::timeout(self.config.start_timeout, connect) => r,
            _ = self.stop.cancelled() => return Ended::Stopped,
        };
        let (service, tools) = match connected {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return Ended::Crashed(format!("cannot connect: {e}")),
            Err(_) => {
                return Ended::Crashed(format!(
                    "no MCP handshake within {} s",
                    self.config.start_timeout.as_secs()
                ));
            }
        };
        self.running(service.peer().clone(), tools);
        tokio::select! {
            _ = service.waiting() => Ended::Crashed("the connection closed".into()),
            _ = self.stop.cancelled() => Ended::Stopped,
        }
    }
}

/// `", exit status N"` when the child has exited (waiting briefly), else `""`.
async fn exit_status(child: &mut tokio::process::Child) -> String {
    match tokio::time::timeout(Duration::from_secs(1), child.wait()).await {
        Ok(Ok(s)) => format!("; it exited ({s})"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_capped_saying_how_much() {
        let s = "é".repeat(100);
        let c = cap(s.clone(), 11);
        assert!(c.starts_with(&"é".repeat(5)));
        assert!(c.contains("cut at 11 bytes: 190 more bytes"), "{c}");
        assert_eq!(cap("short".into(), 10), "short");
    }
}
