//! What agents do: their step records, tool runs and assist requests (BRIEF B4, B6, B10).

use crate::{AgentId, TaskId, Timestamp};
pub use arranger_policy::{Part as RiskPart, Risk};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One tool call an agent asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ToolCall {
    /// The call's id (from the model, or generated), pairing it with its result.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// Its arguments (a JSON object; anything else is reported back to the agent).
    pub arguments: Value,
}

/// One entry of an agent's step record for a task (or a 1:1 chat).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepKind {
    /// What the task asked, as given to the agent at the start.
    Instruction {
        /// The text.
        text: String,
    },
    /// One model turn: its visible text, its reasoning and the tool calls it made.
    Assistant {
        /// Visible text.
        text: String,
        /// Reasoning (thinking), if the model exposed it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reasoning: Option<String>,
        /// Tool calls, in order.
        tool_calls: Vec<ToolCall>,
    },
    /// The result of one tool call, as the agent saw it.
    ToolResult {
        /// The call this answers.
        call_id: String,
        /// The tool.
        tool: String,
        /// What the agent was told.
        output: String,
        /// Whether it was an error.
        is_error: bool,
    },
    /// A note from the host: compaction, an interruption, a reassignment.
    Note {
        /// The text.
        text: String,
    },
}

/// One recorded step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    /// The task, or `None` for a 1:1 chat with the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<TaskId>,
    /// The assist request this step belongs to, for a helper's steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assist_id: Option<String>,
    /// The agent.
    pub agent_id: AgentId,
    /// Position in its record (task, assist or chat), from 0.
    pub index: u32,
    /// What happened.
    #[serde(flatten)]
    pub kind: StepKind,
    /// When.
    pub at: Timestamp,
}

/// The state of a tool run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ToolRunStatus {
    /// Running now.
    Running,
    /// Finished successfully.
    Ok,
    /// Finished with an error (which the agent saw).
    Error,
    /// Cut off by a restart; its effects are unknown and it is not repeated blindly.
    Interrupted,
    /// Never ran: its task was cancelled (or the server stopped) before it started.
    Cancelled,
    /// Waits for the user's decision (`toolrun.decide`); its task is in NeedsConfirm.
    AwaitingDecision,
    /// The user denied it; it never ran and the agent was told why.
    Denied,
}

impl ToolRunStatus {
    /// The database name.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolRunStatus::Running => "running",
            ToolRunStatus::Ok => "ok",
            ToolRunStatus::Error => "error",
            ToolRunStatus::Interrupted => "interrupted",
            ToolRunStatus::Cancelled => "cancelled",
            ToolRunStatus::AwaitingDecision => "awaiting_decision",
            ToolRunStatus::Denied => "denied",
        }
    }

    /// Parses a database name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Running,
            Self::Ok,
            Self::Error,
            Self::Interrupted,
            Self::Cancelled,
            Self::AwaitingDecision,
            Self::Denied,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One audited tool call (the `tool_runs` table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ToolRun {
    /// Identifier.
    pub id: String,
    /// The task it ran for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<TaskId>,
    /// The agent that called it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// The model's id for the call.
    pub call_id: String,
    /// The tool.
    pub tool: String,
    /// Its arguments.
    pub args: Value,
    /// Its output, capped.
    pub output: String,
    /// State.
    pub status: ToolRunStatus,
    /// Start.
    pub started_at: Timestamp,
    /// End, once finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    /// The policy's risk level (absent on runs recorded before risk was assessed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
    /// Why: each part the policy judged (every simple command of a shell line) with its
    /// level and reason, worst first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<RiskPart>,
    /// Who let it run or stopped it, and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<ToolDecision>,
    /// How long it ran, once finished (milliseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// The size of the whole output when `output` shows only part of it; the whole is
    /// read with `toolrun.output`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_bytes: Option<u64>,
}

/// What decided a tool run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// The policy let it run (Low, or Medium allowed by a rule).
    Policy,
    /// The user allowed this one call.
    AllowOnce,
    /// The user allowed it and added an Allow rule for calls like it (Medium only).
    AllowAlways,
    /// The user denied it.
    Deny,
}

impl DecisionKind {
    /// The database name.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Policy => "policy",
            DecisionKind::AllowOnce => "allow_once",
            DecisionKind::AllowAlways => "allow_always",
            DecisionKind::Deny => "deny",
        }
    }

    /// Parses a database name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Policy, Self::AllowOnce, Self::AllowAlways, Self::Deny]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A tool run's decision: what, by whom, why, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ToolDecision {
    /// The decision.
    pub kind: DecisionKind,
    /// `"policy"`, or `"user"` for a decision made with `toolrun.decide`.
    pub by: String,
    /// The user's reason, if they gave one (a denial's reason goes back to the agent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// The state of an assist request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssistStatus {
    /// Waiting for a helper.
    Open,
    /// A helper is on it.
    Running,
    /// The helper answered.
    Done,
    /// No helper could answer.
    Failed,
}

