//! Every JSON-RPC method: its name, parameters and result, as Rust types.
//!
//! Parameters reject unknown fields, so a misspelt field is an `invalid_params` error
//! rather than a silent default.

use arranger_domain::fs::{DirEntry, FileStat};
use arranger_domain::{
    Agent, AgentId, AgentModel, AssistRequest, CommandAction, DailyUsage, Difficulty, Event,
    LlmHealth, Message, MessageId, Priority, Rule, Session, SessionId, StateScope, Step, Task,
    TaskId, TaskStatus, TaskTransition, Timestamp, ToolRun, Usage, UserConfig,
};
use arranger_domain::{McpServerSpec, McpServerStatus, McpToolDef, SecretInfo};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A JSON-RPC method: its wire name, documentation and types.
pub trait RpcMethod {
    /// The wire name, e.g. `fs.read`.
    const NAME: &'static str;
    /// One-paragraph description.
    const DOC: &'static str;
    /// Parameters (an object).
    type Params: DeserializeOwned + JsonSchema;
    /// Result.
    type Result: Serialize + JsonSchema;
}

/// A method as listed in the schema document.
pub struct MethodDoc {
    /// Wire name.
    pub name: &'static str,
    /// Description.
    pub doc: &'static str,
    /// Schema of the parameters.
    pub params: schemars::Schema,
    /// Schema of the result.
    pub result: schemars::Schema,
}

macro_rules! methods {
    ($( $(#[doc = $doc:literal])+ $ty:ident = $name:literal ($params:ty) -> $result:ty; )*) => {
        $(
            $(#[doc = $doc])+
            pub enum $ty {}
            impl RpcMethod for $ty {
                const NAME: &'static str = $name;
                const DOC: &'static str = concat!($($doc, "\n"),+);
                type Params = $params;
                type Result = $result;
            }
        )*

        /// The names of every method.
        pub const NAMES: &[&str] = &[$($name),*];

        /// Every method with its schemas (definitions go into `g`).
        pub fn all(g: &mut schemars::SchemaGenerator) -> Vec<MethodDoc> {
            vec![$(MethodDoc {
                name: $name,
                doc: <$ty as RpcMethod>::DOC,
                params: g.subschema_for::<$params>(),
                result: g.subschema_for::<$result>(),
            }),*]
        }
    };
}

/// No parameters (an empty object, or absent).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// An empty result object.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
pub struct Empty {}

// ----- server ---------------------------------------------------------------------------

/// Result of `server.info`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct ServerInfo {
    /// Server version.
    pub version: String,
    /// `single_user` or `multi_user`.
    pub mode: String,
    /// The caller, as the server derived them from the credentials.
    pub user: UserInfo,
    /// Protocol methods this server answers.
    pub methods: Vec<String>,
    /// The caller's newest event sequence number: a client that reads its state now and
    /// then calls `events.subscribe {"since": last_seq}` misses nothing in between.
    pub last_seq: u64,
}

/// The caller.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct UserInfo {
    /// User id.
    pub id: String,
    /// User name.
    pub name: String,
    /// Whether the user is an admin.
    pub is_admin: bool,
}

// ----- fs -----------------------------------------------------------------------------

/// How file content travels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// UTF-8 text. Reading a file that is not valid UTF-8 this way is an error.
    #[default]
    Utf8,
    /// Standard base64, for binary content.
    Base64,
}

/// Parameters of `fs.read`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FsReadParams {
    /// Workspace-relative path, `/`-separated.
    pub path: String,
    /// `utf8` (default) or `base64`.
    #[serde(default)]
    pub encoding: Encoding,
}

/// Result of `fs.read`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct FsReadResult {
    /// The content in the requested encoding.
    pub content: String,
    /// The encoding of `content`.
    pub encoding: Encoding,
    /// Size in bytes.
    pub size: u64,
}

/// Parameters of `fs.write`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FsWriteParams {
    /// Workspace-relative path.
    pub path: String,
    /// The content, in `encoding`.
    pub content: String,
    /// `utf8` (default) or `base64`.
    #[serde(default)]
    pub encoding: Encoding,
    /// Create missing parent directories (default false).
    #[serde(default)]
    pub create_parents: bool,
    /// Replace an existing file (default true).
    #[serde(default = "yes")]
    pub overwrite: bool,
}

fn yes() -> bool {
    true
}

/// Parameters of `fs.stat` and `fs.list`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FsPathParams {
    /// Workspace-relative path; `""` (the default) is the workspace root.
    #[serde(default)]
    pub path: String,
}

/// Result of `fs.list`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct FsListResult {
    /// Entries sorted by name.
    pub entries: Vec<DirEntry>,
}

/// Parameters of `fs.mkdir` and `fs.delete`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FsRecursiveParams {
    /// Workspace-relative path.
    pub path: String,
    /// mkdir: create parents; delete: remove a non-empty directory (default false).
    #[serde(default)]
    pub recursive: bool,
}

/// Parameters of `fs.rename`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FsRenameParams {
    /// Existing workspace-relative path.
    pub from: String,
    /// New workspace-relative path.
    pub to: String,
    /// Replace an existing destination (default false).
    #[serde(default)]
    pub overwrite: bool,
}

// ----- state --------------------------------------------------------------------------

fn global() -> StateScope {
    StateScope::Global
}

/// Parameters naming a key.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateKeyParams {
    /// `global` (default) or `workspace`.
    #[serde(default = "global")]
    pub scope: StateScope,
    /// The key (1–256 bytes).
    pub key: String,
}

