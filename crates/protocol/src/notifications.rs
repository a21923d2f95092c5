//! Notifications the server sends without being asked.

use arranger_domain::fs::FileChange;
use arranger_domain::{AgentDelta, Event, LlmHealth};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `event`: one committed change of the user's state, in sequence order. Sent after
/// `events.subscribe`: first the missed events (replay), then live ones.
pub const EVENT: &str = "event";
/// `agent.delta`: a piece of an agent's reply as it streams in (not stored; the finished
/// turn arrives as a `step_added` event).
pub const AGENT_DELTA: &str = "agent.delta";
/// `agent_health`: a language-model provider's circuit breaker changed state.
pub const AGENT_HEALTH: &str = "agent_health";
/// `fs.changed`: files changed in the user's workspace (from the file watcher).
pub const FS_CHANGED: &str = "fs.changed";
/// `index.status`: the user's workspace index changed state or size.
pub const INDEX_STATUS: &str = "index.status";

/// `terminal.output`: output of one of the user's terminals.
pub const TERMINAL_OUTPUT: &str = "terminal.output";
/// `terminal.exit`: one of the user's terminals exited.
pub const TERMINAL_EXIT: &str = "terminal.exit";

/// Parameters of the `terminal.output` notification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TerminalOutputParams {
    /// Terminal id.
    pub id: String,
    /// Byte offset of the first byte of `data` in the terminal's whole output.
    pub offset: u64,
    /// The output, cut at character boundaries.
    pub data: String,
}

/// Parameters of the `terminal.exit` notification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TerminalExitParams {
    /// Terminal id.
    pub id: String,
    /// Exit code; 128 + the signal number when the shell was killed.
    pub code: i32,
}

/// Parameters of the `event` notification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventParams {
    /// The event (`seq`, `at`, `type` and the type's fields).
    pub event: Event,
}

/// Parameters of the `fs.changed` notification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FsChangedParams {
    /// The changes, coalesced over a short window.
    pub changes: Vec<FileChange>,
}

/// Every notification: name, parameter schema and meaning.
pub fn all(
    g: &mut schemars::SchemaGenerator,
) -> Vec<(&'static str, schemars::Schema, &'static str)> {
    vec![
        (
            EVENT,
            g.subschema_for::<EventParams>(),
            "One committed change of the user's state. Replayed from `since`, then live, gap-free and in `seq` order.",
        ),
        (
            AGENT_DELTA,
            g.subschema_for::<AgentDelta>(),
            "A piece of an agent's reply as it streams in: `kind` is `text`, `reasoning`, or `restart` (discard this turn's pieces so far). Not stored; the finished turn arrives as a `step_added` event.",
        ),
        (
            AGENT_HEALTH,
            g.subschema_for::<LlmHealth>(),
            "A language-model provider's circuit breaker changed state (`open` means calls fail or go to the fallback). Sent to every subscribed connection.",
        ),
        (
            INDEX_STATUS,
            g.subschema_for::<arranger_domain::IndexStatus>(),
            "The user's workspace index changed: building progress (`files` of `files_total`), ready, or failed with `error`; sizes after each update. Coalesced: a slow connection gets the newest state. Only the owning user's subscribed connections receive it.",
        ),
        (
            FS_CHANGED,
            g.subschema_for::<FsChangedParams>(),
            "Files changed in the user's workspace, seen by the file watcher. Only the owning user's connections receive it.",
        ),
        (
            TERMINAL_OUTPUT,
            g.subschema_for::<TerminalOutputParams>(),
            "Output of one of the user's terminals, in order; `offset` counts bytes of the terminal's whole output. A connection that falls behind may miss chunks: `terminal.read` with `since` returns them from the scrollback. Only the owning user's subscribed connections receive it.",
        ),
        (
            TERMINAL_EXIT,
            g.subschema_for::<TerminalExitParams>(),
            "One of the user's terminals exited (after its last output); `code` is 128 + the signal number when it was killed, e.g. by `terminal.close`.",
        ),
    ]
}
