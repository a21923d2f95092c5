//! Tasks and the task state machine (BRIEF B5).
//!
//! ```text
//! Pending ──► Active ◄──► NeedsConfirm
//!    │          │  ▲
//!    │          ▼  │
//!    │      Finalizing ──► Done
//!    ▼
//! Blocked, Reassigning, Failed (see [`TaskStatus::can_become`])
//! ```
//!
//! Only the transitions in [`TaskStatus::can_become`] can happen; every accepted
//! transition is recorded by the store as a `task_updated` event.

use crate::{AgentId, Needs, Score, SessionId, TaskId, Timestamp, Usage};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The eight states of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Created, waiting for an assignee (or for a model to be configured).
    Pending,
    /// A worker is on it.
    Active,
    /// Waiting for the user to confirm a risky tool call; other tasks go on.
    NeedsConfirm,
    /// The worker reported completion; checks and summary are being written.
    Finalizing,
    /// Finished successfully. Terminal.
    Done,
    /// Cannot go on until something outside changes (a dependency, an answer).
    Blocked,
    /// Its worker stopped (crash, failure, cancellation); a different worker is chosen.
    Reassigning,
    /// Given up or cancelled. Can be retried, which makes it Pending again.
    Failed,
}

impl TaskStatus {
    /// Every state, in display order (the columns of a task board).
    pub const ALL: [TaskStatus; 8] = [
        TaskStatus::Pending,
        TaskStatus::Active,
        TaskStatus::NeedsConfirm,
        TaskStatus::Finalizing,
        TaskStatus::Done,
        TaskStatus::Blocked,
        TaskStatus::Reassigning,
        TaskStatus::Failed,
    ];