/// Parameters of `state.set`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateSetParams {
    /// `global` (default) or `workspace`.
    #[serde(default = "global")]
    pub scope: StateScope,
    /// The key (1–256 bytes).
    pub key: String,
    /// Any JSON value (at most 1 MiB serialized).
    pub value: Value,
}

/// Parameters of `state.keys`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateScopeParams {
    /// `global` (default) or `workspace`.
    #[serde(default = "global")]
    pub scope: StateScope,
}

/// Result of `state.get`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct StateGetResult {
    /// The value, or `null` when the key is not set.
    pub value: Option<Value>,
}

/// Result of `state.set`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct StateSetResult {
    /// The sequence number of the `state_changed` event that recorded it.
    pub seq: u64,
}

/// Result of `state.delete` and `command.unregister`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct DeletedResult {
    /// Whether something was there to delete.
    pub deleted: bool,
}

/// Result of `state.keys`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct StateKeysResult {
    /// Sorted keys.
    pub keys: Vec<String>,
}

// ----- commands ---------------------------------------------------------------------------

/// Parameters of `command.register`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandRegisterParams {
    /// Id: ASCII letters, digits, `.`, `_`, `-`. Built-in ids (`arranger.*`) are reserved.
    pub id: String,
    /// Title for command palettes.
    pub title: String,
    /// What it does.
    pub action: CommandAction,
}

/// Parameters naming a command.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandIdParams {
    /// The command id.
    pub id: String,
}

/// A command as listed.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct CommandInfo {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Built-in (code) or user-defined.
    pub builtin: bool,
    /// The action of a user-defined command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<CommandAction>,
}

/// Result of `command.list`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct CommandListResult {
    /// Built-in commands first, then the user's, by id.
    pub commands: Vec<CommandInfo>,
}

/// Parameters of `command.execute`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandExecuteParams {
    /// The command id.
    pub id: String,
    /// Arguments; each command documents its own (an object).
    #[serde(default)]
    pub args: Value,
}

/// Result of `command.execute`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct CommandExecuteResult {
    /// What the command returned.
    pub result: Value,
}

// ----- sessions ---------------------------------------------------------------------------

/// Parameters of `session.create`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionCreateParams {
    /// Title (1–200 characters).
    pub title: String,
}

/// Parameters of `session.list`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionListParams {
    /// Include archived sessions (default false).
    #[serde(default)]
    pub include_archived: bool,
}

/// Result of `session.list`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct SessionListResult {
    /// Most recently active first.
    pub sessions: Vec<Session>,
}

/// Parameters of `session.rename`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRenameParams {
    /// The session.
    pub id: SessionId,
    /// New title.
    pub title: String,
}

/// Parameters of `session.archive`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionArchiveParams {
    /// The session (the default session cannot be archived).
    pub id: SessionId,
    /// `true` (default) archives, `false` unarchives.
    #[serde(default = "yes")]
    pub archived: bool,
}

// ----- Blackboard -------------------------------------------------------------------------

/// Parameters of `blackboard.post`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlackboardPostParams {
    /// The session; the default session when absent.
    #[serde(default)]
    pub session: Option<SessionId>,
    /// Markdown text (at most 64 KiB). `/task <title>` creates a task.
    pub text: String,
}

/// Result of `blackboard.post`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct BlackboardPostResult {
    /// The stored message.
    pub message: Message,
    /// The task a `/task` message created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<Task>,
}

/// Parameters of `blackboard.history`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlackboardHistoryParams {
    /// The session; the default session when absent.
    #[serde(default)]
    pub session: Option<SessionId>,
    /// Only messages older than this one (for scrolling up).
    #[serde(default)]
    pub before: Option<MessageId>,
    /// At most this many (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Result of `blackboard.history`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct BlackboardHistoryResult {
    /// Oldest first.
    pub messages: Vec<Message>,
    /// Whether older messages remain.
    pub has_more: bool,
}

// ----- tasks --------------------------------------------------------------------------------

/// Parameters of `task.create`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskCreateParams {
    /// The session; the default session when absent.
    #[serde(default)]
    pub session: Option<SessionId>,
    /// Title (1–200 characters).
    pub title: String,
    /// Description (Markdown).
    #[serde(default)]
    pub description: String,
    /// 1–5 (default 3).
    #[serde(default)]
    pub priority: Option<Priority>,
    /// 1–10 (default 5).
    #[serde(default)]
    pub difficulty: Option<Difficulty>,
    /// The scene, for the Scheduler (`coding`, `testing`, `review`, `docs`).
    #[serde(default)]
    pub scene: Option<String>,
    /// Wanted capability tags, for the Scheduler.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Parameters of `task.list`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskListParams {
    /// Only this session's tasks.
    #[serde(default)]
    pub session: Option<SessionId>,
    /// Only tasks in this state.
    #[serde(default)]
    pub status: Option<TaskStatus>,
}

/// Result of `task.list`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct TaskListResult {
    /// Newest first.
    pub tasks: Vec<Task>,
}

/// Parameters naming a task.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskIdParams {
    /// The task.
    pub id: TaskId,
}

/// Result of `task.get`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct TaskGetResult {
    /// The task.
    pub task: Task,
    /// Its state changes, oldest first.
    pub history: Vec<TaskTransition>,
}

