use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Single-user or multi-user (BRIEF A8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One implicit user whose workspace is `workspace`; protected by one token.
    SingleUser {
        /// The project folder served.
        workspace: PathBuf,
        /// The token every client must present (from `ARRANGER_TOKEN` or generated).
        token: String,
    },
    /// Many users from the user directory; workspaces under `<data-dir>/users/<id>/workspace`.
    MultiUser,
}

/// Limits that protect users from each other.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest WebSocket message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Requests per second per user (sustained).
    pub requests_per_second: u32,
    /// Burst of requests per user.
    pub request_burst: u32,
    /// Requests one connection may have in flight.
    pub in_flight_per_connection: usize,
    /// A user's context is dropped from memory after this long without connections.
    pub session_idle: Duration,
    /// A user's SQLite handle is closed after this long unused.
    pub db_idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 8 * 1024 * 1024,
            requests_per_second: 200,
            request_burst: 400,
            in_flight_per_connection: 16,
            session_idle: Duration::from_secs(300),
            db_idle: Duration::from_secs(15),
        }
    }
}

/// Everything `Server::bind` needs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where all data lives.
    pub data_dir: PathBuf,
    /// Single- or multi-user.
    pub mode: Mode,
    /// Extra origins allowed to open WebSockets (e.g. `https://arranger.example.com`).
    pub allowed_origins: Vec<String>,
    /// Extra host names the server answers to (besides `localhost` and IP literals);
    /// anything else is refused, which defeats DNS rebinding.
    pub allowed_hosts: Vec<String>,
    /// Limits.
    pub limits: Limits,
    /// The server's default language model, if one is configured.
    pub llm: Option<arranger_llm::ProviderConfig>,
    /// Limits of every user's team.
    pub team: arranger_team::TeamConfig,
    /// The shared LLM pool: timeouts, retries, per-provider limits, prices.
    pub pool: arranger_llm::PoolConfig,
    /// Users' MCP servers: idle stop, running limit, call timeout, restarts.
    pub mcp: arranger_mcp::McpConfig,
    /// The administrator's explicit opt-out: in multi-user mode, run users' processes
    /// (commands, terminals, stdio MCP servers) even when the kernel cannot confine them
    /// with Landlock. Off by default: such processes are refused.
    pub allow_unsandboxed: bool,
    /// The administrator's explicit opt-out: in multi-user mode, let users' own LLM
    /// providers and HTTP MCP servers be at private addresses (loopback, the local
    /// network, metadata endpoints). Off by default: requests the server makes for users
    /// go only to public addresses. Single-user mode always allows them.
    pub allow_private_networks: bool,
    /// Serve the web UI from this directory (a `web/dist` built by `npm run build`)
    /// instead of the one embedded in the binary: for working on the UI without
    /// rebuilding the server.
    pub web_dir: Option<std::path::PathBuf>,
}

/// The pool settings used when nothing is configured: like the library's, but with room
/// for a team server's concurrency (256 requests in flight per provider).
pub fn default_pool() -> arranger_llm::PoolConfig {
    let mut p = arranger_llm::PoolConfig::default();
    p.default_provider.limits.max_concurrency = 256;
    p
}