    /// The wire and database name of this state.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Active => "active",
            TaskStatus::NeedsConfirm => "needs_confirm",
            TaskStatus::Finalizing => "finalizing",
            TaskStatus::Done => "done",
            TaskStatus::Blocked => "blocked",
            TaskStatus::Reassigning => "reassigning",
            TaskStatus::Failed => "failed",
        }
    }

    /// Parses a name produced by [`TaskStatus::as_str`].
    pub fn parse(name: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the state machine allows going from `self` to `to`.
    pub fn can_become(self, to: TaskStatus) -> bool {
        use TaskStatus::*;
        matches!(
            (self, to),
            (Pending, Active | Blocked | Failed)
                | (
                    Active,
                    NeedsConfirm | Finalizing | Blocked | Reassigning | Failed
                )
                | (NeedsConfirm, Active | Reassigning | Failed)
                | (Finalizing, Done | Active | Reassigning | Failed)
                | (Blocked, Pending | Active | Reassigning | Failed)
                | (Reassigning, Pending | Active | Failed)
                | (Failed, Pending)
        )
    }

    /// Checks a transition, returning the new state or why it is refused.
    pub fn transition(self, to: TaskStatus) -> Result<TaskStatus, InvalidTransition> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(InvalidTransition { from: self, to })
        }
    }

    /// Done is the only state nothing leaves.
    pub fn is_terminal(self) -> bool {
        self == TaskStatus::Done
    }

    /// Whether a task in this state is finished for now (Done or Failed).
    pub fn is_settled(self) -> bool {
        matches!(self, TaskStatus::Done | TaskStatus::Failed)
    }

    /// Where a task found in this state after a crash must go so that nothing dangles:
    /// work that was running (Active, Finalizing) is handed to another worker.
    /// NeedsConfirm stays: its confirmation survives a restart.
    pub fn after_crash(self) -> Option<TaskStatus> {
        match self {
            TaskStatus::Active | TaskStatus::Finalizing => Some(TaskStatus::Reassigning),
            _ => None,
        }
    }

    /// Whether a user may cancel a task in this state (it then becomes Failed).
    pub fn can_cancel(self) -> bool {
        self.can_become(TaskStatus::Failed)
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused state change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a task cannot go from {from} to {to}")]
pub struct InvalidTransition {
    /// The state the task is in.
    pub from: TaskStatus,
    /// The state that was asked for.
    pub to: TaskStatus,
}

/// A `u8` newtype limited to `1..=max`: serde checks the range, schemars describes it.
macro_rules! bounded_u8 {
    ($(#[$doc:meta])* $name:ident, $what:literal, max = $max:literal, $(#[$cdoc:meta])* $default:ident = $dv:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "u8", into = "u8")]
        pub struct $name(u8);

        impl $name {
            $(#[$cdoc])*
            pub const $default: $name = $name($dv);

            /// The numeric value.
            pub fn get(self) -> u8 {
                self.0
            }
        }

        impl TryFrom<u8> for $name {
            type Error = String;
            fn try_from(v: u8) -> Result<Self, String> {
                if (1..=$max).contains(&v) {
                    Ok($name(v))
                } else {
                    Err(format!(concat!($what, " must be between 1 and ", $max, ", got {}"), v))
                }
            }
        }

        impl From<$name> for u8 {
            fn from(v: $name) -> u8 {
                v.0
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "integer", "minimum": 1, "maximum": $max,
                    "description": concat!(stringify!($name), ", 1 to ", $max, ".")
                })
            }
        }
    };
}

bounded_u8!(
    /// Task priority, 1 (lowest) to 5 (highest).
    Priority, "priority", max = 5,
    /// The priority of a task created without one.
    NORMAL = 3
);

bounded_u8!(
    /// Estimated difficulty, 1 (trivial) to 10 (hardest).
    Difficulty, "difficulty", max = 10,
    /// The difficulty of a task created without an estimate.
    UNKNOWN = 5
);

/// A piece of context a task used: a file or a span of it, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContextRef {
    /// Workspace-relative path.
    pub path: String,
    /// First line (1-based), if a span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u32>,
    /// Last line (inclusive), if a span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    /// Why it was chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A unit of work on a session's Blackboard (BRIEF B10).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Task {
    /// Identifier.
    pub id: TaskId,
    /// The session the task belongs to.
    pub session_id: SessionId,
    /// Short title.
    pub title: String,
    /// Longer description (Markdown), possibly empty.
    pub description: String,
    /// Current state.
    pub status: TaskStatus,
    /// Why the task is in its state, when that needs saying (a failure, a block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The Worker doing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<AgentId>,
    /// The Manager that created or owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_id: Option<AgentId>,
    /// Context the task used.
    pub context_refs: Vec<ContextRef>,
    /// 1 (lowest) to 5 (highest).
    pub priority: Priority,
    /// 1 (trivial) to 10 (hardest).
    pub difficulty: Difficulty,
    /// What the task asks of its assignee (scene, capability tags).
    #[serde(default)]
    pub needs: Needs,
    /// The Scheduler's scores of every candidate at the last assignment, best first.
    #[serde(default)]
    pub scores: Vec<Score>,
    /// How many times a worker started on it.
    #[serde(default)]
    pub attempts: u32,
    /// The assignee's acceptance report, once it completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    /// Tokens and cost spent on it, its assists included.
    #[serde(default)]
    pub usage: Usage,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// One recorded state change of a task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TaskTransition {
    /// The event sequence number that recorded it.
    pub seq: u64,
    /// Previous state.
    pub from: TaskStatus,
    /// New state.
    pub to: TaskStatus,
    /// Why, if a reason was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When.
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskStatus::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    /// The table from BRIEF B5, written out independently of `can_become`.
    const ALLOWED: &[(TaskStatus, TaskStatus)] = &[
        (Pending, Active),
        (Pending, Blocked),
        (Pending, Failed),
        (Active, NeedsConfirm),
        (Active, Finalizing),
        (Active, Blocked),
        (Active, Reassigning),
        (Active, Failed),
        (NeedsConfirm, Active),
        (NeedsConfirm, Reassigning),
        (NeedsConfirm, Failed),
        (Finalizing, Done),
        (Finalizing, Active),
        (Finalizing, Reassigning),
        (Finalizing, Failed),
        (Blocked, Pending),
        (Blocked, Active),
        (Blocked, Reassigning),
        (Blocked, Failed),
        (Reassigning, Pending),
        (Reassigning, Active),
        (Reassigning, Failed),
        (Failed, Pending),
    ];

    fn status() -> impl Strategy<Value = TaskStatus> {
        proptest::sample::select(TaskStatus::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn only_listed_transitions_are_allowed(from in status(), to in status()) {
            prop_assert_eq!(from.can_become(to), ALLOWED.contains(&(from, to)));
            match from.transition(to) {
                Ok(s) => prop_assert_eq!(s, to),
                Err(e) => prop_assert_eq!(e, InvalidTransition { from, to }),
            }
        }

        #[test]
        fn random_walks_stay_inside_the_machine(steps in proptest::collection::vec(status(), 0..64)) {
            let mut state = Pending;
            for want in steps {
                let before = state;
                match state.transition(want) {
                    Ok(next) => {
                        prop_assert!(ALLOWED.contains(&(before, next)));
                        prop_assert!(!before.is_terminal());
                        state = next;
                    }
                    Err(_) => prop_assert_eq!(state, before),
                }
            }
        }

        #[test]
        fn names_round_trip(s in status()) {
            prop_assert_eq!(TaskStatus::parse(s.as_str()), Some(s));
            let json = serde_json::to_value(s).unwrap();
            prop_assert_eq!(json.as_str(), Some(s.as_str()));
        }

        #[test]
        fn priority_and_difficulty_ranges(v in any::<u8>()) {
            prop_assert_eq!(Priority::try_from(v).is_ok(), (1..=5).contains(&v));
            prop_assert_eq!(Difficulty::try_from(v).is_ok(), (1..=10).contains(&v));
        }
    }

    #[test]
    fn no_self_loops_and_no_way_out_of_done() {
        for s in TaskStatus::ALL {
            assert!(!s.can_become(s), "{s} -> {s}");
            assert!(!Done.can_become(s));
        }
    }

    #[test]
    fn every_state_is_reachable_from_pending_and_done_from_every_live_state() {
        let reach = |start: TaskStatus| {
            let mut seen = HashSet::from([start]);
            let mut todo = vec![start];
            while let Some(s) = todo.pop() {
                for t in TaskStatus::ALL {
                    if s.can_become(t) && seen.insert(t) {
                        todo.push(t);
                    }
                }
            }
            seen
        };
        assert_eq!(reach(Pending).len(), 8);
        for s in TaskStatus::ALL {
            assert!(reach(s).contains(&Done), "Done unreachable from {s}");
        }
    }

    #[test]
    fn crash_recovery_targets_are_legal() {
        for s in TaskStatus::ALL {
            if let Some(t) = s.after_crash() {
                assert!(s.can_become(t));
            }
        }
        assert_eq!(Active.after_crash(), Some(Reassigning));
        assert_eq!(Finalizing.after_crash(), Some(Reassigning));
        assert_eq!(NeedsConfirm.after_crash(), None);
    }

    #[test]
    fn priority_rejects_out_of_range_json() {
        assert!(serde_json::from_str::<Priority>("0").is_err());
        assert!(serde_json::from_str::<Priority>("6").is_err());
        assert_eq!(serde_json::from_str::<Priority>("5").unwrap().get(), 5);
    }
}