/// Parameters of `task.cancel`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskCancelParams {
    /// The task.
    pub id: TaskId,
    /// Why (recorded with the transition).
    #[serde(default)]
    pub reason: Option<String>,
}

// ----- events ---------------------------------------------------------------------------------

/// Parameters of `events.subscribe`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsSubscribeParams {
    /// Replay every event with `seq > since` first (default 0: everything). A client that
    /// reconnects passes the last `seq` it saw.
    #[serde(default)]
    pub since: u64,
    /// Also deliver `fs.changed` notifications (default true).
    #[serde(default = "yes")]
    pub files: bool,
}

/// Result of `events.subscribe`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct EventsSubscribeResult {
    /// The newest sequence number at the time of subscribing; replayed events run up to it.
    pub last_seq: u64,
}

/// Parameters of `events.list` (reading the log without subscribing).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsListParams {
    /// Events with `seq > since`.
    #[serde(default)]
    pub since: u64,
    /// At most this many (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Result of `events.list`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct EventsListResult {
    /// Oldest first.
    pub events: Vec<Event>,
}

// ----- agents -------------------------------------------------------------------------

/// Result of `agent.list`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct AgentListResult {
    /// The Manager first, then the Workers by name.
    pub agents: Vec<Agent>,
}

/// Parameters of `agent.update`; absent fields stay as they are.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentUpdateParams {
    /// The agent.
    pub id: AgentId,
    /// New name (letters, digits, `_`, `-`; unique in the team).
    #[serde(default)]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// New capability tags.
    #[serde(default)]
    pub capabilities: Option<Vec<String>>,
    /// New scenes.
    #[serde(default)]
    pub scenes: Option<Vec<String>>,
    /// New provider and model.
    #[serde(default)]
    pub model: Option<AgentModel>,
    /// Enable or disable (the Manager cannot be disabled).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Result of `task.record`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct TaskRecordResult {
    /// The task's step record (every agent that worked on it), in order.
    pub steps: Vec<Step>,
    /// Its tool runs, in order.
    pub tool_runs: Vec<ToolRun>,
    /// Its assist requests.
    pub assists: Vec<AssistRequest>,
    /// The helpers' steps, in order, each carrying its `assist_id`.
    pub assist_steps: Vec<Step>,
}

/// Parameters of `agent.chat`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentChatParams {
    /// The agent's id or name.
    pub agent: String,
    /// The message (at most 64 KiB).
    pub text: String,
}

/// Result of `agent.chat`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct AgentChatResult {
    /// The agent's answer (its steps also arrive as `step_added` events).
    pub reply: String,
}

/// Parameters of `agent.history`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentHistoryParams {
    /// The agent's id or name.
    pub agent: String,
    /// At most this many of the newest steps (default 200, at most 2000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Result of `agent.history`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct AgentHistoryResult {
    /// The steps, oldest first.
    pub steps: Vec<Step>,
    /// Whether older steps were left out.
    pub has_more: bool,
}

/// Parameters of `index.search`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexSearchParams {
    /// Words, identifiers or a question.
    pub query: String,
    /// At most this many snippets (default 10, at most 50).
    #[serde(default)]
    pub k: Option<u32>,
    /// Pack the snippets into about this many tokens (default 4000, 100–32000).
    #[serde(default)]
    pub budget_tokens: Option<u32>,
    /// Workspace-relative files the question is about: the reference graph's ranking
    /// starts from them.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Include earlier tasks and Blackboard messages (default true).
    #[serde(default)]
    pub memory: Option<bool>,
}

/// Result of `index.search`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct IndexSearchResult {
    /// Best first, each with the reason it was chosen.
    pub snippets: Vec<arranger_domain::Snippet>,
    /// Estimated tokens of all snippets.
    pub tokens: u32,
    /// More snippets qualified than fit in `k` or the budget.
    pub truncated: bool,
    /// Whether the index was still being built (results may be incomplete).
    pub partial: bool,
}

/// Parameters of `index.symbols`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexSymbolsParams {
    /// A symbol name, a prefix of one, or letters of one in order.
    pub query: String,
    /// How names match (default `exact`).
    #[serde(default, rename = "match")]
    pub mode: arranger_domain::SymbolMatch,
    /// At most this many (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Result of `index.symbols`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct IndexSymbolsResult {
    /// Definitions, best first.
    pub symbols: Vec<arranger_domain::SymbolInfo>,
}

/// A provider in `config.set`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderParam {
    /// Name agents refer to (1–32 of `a-z`, `0-9`, `-`, `_`).
    pub name: String,
    /// `openai` (any OpenAI-compatible server: vLLM, llama.cpp, Ollama, DeepSeek, Qwen, …) or `anthropic`.
    pub kind: String,
    /// Base URL, if not the kind's public endpoint.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Default model.
    pub model: String,
    /// The API key — write-only: absent keeps the stored key, `""` removes it. Stored
    /// encrypted; never sent back, never logged.
    #[serde(default)]
    pub api_key: Option<String>,
}

/// Parameters of `config.set`; absent fields stay as they are.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigSetParams {
    /// The whole list of the user's providers (those left out are removed, keys included).
    #[serde(default)]
    pub providers: Option<Vec<ProviderParam>>,
    /// The provider agents use when they name none; `""` falls back to the server's default.
    #[serde(default)]
    pub default_provider: Option<String>,
    /// `allow` or `deny`: whether the user's commands, terminals and stdio MCP servers may
    /// open TCP connections (processes started after the change).
    #[serde(default)]
    pub network: Option<arranger_domain::NetworkAccess>,
}

