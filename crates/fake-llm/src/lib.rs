//! A fake LLM server for tests, benchmarks and demos.
//!
//! It speaks the real wire formats of **OpenAI-compatible Chat Completions**
//! (`POST /v1/chat/completions`, also `/chat/completions`; `GET /v1/models`) and
//! **Anthropic Messages** (`POST /v1/messages`), streaming (SSE) and non-streaming, with
//! tool calls, reasoning, usage, provider-shaped errors and injected faults. What it
//! answers is scripted by a [`Scenario`].
//!
//! ```no_run
//! use arranger_fake_llm::{FakeLlm, Match, Reply, Rule, Scenario};
//! use serde_json::json;
//!
//! # async fn demo() -> std::io::Result<()> {
//! let scenario = Scenario::new()
//!     .rule(Rule::on_turn(0).reply(Reply::tool("write_file", json!({"path": "a.txt", "content": "hi"}))))
//!     .rule(Rule::when(Match::any().last_tool_result_contains("ok")).text("Done."))
//!     .rule(Rule::any().times(1).status(429).retry_after_secs(1));
//! let fake = FakeLlm::start(scenario).await?;
//! let url = format!("{}/v1/chat/completions", fake.base_url());
//! # let _ = url;
//! // … point a client at it, then inspect fake.requests() …
//! fake.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Scenario JSON
//!
//! ```json
//! {
//!   "description": "optional free text",
//!   "api_key": "sk-test",
//!   "models": ["fake-model"],
//!   "rules": [
//!     {
//!       "name": "first step",
//!       "match": {"turn": 0, "has_tool": "write_file", "last_user_contains": "hello"},
//!       "times": 1,
//!       "reply": {
//!         "reasoning": "The user wants a file.",
//!         "text": "Writing it.",
//!         "tool_calls": [{"name": "write_file", "arguments": {"path": "hello.txt", "content": "hi"}}]
//!       },
//!       "chunk_chars": 8,
//!       "chunk_delay_ms": 5,
//!       "first_byte_delay_ms": 50
//!     },
//!     {"match": {"any_contains": "overload"}, "status": 529, "retry_after_secs": 2},
//!     {"match": {"turn": 1}, "reply": {"text": "Done: {{last_tool_result}}"}, "cut_after_chunks": 3}
//!   ],
//!   "default": {"reply": {"text": "I have nothing scripted for that."}}
//! }
//! ```
//!
//! Rule fields: `name`, `match` (`api`, `model`, `system_contains`, `last_user_contains`,
//! `last_tool_result_contains`, `any_contains`, `turn`, `has_tools`, `has_tool`), `times`,
//! `reply` (`text`, `reasoning`, `tool_calls` of `{id?, name, arguments}`, `finish`,
//! `usage`), and delivery / faults: `chunk_chars`, `chunk_delay_ms`, `first_byte_delay_ms`,
//! `status`, `retry_after_secs`, `error_message`, `cut_after_chunks`,
//! `stall_after_chunks`, `error_after_chunks`, `hang`. Unknown fields are rejected, so
//! typos fail loudly. Scenario fields: `description`, `api_key`, `models`, `strict`
//! (default `true`), `enforce_max_tokens` (default `false`), `rules`, `default`.

#![deny(missing_docs)]

mod record;
mod scenario;
mod server;
mod view;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpSocket;
use tokio::task::JoinHandle;

pub use record::{Answer, RecordedRequest};
pub use scenario::{Api, Finish, Match, Reply, Rule, Scenario, ToolCall, UsageOverride};

use server::Shared;

/// How to run a [`FakeLlm`].
#[derive(Debug, Clone)]
pub struct FakeLlmOptions {
    /// Address to listen on; port 0 picks an ephemeral port. Default `127.0.0.1:0`.
    pub listen: SocketAddr,
    /// Keep at most this many recorded requests (the oldest are dropped); `Some(0)` keeps
    /// none. `None` (the default) keeps all. [`FakeLlm::request_count`] counts them all.
    pub max_recorded: Option<usize>,
    /// Print one line per request to stderr.
    pub log: bool,
}

impl Default for FakeLlmOptions {
    fn default() -> Self {
        FakeLlmOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            max_recorded: None,
            log: false,
        }
    }
}

/// A running fake LLM server. Dropping it stops the server too (without waiting).
pub struct FakeLlm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

impl FakeLlm {
    /// Starts on 127.0.0.1 with an ephemeral port.
    pub async fn start(scenario: Scenario) -> std::io::Result<FakeLlm> {
        FakeLlm::start_with(scenario, FakeLlmOptions::default()).await
    }

    /// Starts with explicit options (listen address, recording limit, logging).
    pub async fn start_with(
        scenario: Scenario,
        options: FakeLlmOptions,
    ) -> std::io::Result<FakeLlm> {
        let socket = if options.listen.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        socket.bind(options.listen)?;
        let listener = socket.listen(4096)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(scenario, options.max_recorded, options.log));
        let app = server::router(Arc::clone(&shared));
        let task = tokio::spawn(server::serve(listener, app, shared.cancel.clone()));
        Ok(FakeLlm {
            addr,
            shared,
            task: Some(task),
        })
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` — clients append `/v1/chat/completions`, `/v1/messages`, ….
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/v1`, the form OpenAI clients take as their base URL
    /// (`OPENAI_BASE_URL`).
    pub fn openai_base_url(&self) -> String {
        format!("{}/v1", self.base_url())
    }

    /// Every request received so far (up to the recording limit), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// The number of requests received so far (including any no longer recorded).
    pub fn request_count(&self) -> usize {
        self.shared.count()
    }

    /// Forgets the recorded requests (the count keeps counting).
    pub fn clear_requests(&self) {
        self.shared.clear_requests();
    }

    /// Waits until at least `n` requests have arrived; `false` if `timeout` passed first.
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        self.shared.wait_for(n, timeout).await
    }

    /// Replaces the scenario; requests already being answered finish with the old one.
    /// The `times` counters start afresh.
    pub fn set_scenario(&self, scenario: Scenario) {
        self.shared.set_scenario(scenario);
    }

    /// The scenario in force.
    pub fn scenario(&self) -> Scenario {
        self.shared.active().scenario.clone()
    }

    /// Stops the server: every connection is closed at once (hanging and streaming
    /// requests fail on the client side), then waits for the connection tasks to end.
    pub async fn shutdown(mut self) {
        self.shared.cancel.cancel();
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.shared.cancel.cancel();
    }
}

impl std::fmt::Debug for FakeLlm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeLlm")
            .field("addr", &self.addr)
            .field("requests", &self.request_count())
            .finish()
    }
}
