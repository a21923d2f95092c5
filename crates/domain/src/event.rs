//! Typed events: every change to a user's state is one of these, numbered by a
//! per-user, gap-free sequence (BRIEF B1).

use crate::command::UserCommand;
use crate::{
    Agent, AssistRequest, McpServerSpec, Message, Session, Step, Task, TaskStatus, Timestamp,
    ToolRun, UserConfig,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One recorded change, as stored in the event log and streamed to clients.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Event {
    /// Per-user sequence number: 1, 2, 3, … with no gaps.
    pub seq: u64,
    /// When the change was committed.
    pub at: Timestamp,
    /// What changed.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Which key-value store a `state.*` call addresses (VS Code's globalState / workspaceState).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StateScope {
    /// Shared by all of the user's workspaces.
    Global,
    /// Bound to the user's current workspace.
    Workspace,
}

impl StateScope {
    /// The database name of this scope.
    pub fn as_str(self) -> &'static str {
        match self {
            StateScope::Global => "global",
            StateScope::Workspace => "workspace",
        }
    }
}

/// What changed. The `type` tag names the event on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A session was created.
    SessionCreated {
        /// The new session.
        session: Session,
    },
    /// A session was renamed, archived or unarchived.
    SessionUpdated {
        /// The session after the change.
        session: Session,
    },
    /// A message was posted to a Blackboard.
    MessageAdded {
        /// The new message.
        message: Message,
    },
    /// A task was created.
    TaskCreated {
        /// The new task.
        task: Task,
    },
    /// A task changed; `from` is set when its state changed (the new state is `task.status`).
    TaskUpdated {
        /// The task after the change.
        task: Task,
        /// The previous state, for a state change.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<TaskStatus>,
        /// Why the state changed, if said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A `state.*` key was set or deleted.
    StateChanged {
        /// The store.
        scope: StateScope,
        /// The key.
        key: String,
        /// The new value; absent when the key was deleted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<serde_json::Value>,
    },
    /// A user-defined command was registered or replaced.
    CommandRegistered {
        /// The command.
        command: UserCommand,
    },
    /// A user-defined command was removed.
    CommandUnregistered {
        /// Its id.
        id: String,
    },
    /// An agent was created or changed (configuration, record).
    AgentUpdated {
        /// The agent after the change.
        agent: Agent,
    },
    /// An agent recorded a step (a model turn, a tool result, a note).
    StepAdded {
        /// The step.
        step: Step,
    },
    /// A tool run started.
    ToolRunAdded {
        /// The run.
        run: ToolRun,
    },
    /// A tool run finished.
    ToolRunUpdated {
        /// The run after the change.
        run: ToolRun,
    },
    /// An agent asked for help.
    AssistRequested {
        /// The request.
        assist: AssistRequest,
    },
    /// An assist request changed (helper chosen, answered, failed).
    AssistUpdated {
        /// The request after the change.
        assist: AssistRequest,
    },
    /// An agent's model call was accounted. When it was for a task, the task's `usage`
    /// totals grew by `usage` in the same commit; no `task_updated` event repeats the task.
    UsageRecorded {
        /// The agent.
        agent_id: crate::AgentId,
        /// The task, if the call was for one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task_id: Option<crate::TaskId>,
        /// What the call cost.
        usage: crate::Usage,
    },
    /// The user's risk rules changed (`policy.set`, or an `allow_always` decision).
    PolicyUpdated {
        /// The user's and the workspace's rules after the change (built-in rules are not
        /// repeated; `policy.get` shows them).
        rules: Vec<arranger_policy::Rule>,
    },
    /// The user's model configuration changed (keys are never part of it).
    ConfigUpdated {
        /// The configuration after the change.
        config: UserConfig,
    },
    /// A secret was set or changed. Only its name: the value is never in an event.
    SecretUpdated {
        /// The secret's name.
        name: String,
    },
    /// A secret was deleted.
    SecretRemoved {
        /// The secret's name.
        name: String,
    },
    /// An MCP server definition was added or replaced (secrets by name only).
    McpServerUpdated {
        /// The definition after the change.
        server: McpServerSpec,
    },
    /// An MCP server definition was removed (and the server stopped).
    McpServerRemoved {
        /// Its name.
        name: String,
    },
}

impl EventKind {
    /// The wire name of this event (the `type` tag).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::SessionCreated { .. } => "session_created",
            EventKind::SessionUpdated { .. } => "session_updated",
            EventKind::MessageAdded { .. } => "message_added",
            EventKind::TaskCreated { .. } => "task_created",
            EventKind::TaskUpdated { .. } => "task_updated",
            EventKind::StateChanged { .. } => "state_changed",
            EventKind::CommandRegistered { .. } => "command_registered",
            EventKind::CommandUnregistered { .. } => "command_unregistered",
            EventKind::AgentUpdated { .. } => "agent_updated",
            EventKind::StepAdded { .. } => "step_added",
            EventKind::ToolRunAdded { .. } => "tool_run_added",
            EventKind::ToolRunUpdated { .. } => "tool_run_updated",
            EventKind::AssistRequested { .. } => "assist_requested",
            EventKind::AssistUpdated { .. } => "assist_updated",
            EventKind::ConfigUpdated { .. } => "config_updated",
            EventKind::UsageRecorded { .. } => "usage_recorded",
            EventKind::PolicyUpdated { .. } => "policy_updated",
            EventKind::SecretUpdated { .. } => "secret_updated",
            EventKind::SecretRemoved { .. } => "secret_removed",
            EventKind::McpServerUpdated { .. } => "mcp_server_updated",
            EventKind::McpServerRemoved { .. } => "mcp_server_removed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Session, SessionId};

    #[test]
    fn wire_shape_is_flat_with_a_type_tag() {
        let e = Event {
            seq: 7,
            at: 1,
            kind: EventKind::SessionCreated {
                session: Session {
                    id: SessionId::default_session(),
                    title: "Main".into(),
                    archived: false,
                    created_at: 1,
                    updated_at: 1,
                },
            },
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "session_created");
        assert_eq!(v["seq"], 7);
        assert_eq!(v["session"]["id"], "default");
        assert_eq!(e.kind.name(), "session_created");
        let back: Event = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }
}