/// Parameters of `usage.get`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageGetParams {
    /// How many days back, today included (default 30, at most 366).
    #[serde(default)]
    pub days: Option<u32>,
}

/// Result of `usage.get`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct UsageGetResult {
    /// Today's total over all agents (UTC).
    pub today: Usage,
    /// Per day and agent, newest first.
    pub days: Vec<DailyUsage>,
}

/// Result of `llm.status`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct LlmStatusResult {
    /// Whether the server has a default model (without one, tasks wait in Pending).
    pub configured: bool,
    /// Every provider the server uses, with its breaker state and load.
    pub providers: Vec<LlmHealth>,
}

// ----- terminal -----------------------------------------------------------------------

/// Parameters of `terminal.create`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminalCreateParams {
    /// Working directory, workspace-relative (default: the workspace root). Must be a
    /// directory inside the workspace.
    #[serde(default)]
    pub cwd: Option<String>,
    /// Columns (1–1000).
    pub cols: u32,
    /// Rows (1–1000).
    pub rows: u32,
}

/// How a terminal's shell ended.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct TerminalExited {
    /// Exit code; 128 + the signal number when the shell was killed (137 after
    /// `terminal.close`).
    pub code: i32,
}

/// A terminal.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct TerminalInfo {
    /// Id (unique among the user's terminals).
    pub id: String,
    /// Working directory the shell started in, workspace-relative (`""` is the root).
    pub cwd: String,
    /// Columns.
    pub cols: u16,
    /// Rows.
    pub rows: u16,
    /// Creation time (ms since the Unix epoch).
    pub created_at: Timestamp,
    /// Present once the shell has exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exited: Option<TerminalExited>,
}

/// Parameters of `terminal.input`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminalInputParams {
    /// Terminal id.
    pub id: String,
    /// What to type, as UTF-8 text (at most 64 KiB); `\r` or `\n` is Enter, `\u0003` is
    /// Ctrl-C.
    pub data: String,
}

/// Parameters of `terminal.resize`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminalResizeParams {
    /// Terminal id.
    pub id: String,
    /// Columns (1–1000).
    pub cols: u32,
    /// Rows (1–1000).
    pub rows: u32,
}

/// Parameters of `terminal.close`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminalIdParams {
    /// Terminal id.
    pub id: String,
}

/// Result of `terminal.list`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct TerminalListResult {
    /// The user's terminals, oldest first (exited ones until they are closed).
    pub terminals: Vec<TerminalInfo>,
}

/// Parameters of `terminal.read`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminalReadParams {
    /// Terminal id.
    pub id: String,
    /// Byte offset to read from (default: the start of the scrollback). Pass the previous
    /// result's `end` to read on.
    #[serde(default)]
    pub since: Option<u64>,
}

/// Result of `terminal.read`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct TerminalReadResult {
    /// The output kept after `since` (the last 256 KiB at most), as text; bytes that are
    /// not valid UTF-8 are replaced.
    pub data: String,
    /// Byte offset of the first byte of `data` in the terminal's whole output.
    pub offset: u64,
    /// Byte offset just past `data`: the next `since`. `terminal.output` notifications
    /// with an `offset` below it are already contained in `data`.
    pub end: u64,
    /// True when output after `since` was already dropped from the scrollback.
    pub truncated: bool,
    /// Present once the shell has exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exited: Option<TerminalExited>,
}

// ----- secrets ------------------------------------------------------------------------

/// Parameters of `secret.set`.
#[derive(Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretSetParams {
    /// Name: `[A-Za-z_][A-Za-z0-9_]{0,63}`.
    pub name: String,
    /// The value (at most 64 KiB) — write-only: stored encrypted, never sent back, never
    /// logged, never in an event.
    pub value: String,
}

impl std::fmt::Debug for SecretSetParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretSetParams")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Parameters naming a secret.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretNameParams {
    /// The secret's name.
    pub name: String,
}

/// Result of `secret.list`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct SecretListResult {
    /// The user's secrets by name: names and times only.
    pub secrets: Vec<SecretInfo>,
}

// ----- MCP ----------------------------------------------------------------------------

/// Parameters of `mcp.add`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct McpAddParams {
    /// The definition; one of the same name is replaced (and restarted when next used).
    pub spec: McpServerSpec,
}

/// Parameters naming an MCP server.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct McpNameParams {
    /// The server's name.
    pub name: String,
}

/// Parameters of `mcp.tools`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct McpToolsParams {
    /// Only this server's tools; every enabled server's when absent.
    #[serde(default)]
    pub name: Option<String>,
}

/// Result of `mcp.list`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct McpListResult {
    /// The user's MCP servers by name, with their state.
    pub servers: Vec<McpServerStatus>,
}

/// Result of `mcp.tools`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct McpToolsResult {
    /// The tools, as agents see them (`mcp__<server>__<tool>`).
    pub tools: Vec<McpToolDef>,
    /// Servers whose tools could not be listed (with all servers: one failing does not
    /// hide the others), each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<McpServerError>,
}

/// A server that failed, and why.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct McpServerError {
    /// The server.
    pub server: String,
    /// Why.
    pub error: String,
}

/// Parameters of `mcp.call`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct McpCallParams {
    /// The tool, as `mcp.tools` names it: `mcp__<server>__<tool>`.
    pub tool: String,
    /// Its arguments (an object; default `{}`).
    #[serde(default)]
    pub arguments: Value,
}

