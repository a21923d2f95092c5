//! Arranger's MCP connector (BRIEF B9): each user's own MCP servers, reached with the
//! official Rust SDK (`rmcp`) as a client.
//!
//! * [`McpHub`] — one per process, keyed by user. A user's servers start on demand (the
//!   first `tools`/`call` that needs them), are restarted after a crash with a bounded
//!   backoff (a crash loop ends in [`McpServerState::Crashed`] with the error), stop when
//!   idle ([`McpConfig::idle`]), when the user's context is dropped
//!   ([`McpHub::detach`]) and at shutdown ([`McpHub::shutdown`]).
//! * Stdio servers run **sandboxed exactly like commands**: spawned with `pre_exec`
//!   applying the user's [`arranger_host::sandbox::Prepared`] (read-write only beneath the
//!   workspace and the user's private tmp, no data directory, no capabilities,
//!   `no_new_privs`), with the sandbox's scrubbed environment plus only the variables the
//!   definition maps, in their own process group (killed whole on stop), `cwd` inside the
//!   workspace, standard error piped, logged (capped) and kept for crash messages.
//! * HTTP servers use MCP's streamable HTTP transport over the process's one `reqwest`
//!   client (rustls, the same TLS stack as the LLM pool).
//! * Tools are offered as `mcp__<server>__<tool>` ([`arranger_domain::mcp::mcp_tool_name`]);
//!   calls have a timeout and results are capped; values of the user's secrets mapped into
//!   a server are masked in its results, errors and logged standard error.
//!
//! **Architecture invariant:** every entry point takes the user and checks it against the
//! task's current user ([`arranger_host::current_user`]); a user's servers, states and
//! tools live under that user's key only, so no call can name another user's server.

mod hub;
mod process;
mod redact;

pub use arranger_domain::mcp::{mcp_tool_name, parse_mcp_tool_name};
pub use hub::{McpConfig, McpHub, UserEnv};

use arranger_store::StoreError;

/// Why an MCP operation failed. Messages say what to do and never contain secret values
/// or host paths.
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    /// No such server (or tool) for this user; another user's names answer this too.
    #[error("{0}")]
    NotFound(String),
    /// The request or the definition is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// A limit was reached (running servers per user).
    #[error("{0}")]
    Limit(String),
    /// The server cannot be used now: it failed to start, crashed, or is disabled.
    #[error("{0}")]
    Unavailable(String),
    /// The tool ran and reported an error: the server's message.
    #[error("{0}")]
    Tool(String),
    /// The server did not answer in time.
    #[error("{0}")]
    Timeout(String),
    /// The user's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Called outside the user's context or with another user's: a server bug.
    #[error("MCP call without the matching user context")]
    WrongUser,
    /// The user's MCP server quota is reached.
    #[error(transparent)]
    Quota(#[from] arranger_domain::QuotaExceeded),
    /// The user may not use MCP servers (an admin denied it).
    #[error("{0}")]
    Forbidden(String),
}