impl AssistStatus {
    /// The database name.
    pub fn as_str(self) -> &'static str {
        match self {
            AssistStatus::Open => "open",
            AssistStatus::Running => "running",
            AssistStatus::Done => "done",
            AssistStatus::Failed => "failed",
        }
    }

    /// Parses a database name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Running, Self::Done, Self::Failed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// An agent's request for help (BRIEF B6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AssistRequest {
    /// Identifier.
    pub id: String,
    /// The task of the agent asking.
    pub task_id: TaskId,
    /// Who asks.
    pub requester: AgentId,
    /// Who helps, once chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helper: Option<AgentId>,
    /// What is asked.
    pub question: String,
    /// State.
    pub status: AssistStatus,
    /// The helper's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Creation time.
    pub created_at: Timestamp,
    /// End time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
}

/// Tokens and cost spent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
    /// Cost in US dollars, by the configured price table.
    pub cost_usd: f64,
}

impl Usage {
    /// Adds another usage to this one.
    pub fn add(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cost_usd += other.cost_usd;
    }
}

/// A piece of an agent's reply as it streams in. Not stored (the finished turn is, as a
/// [`Step`]); sent only to the owning user's live connections.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AgentDelta {
    /// The task, if the agent works on one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<TaskId>,
    /// The assist request, if the agent is helping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assist_id: Option<String>,
    /// The Blackboard session the agent is answering (the Manager, or an agent summoned
    /// with `@Name`); absent for task work and 1:1 chats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<crate::SessionId>,
    /// The agent.
    pub agent_id: AgentId,
    /// `text` or `reasoning`; `restart` when the model's answer starts over (discard the
    /// pieces received so far for this turn).
    pub kind: String,
    /// The piece.
    pub text: String,
}

/// The health of a language-model provider, as its circuit breaker sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LlmHealth {
    /// The provider's name on this server.
    pub provider: String,
    /// `closed` (healthy), `open` (failing: calls are refused or go to the fallback) or
    /// `half_open` (one probe call is being tried).
    pub state: String,
    /// Why the state changed, when it did (never contains a key).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Calls holding a connection slot now (in `llm.status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<u64>,
    /// Calls waiting for a slot now (in `llm.status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<u64>,
}

/// A language-model provider a user configured (the key itself is never shown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderEntry {
    /// The name agents refer to (`agent.update` → `model.provider`).
    pub name: String,
    /// `openai` (any OpenAI-compatible server) or `anthropic`.
    pub kind: String,
    /// The server's base URL; the kind's public endpoint when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The default model at this provider.
    pub model: String,
    /// Whether an API key is stored (encrypted at rest; never sent back).
    pub has_key: bool,
}

/// A user's model configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UserConfig {
    /// The user's own providers.
    pub providers: Vec<ProviderEntry>,
    /// The provider agents use when they name none; the server's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_provider: Option<String>,
    /// Whether the user's commands, terminals and stdio MCP servers may open TCP
    /// connections (`allow`, the default) or not (`deny`). Applies to processes started
    /// after the change.
    #[serde(default)]
    pub network: NetworkAccess,
}

/// A user's network policy for the processes started on their behalf.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NetworkAccess {
    /// TCP allowed.
    #[default]
    Allow,
    /// No TCP `connect` or `bind` (enforced by the kernel, Landlock ABI 4).
    Deny,
}

/// Usage of one agent on one day (UTC).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DailyUsage {
    /// The day, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The agent.
    pub agent_id: AgentId,
    /// Tokens and cost.
    pub usage: Usage,
}

/// Days since the Unix epoch (UTC) of a timestamp.
pub fn day_of(at: Timestamp) -> i64 {
    at.div_euclid(86_400_000)
}

/// `YYYY-MM-DD` of a day number (days since the Unix epoch, proleptic Gregorian).
pub fn date_of_day(day: i64) -> String {
    let (y, m, d) = civil_of_day(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Year, month (1–12) and day of month (1–31) of a day number (days since the Unix
/// epoch, proleptic Gregorian; H. Hinnant's civil-from-days).
pub fn civil_of_day(day: i64) -> (i64, i64, i64) {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The day number of a date (the inverse of [`civil_of_day`]; days-from-civil).
pub fn day_of_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_days() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_of_day(day_of(951_782_400_000)), "2000-02-29");
        assert_eq!(date_of_day(day_of(1_795_305_600_000)), "2026-11-22");
        assert_eq!(date_of_day(-1), "1969-12-31");
        for day in [-800_000, -1, 0, 59, 60, 11_016, 20_779, 2_000_000] {
            let (y, m, d) = civil_of_day(day);
            assert_eq!(day_of_civil(y, m, d), day, "{y}-{m}-{d}");
        }
    }
}