/// Result of `mcp.call`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct McpCallResult {
    /// The tool's text content, joined (at most 64 KiB, saying how much was cut; values
    /// of the user's secrets mapped into the server are masked).
    pub text: String,
}

// ----- quotas and audit -----------------------------------------------------------------

/// What a user uses of their limits right now.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct QuotaUsage {
    /// Bytes the workspace holds.
    pub storage_bytes: u64,
    /// Terminals open.
    pub terminals: u32,
    /// LLM spending today (UTC).
    pub today: arranger_domain::quota::Spend,
    /// LLM spending this month (UTC).
    pub month: arranger_domain::quota::Spend,
    /// When today's counts reset (ms since the epoch).
    pub day_resets_at: i64,
    /// When this month's counts reset.
    pub month_resets_at: i64,
}

/// Result of `quota.get`: the caller's effective limits and what they use of them.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct QuotaGetResult {
    /// The limits in force (the server's defaults with the user's overrides).
    pub limits: arranger_domain::Limits,
    /// What is used.
    pub usage: QuotaUsage,
}

/// Parameters of `admin.limits.get`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminLimitsGetParams {
    /// A user's name: also their overrides, effective limits and spending.
    #[serde(default)]
    pub user: Option<String>,
}

/// One user's limits as admins see them.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct AdminUserLimits {
    /// The user's name.
    pub name: String,
    /// What is set for this user (absent fields follow the defaults).
    pub overrides: arranger_domain::Limits,
    /// What is in force.
    pub effective: arranger_domain::Limits,
    /// LLM spending today (UTC).
    pub today: arranger_domain::quota::Spend,
    /// LLM spending this month (UTC).
    pub month: arranger_domain::quota::Spend,
}

/// Result of `admin.limits.get`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct AdminLimitsGetResult {
    /// The server's defaults for every user.
    pub defaults: arranger_domain::Limits,
    /// The server's caps for all users together.
    pub caps: arranger_domain::ServerCaps,
    /// What all users spent today (UTC).
    pub server_today: arranger_domain::quota::Spend,
    /// What all users spent this month (UTC).
    pub server_month: arranger_domain::quota::Spend,
    /// The user asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<AdminUserLimits>,
}

/// Parameters of `admin.limits.set`: with `user`, replaces that user's overrides with
/// `limits`; without, replaces the server's defaults with `limits` and, when given, its
/// caps.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminLimitsSetParams {
    /// Whose overrides to set; absent: the server's defaults.
    #[serde(default)]
    pub user: Option<String>,
    /// The limits (every field optional; absent means no limit in the defaults, and the
    /// default in an override).
    pub limits: arranger_domain::Limits,
    /// The server's caps (only without `user`); absent: unchanged.
    #[serde(default)]
    pub caps: Option<arranger_domain::ServerCaps>,
}

/// Parameters of `admin.audit.list`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminAuditListParams {
    /// Only records older than this id (for paging back).
    #[serde(default)]
    pub before: Option<i64>,
    /// Only this actor's.
    #[serde(default)]
    pub actor: Option<String>,
    /// Only actions starting with this (`user.`, `limits.`, `toolrun.`).
    #[serde(default)]
    pub action: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Result of `admin.audit.list`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct AdminAuditListResult {
    /// Newest first.
    pub records: Vec<arranger_domain::AuditRecord>,
}

// ----- admin --------------------------------------------------------------------------

/// A user as admins see them.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct AdminUser {
    /// Immutable id.
    pub id: String,
    /// Login name.
    pub name: String,
    /// Whether the user manages users and tokens.
    pub is_admin: bool,
    /// Disabled users cannot sign in; their connections were closed.
    pub disabled: bool,
    /// Creation time (ms since the Unix epoch).
    pub created_at: i64,
}

/// Result of `admin.user.list`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct AdminUserListResult {
    /// Every user, by name.
    pub users: Vec<AdminUser>,
}

/// Parameters of `admin.user.create`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUserCreateParams {
    /// Login name: 1–64 of lowercase letters, digits, `-`, `_`, `.`, starting with a letter
    /// or digit.
    pub name: String,
    /// The password (at least 8 characters). Never logged, never sent back.
    pub password: String,
    /// Make the user an admin (default false).
    #[serde(default)]
    pub is_admin: bool,
}

/// Parameters of `admin.user.update`; absent fields stay as they are.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUserUpdateParams {
    /// The user's name.
    pub name: String,
    /// Disable (their open connections close at once) or re-enable.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Make an admin or a member.
    #[serde(default)]
    pub is_admin: Option<bool>,
    /// A new password (at least 8 characters).
    #[serde(default)]
    pub password: Option<String>,
}

/// Where a token came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// An API token (`admin.token.create`, `arranger token create`); no expiry.
    Api,
    /// Issued by `POST /api/v1/login`; expires.
    Login,
}

/// A token's record (never the token itself).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct AdminTokenInfo {
    /// Short id, for `admin.token.revoke`.
    pub id: String,
    /// The owner's name.
    pub user: String,
    /// `api` or `login`.
    pub kind: TokenKind,
    /// Free-form label.
    pub label: String,
    /// Creation time (ms).
    pub created_at: i64,
    /// Expiry (ms), for login tokens.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Revocation time (ms), if revoked.
    #[serde(default)]
    pub revoked_at: Option<i64>,
}

