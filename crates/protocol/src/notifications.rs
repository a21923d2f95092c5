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
            FS_CHANGED,
            g.subschema_for::<FsChangedParams>(),
            "Files changed in the user's workspace, seen by the file watcher. Only the owning user's connections receive it.",
        ),
    ]
}
