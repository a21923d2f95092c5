//! Pure domain types of Arranger.
//!
//! This crate is the bottom layer: identifiers, sessions, messages, tasks and their
//! state machine, and the typed events that every other layer records and streams.
//!
//! **Architecture invariant:** nothing here does I/O. No SQLite, no tokio, no JSON-RPC,
//! no clock and no randomness: callers pass in timestamps and freshly generated ids.
//! Types derive `serde` and `schemars` so that the protocol crate can describe them,
//! but the wire envelope itself is not known here.

pub mod agent;
pub mod audit;
pub mod command;
pub mod context;
pub mod event;
pub mod fs;
pub mod ids;
pub mod mcp;
pub mod quota;
pub mod run;
pub mod session;
pub mod task;

pub use agent::{Agent, AgentModel, AgentRole, Needs, Score};
pub use arranger_policy::{Rule, RuleAction, RuleScope};
pub use audit::{AuditEntry, AuditRecord};
pub use command::{CommandAction, UserCommand, validate_command_id};
pub use context::{
    IndexState, IndexStatus, Lang, Snippet, SnippetSource, SymbolInfo, SymbolKind, SymbolMatch,
};
pub use event::{Event, EventKind, StateScope};
pub use ids::{AgentId, MessageId, SessionId, TaskId, UserId};
pub use mcp::{
    McpServerSpec, McpServerState, McpServerStatus, McpToolDef, McpTransport, McpVar, SecretInfo,
};
pub use quota::{
    Capability, Limits, Permissions, QuotaExceeded, QuotaKind, QuotaScope, Quotas, ServerCaps,
};
pub use run::{
    AgentDelta, AssistRequest, AssistStatus, DailyUsage, DecisionKind, LlmHealth, NetworkAccess,
    ProviderEntry, Risk, RiskPart, Step, StepKind, ToolCall, ToolDecision, ToolRun, ToolRunStatus,
    Usage, UserConfig, date_of_day, day_of,
};
pub use session::{Author, BlackboardCommand, Message, Notice, Session, parse_blackboard_text};
pub use task::{
    ContextRef, Difficulty, InvalidTransition, Priority, Task, TaskStatus, TaskTransition,
};

/// Milliseconds since the Unix epoch (UTC). The domain never reads a clock; callers do.
pub type Timestamp = i64;