/// Parameters naming a user.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminTokenListParams {
    /// The user's name.
    pub user: String,
}

/// Result of `admin.token.list`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct AdminTokenListResult {
    /// The user's tokens, oldest first, revoked and expired ones included.
    pub tokens: Vec<AdminTokenInfo>,
}

/// Parameters of `admin.token.create`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminTokenCreateParams {
    /// The user's name (an enabled user).
    pub user: String,
    /// A label to recognise the token by (1–100 characters).
    pub label: String,
}

/// Result of `admin.token.create`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct AdminTokenCreateResult {
    /// The token. Shown this once: only its hash is stored.
    pub token: String,
    /// Its record.
    pub info: AdminTokenInfo,
}

/// Parameters of `admin.token.revoke`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminTokenRevokeParams {
    /// The token's id (from `admin.token.list`).
    pub id: String,
}

/// Result of `admin.token.revoke`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct AdminTokenRevokeResult {
    /// True when the token was active and is now revoked; false when it already was.
    pub revoked: bool,
}

methods! {
    /// Who the caller is and what this server offers.
    ServerInfoMethod = "server.info" (NoParams) -> ServerInfo;
    /// Reads a file of the caller's workspace (at most 16 MiB).
    FsRead = "fs.read" (FsReadParams) -> FsReadResult;
    /// Writes a file atomically (temporary file, then rename).
    FsWrite = "fs.write" (FsWriteParams) -> FileStat;
    /// Metadata of a path; a symbolic link is reported as such, not followed.
    FsStat = "fs.stat" (FsPathParams) -> FileStat;
    /// Lists a directory.
    FsList = "fs.list" (FsPathParams) -> FsListResult;
    /// Creates a directory.
    FsMkdir = "fs.mkdir" (FsRecursiveParams) -> FileStat;
    /// Deletes a file, a symbolic link (never its target) or a directory.
    FsDelete = "fs.delete" (FsRecursiveParams) -> Empty;
    /// Renames or moves a path within the workspace.
    FsRename = "fs.rename" (FsRenameParams) -> FileStat;
    /// Reads a key of the user's global or workspace state.
    StateGet = "state.get" (StateKeyParams) -> StateGetResult;
    /// Sets a key; emits `state_changed`.
    StateSet = "state.set" (StateSetParams) -> StateSetResult;
    /// Deletes a key; emits `state_changed` if it existed.
    StateDelete = "state.delete" (StateKeyParams) -> DeletedResult;
    /// Lists the keys of a scope.
    StateKeys = "state.keys" (StateScopeParams) -> StateKeysResult;
    /// Registers (or replaces) one of the user's own commands.
    CommandRegister = "command.register" (CommandRegisterParams) -> Empty;
    /// Removes one of the user's own commands.
    CommandUnregister = "command.unregister" (CommandIdParams) -> DeletedResult;
    /// Lists built-in and user-defined commands.
    CommandList = "command.list" (NoParams) -> CommandListResult;
    /// Executes a command.
    CommandExecute = "command.execute" (CommandExecuteParams) -> CommandExecuteResult;
    /// Creates a session.
    SessionCreate = "session.create" (SessionCreateParams) -> Session;
    /// Lists sessions.
    SessionList = "session.list" (SessionListParams) -> SessionListResult;
    /// Renames a session.
    SessionRename = "session.rename" (SessionRenameParams) -> Session;
    /// Archives or unarchives a session.
    SessionArchive = "session.archive" (SessionArchiveParams) -> Session;
    /// Posts to a session's Blackboard; `/task <title>` creates a task.
    BlackboardPost = "blackboard.post" (BlackboardPostParams) -> BlackboardPostResult;
    /// Reads a Blackboard's messages, newest page first, for scrolling up.
    BlackboardHistory = "blackboard.history" (BlackboardHistoryParams) -> BlackboardHistoryResult;
    /// Creates a task (Pending).
    TaskCreate = "task.create" (TaskCreateParams) -> Task;
    /// Lists tasks.
    TaskList = "task.list" (TaskListParams) -> TaskListResult;
    /// A task and its state history.
    TaskGet = "task.get" (TaskIdParams) -> TaskGetResult;
    /// Cancels a task: it becomes Failed with the reason.
    TaskCancel = "task.cancel" (TaskCancelParams) -> Task;
    /// Retries a Failed or Blocked task: it becomes Pending again.
    TaskRetry = "task.retry" (TaskIdParams) -> Task;
    /// Streams the user's events on this connection: replay from `since`, then live.
    EventsSubscribe = "events.subscribe" (EventsSubscribeParams) -> EventsSubscribeResult;
    /// Stops this connection's event stream.
    EventsUnsubscribe = "events.unsubscribe" (NoParams) -> Empty;
    /// Reads events from the log without subscribing.
    EventsList = "events.list" (EventsListParams) -> EventsListResult;
    /// The user's team.
    AgentListMethod = "agent.list" (NoParams) -> AgentListResult;
    /// Changes an agent: name, description, tags, scenes, model, enabled.
    AgentUpdate = "agent.update" (AgentUpdateParams) -> Agent;
    /// A task's full record: steps, tool runs and assists.
    TaskRecord = "task.record" (TaskIdParams) -> TaskRecordResult;
    /// A 1:1 conversation turn with one agent, separate from the Blackboard; the agent may
    /// read the workspace. Answers when the agent has answered.
    AgentChat = "agent.chat" (AgentChatParams) -> AgentChatResult;
    /// The newest steps of the user's 1:1 chat with one agent (what `agent.chat` recorded:
    /// the user's messages as `instruction` steps, the agent's turns and tool results).
    AgentHistory = "agent.history" (AgentHistoryParams) -> AgentHistoryResult;
    /// The state of the user's workspace index (also sent as `index.status`
    /// notifications to subscribed connections as it changes).
    IndexStatusMethod = "index.status" (NoParams) -> arranger_domain::IndexStatus;
    /// Ranked search of the user's workspace and memory: definitions, full-text (BM25
    /// with a code-aware tokenizer), the reference graph's PageRank and earlier tasks and
    /// messages, fused and packed into a token budget, each snippet with its reason.
    IndexSearch = "index.search" (IndexSearchParams) -> IndexSearchResult;
    /// Looks up definitions by name: exact, prefix or fuzzy.
    IndexSymbols = "index.symbols" (IndexSymbolsParams) -> IndexSymbolsResult;
    /// The user's model configuration (providers with `has_key`, never the keys).
    ConfigGet = "config.get" (NoParams) -> UserConfig;
    /// Changes the user's model configuration; per-agent choices are set with `agent.update`.
    ConfigSet = "config.set" (ConfigSetParams) -> UserConfig;
    /// Tokens and cost spent by the user's agents, per day and agent.
    UsageGet = "usage.get" (UsageGetParams) -> UsageGetResult;
    /// Whether a model is configured, and each provider's health and load (for a status bar).
    LlmStatus = "llm.status" (NoParams) -> LlmStatusResult;
    /// Opens a terminal: an interactive shell on a real pseudo-terminal in the workspace,
    /// sandboxed like commands. Output arrives as `terminal.output` notifications.
    TerminalCreate = "terminal.create" (TerminalCreateParams) -> TerminalInfo;
    /// Types into a terminal.
    TerminalInput = "terminal.input" (TerminalInputParams) -> Empty;
    /// Changes a terminal's size.
    TerminalResize = "terminal.resize" (TerminalResizeParams) -> TerminalInfo;
    /// Closes a terminal: its shell and everything it started are killed.
    TerminalClose = "terminal.close" (TerminalIdParams) -> TerminalInfo;
    /// The user's terminals.
    TerminalList = "terminal.list" (NoParams) -> TerminalListResult;
    /// Reads a terminal's output from its scrollback (to catch up after missed
    /// notifications or a reconnect).
    TerminalRead = "terminal.read" (TerminalReadParams) -> TerminalReadResult;
    /// Decides on a tool call that waits for the user (its task is in NeedsConfirm):
    /// `allow_once` runs it, `allow_always` runs it and adds Allow rules for calls like it
    /// (Medium only — High always asks), `deny` stops it and tells the agent the reason.
    ToolRunDecide = "toolrun.decide" (ToolRunDecideParams) -> ToolRunDecideResult;
    /// Tool calls waiting for the user's decision, oldest first (for a client that just
    /// connected; later ones arrive as `tool_run_added` events).
    ToolRunPending = "toolrun.pending" (NoParams) -> ToolRunListResult;
    /// Reads a tool run's whole output (a run whose `output_bytes` is set showed the agent
    /// and its row only part of it), in pieces of at most 1 MiB.
    ToolRunOutput = "toolrun.output" (ToolRunOutputParams) -> ToolRunOutputResult;
    /// The risk rules: the built-in ones (read-only) and the user's and workspace's.
    PolicyGet = "policy.get" (NoParams) -> PolicyGetResult;
    /// Replaces the user's and workspace's risk rules (each is checked; Allow rules that
    /// could cover a High command are refused with the reason).
    PolicySet = "policy.set" (PolicySetParams) -> PolicyGetResult;
    /// Judges a command line or tool call with the user's rules, without running it.
    PolicyCheck = "policy.check" (PolicyCheckParams) -> arranger_policy::Assessment;
    /// Sets (creates or replaces) one of the user's secrets, stored encrypted. Emits
    /// `secret_updated` with the name only.
    SecretSet = "secret.set" (SecretSetParams) -> SecretInfo;
    /// Deletes a secret; emits `secret_removed` if it existed.
    SecretDelete = "secret.delete" (SecretNameParams) -> DeletedResult;
    /// The user's secrets: names and times, never values.
    SecretList = "secret.list" (NoParams) -> SecretListResult;
    /// The user's MCP servers with their state (stopped, starting, running, crashed) and
    /// last error.
    McpList = "mcp.list" (NoParams) -> McpListResult;
    /// Adds or replaces an MCP server definition (checked; every secret it names must
    /// exist). A running server of that name is stopped. Emits `mcp_server_updated`.
    McpAdd = "mcp.add" (McpAddParams) -> McpServerSpec;
    /// Removes an MCP server definition and stops the server. Emits `mcp_server_removed`.
    McpRemove = "mcp.remove" (McpNameParams) -> DeletedResult;
    /// The tools of one server or of every enabled one, as agents see them; starts the
    /// servers on demand.
    McpTools = "mcp.tools" (McpToolsParams) -> McpToolsResult;
    /// Calls an MCP tool as the user (e.g. to try it from the config center); starts its
    /// server on demand. A tool's own error is an error response with its message.
    McpCall = "mcp.call" (McpCallParams) -> McpCallResult;
    /// Every user of the server (admins only, multi-user mode).
    AdminUserList = "admin.user.list" (NoParams) -> AdminUserListResult;
    /// Adds a user with a password (admins only). An existing name answers `conflict`.
    AdminUserCreate = "admin.user.create" (AdminUserCreateParams) -> AdminUser;
    /// Disables or re-enables a user, makes them an admin or a member, or sets their
    /// password (admins only). Disabling closes the user's open connections at once. An
    /// admin cannot disable or demote themself, and the last enabled admin stays one.
    AdminUserUpdate = "admin.user.update" (AdminUserUpdateParams) -> AdminUser;
    /// A user's tokens: ids, kinds, labels and times, never the secrets (admins only).
    AdminTokenList = "admin.token.list" (AdminTokenListParams) -> AdminTokenListResult;
    /// Issues an API token for a user (admins only); the token is in this answer only.
    AdminTokenCreate = "admin.token.create" (AdminTokenCreateParams) -> AdminTokenCreateResult;
    /// Revokes a token by id (admins only); connections using it close at once.
    AdminTokenRevoke = "admin.token.revoke" (AdminTokenRevokeParams) -> AdminTokenRevokeResult;
    /// The caller's effective limits (quotas, permissions) and what they use of them.
    QuotaGet = "quota.get" (NoParams) -> QuotaGetResult;
    /// The server's default limits, caps and spending, and optionally one user's
    /// overrides, effective limits and spending (admins only).
    AdminLimitsGet = "admin.limits.get" (AdminLimitsGetParams) -> AdminLimitsGetResult;
    /// Replaces the server's defaults and caps, or one user's overrides (admins only). In
    /// force from the next request on; running work is never cut off. Recorded in the
    /// audit log.
    AdminLimitsSet = "admin.limits.set" (AdminLimitsSetParams) -> AdminLimitsGetResult;
    /// The audit log, newest first: admin actions and High-risk decisions (admins only).
    AdminAuditList = "admin.audit.list" (AdminAuditListParams) -> AdminAuditListResult;
}

/// Whether a method is one of the admin methods (`admin.*`).
pub fn is_admin_method(name: &str) -> bool {
    matches!(
        name,
        AdminUserList::NAME
            | AdminUserCreate::NAME
            | AdminUserUpdate::NAME
            | AdminTokenList::NAME
            | AdminTokenCreate::NAME
            | AdminTokenRevoke::NAME
            | AdminLimitsGet::NAME
            | AdminLimitsSet::NAME
            | AdminAuditList::NAME
    )
}

/// Parameters of `toolrun.decide`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolRunDecideParams {
    /// The tool run (from `tool_run_added`, `toolrun.pending` or `task.record`).
    pub id: String,
    /// `allow_once`, `allow_always` or `deny`.
    pub decision: UserDecision,
    /// Why (a denial's reason goes back to the agent); at most 4096 bytes.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A user's decision on a waiting tool call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserDecision {
    /// Run this call.
    AllowOnce,
    /// Run it and add Allow rules for calls like it (not for High calls).
    AllowAlways,
    /// Do not run it; the agent is told why.
    Deny,
}

/// Result of `toolrun.decide`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct ToolRunDecideResult {
    /// The run after the decision (`running` or `denied`).
    pub run: ToolRun,
    /// Its task, when the decision moved it back to Active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<Task>,
    /// Rules an `allow_always` added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added_rules: Vec<Rule>,
}

/// Parameters of `toolrun.output`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolRunOutputParams {
    /// The tool run.
    pub id: String,
    /// Byte offset to read from (default 0).
    #[serde(default)]
    pub offset: Option<u64>,
    /// Most bytes to return (default and maximum 1 MiB).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Result of `toolrun.output`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct ToolRunOutputResult {
    /// The text (cut at character boundaries).
    pub data: String,
    /// Where `data` starts.
    pub offset: u64,
    /// The whole output's length in bytes; read on from `offset + data.len()`.
    pub total: u64,
}

/// A list of tool runs.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct ToolRunListResult {
    /// The runs.
    pub runs: Vec<ToolRun>,
}

/// Result of `policy.get` and `policy.set`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct PolicyGetResult {
    /// The built-in rules (they cannot be changed; High commands ask whatever the rules).
    pub builtin: Vec<Rule>,
    /// The user's and the workspace's rules, in order.
    pub rules: Vec<Rule>,
}

/// Parameters of `policy.set`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySetParams {
    /// The whole list of the user's and workspace's rules (scope `user` or `workspace`).
    pub rules: Vec<Rule>,
}

/// Parameters of `policy.check`: a command line, or a tool call.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyCheckParams {
    /// A shell command line (same as `{"tool": "run_command", "args": {"command": …}}`).
    #[serde(default)]
    pub command: Option<String>,
    /// A tool name (`read_file`, `mcp__server__tool`, …).
    #[serde(default)]
    pub tool: Option<String>,
    /// The tool's arguments.
    #[serde(default)]
    pub args: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_dotted() {
        let mut seen = std::collections::HashSet::new();
        for n in NAMES {
            assert!(seen.insert(*n), "duplicate method {n}");
            assert!(n.contains('.'), "{n}");
        }
        assert_eq!(FsRead::NAME, "fs.read");
    }

    #[test]
    fn params_reject_unknown_fields() {
        let r: Result<FsReadParams, _> =
            serde_json::from_value(serde_json::json!({"path": "a", "pth": 1}));
        assert!(r.is_err());
    }
}
