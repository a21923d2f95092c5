// Generated from the Rust protocol types by `make schema` (arranger schema --typescript).
// Do not edit: change crates/protocol and regenerate.

/** Parameters of `admin.audit.list`. */
export type AdminAuditListParams = {
  /** Only actions starting with this (`user.`, `limits.`, `toolrun.`). */
  action?: string | null;
  /** Only this actor's. */
  actor?: string | null;
  /** Only records older than this id (for paging back). */
  before?: number | null;
  /** At most this many (default 100, at most 1000). */
  limit?: number | null;
};

/** Result of `admin.audit.list`. */
export type AdminAuditListResult = {
  /** Newest first. */
  records: AuditRecord[];
};

/** Parameters of `admin.limits.get`. */
export type AdminLimitsGetParams = {
  /** A user's name: also their overrides, effective limits and spending. */
  user?: string | null;
};

/** Result of `admin.limits.get`. */
export type AdminLimitsGetResult = {
  /** The server's caps for all users together. */
  caps: ServerCaps;
  /** The server's defaults for every user. */
  defaults: Limits;
  /** What all users spent this month (UTC). */
  server_month: Spend;
  /** What all users spent today (UTC). */
  server_today: Spend;
  /** The user asked for. */
  user?: (AdminUserLimits | null);
};

/** Parameters of `admin.limits.set`: with `user`, replaces that user's overrides with
 * `limits`; without, replaces the server's defaults with `limits` and, when given, its
 * caps. */
export type AdminLimitsSetParams = {
  /** The server's caps (only without `user`); absent: unchanged. */
  caps?: (ServerCaps | null);
  /** The limits (every field optional; absent means no limit in the defaults, and the
   * default in an override). */
  limits: Limits;
  /** Whose overrides to set; absent: the server's defaults. */
  user?: string | null;
};

/** Parameters of `admin.token.create`. */
export type AdminTokenCreateParams = {
  /** A label to recognise the token by (1–100 characters). */
  label: string;
  /** The user's name (an enabled user). */
  user: string;
};

/** Result of `admin.token.create`. */
export type AdminTokenCreateResult = {
  /** Its record. */
  info: AdminTokenInfo;
  /** The token. Shown this once: only its hash is stored. */
  token: string;
};

/** A token's record (never the token itself). */
export type AdminTokenInfo = {
  /** Creation time (ms). */
  created_at: number;
  /** Expiry (ms), for login tokens. */
  expires_at?: number | null;
  /** Short id, for `admin.token.revoke`. */
  id: string;
  /** `api` or `login`. */
  kind: TokenKind;
  /** Free-form label. */
  label: string;
  /** Revocation time (ms), if revoked. */
  revoked_at?: number | null;
  /** The owner's name. */
  user: string;
};

/** Parameters naming a user. */
export type AdminTokenListParams = {
  /** The user's name. */
  user: string;
};

/** Result of `admin.token.list`. */
export type AdminTokenListResult = {
  /** The user's tokens, oldest first, revoked and expired ones included. */
  tokens: AdminTokenInfo[];
};

/** Parameters of `admin.token.revoke`. */
export type AdminTokenRevokeParams = {
  /** The token's id (from `admin.token.list`). */
  id: string;
};

/** Result of `admin.token.revoke`. */
export type AdminTokenRevokeResult = {
  /** True when the token was active and is now revoked; false when it already was. */
  revoked: boolean;
};

/** A user as admins see them. */
export type AdminUser = {
  /** Creation time (ms since the Unix epoch). */
  created_at: number;
  /** Disabled users cannot sign in; their connections were closed. */
  disabled: boolean;
  /** Immutable id. */
  id: string;
  /** Whether the user manages users and tokens. */
  is_admin: boolean;
  /** Login name. */
  name: string;
};

/** Parameters of `admin.user.create`. */
export type AdminUserCreateParams = {
  /** Make the user an admin (default false). */
  is_admin?: boolean;
  /** Login name: 1–64 of lowercase letters, digits, `-`, `_`, `.`, starting with a letter
   * or digit. */
  name: string;
  /** The password (at least 8 characters). Never logged, never sent back. */
  password: string;
};

/** One user's limits as admins see them. */
export type AdminUserLimits = {
  /** What is in force. */
  effective: Limits;
  /** LLM spending this month (UTC). */
  month: Spend;
  /** The user's name. */
  name: string;
  /** What is set for this user (absent fields follow the defaults). */
  overrides: Limits;
  /** LLM spending today (UTC). */
  today: Spend;
};

/** Result of `admin.user.list`. */
export type AdminUserListResult = {
  /** Every user, by name. */
  users: AdminUser[];
};

/** Parameters of `admin.user.update`; absent fields stay as they are. */
export type AdminUserUpdateParams = {
  /** Disable (their open connections close at once) or re-enable. */
  disabled?: boolean | null;
  /** Make an admin or a member. */
  is_admin?: boolean | null;
  /** The user's name. */
  name: string;
  /** A new password (at least 8 characters). */
  password?: string | null;
};

/** One agent of a user's team. */
export type Agent = {
  /** Capability tags, e.g. `rust`, `tests`, `docs`. */
  capabilities: string[];
  /** What it is for, in a sentence (shown to the Manager when it assigns work). */
  description: string;
  /** Disabled agents get no new work. */
  enabled: boolean;
  /** Tasks it failed or gave up. */
  failures: number;
  /** Identifier. */
  id: AgentId;
  /** The model it uses. */
  model: AgentModel;
  /** Display name, unique within the team; `@Name` mentions it. */
  name: string;
  /** Manager or Worker. */
  role: AgentRole;
  /** Scenes it is meant for, e.g. `coding`, `testing`, `review`. */
  scenes: string[];
  /** Tasks it finished (Done). */
  successes: number;
};

/** Parameters of `agent.chat`. */
export type AgentChatParams = {
  /** The agent's id or name. */
  agent: string;
  /** The message (at most 64 KiB). */
  text: string;
};

/** Result of `agent.chat`. */
export type AgentChatResult = {
  /** The agent's answer (its steps also arrive as `step_added` events). */
  reply: string;
};

/** A piece of an agent's reply as it streams in. Not stored (the finished turn is, as a
 * [`Step`]); sent only to the owning user's live connections. */
export type AgentDelta = {
  /** The agent. */
  agent_id: AgentId;
  /** The assist request, if the agent is helping. */
  assist_id?: string | null;
  /** `text` or `reasoning`; `restart` when the model's answer starts over (discard the
   * pieces received so far for this turn). */
  kind: string;
  /** The Blackboard session the agent is answering (the Manager, or an agent summoned
   * with `@Name`); absent for task work and 1:1 chats. */
  session_id?: (SessionId | null);
  /** The task, if the agent works on one. */
  task_id?: (TaskId | null);
  /** The piece. */
  text: string;
};

/** Parameters of `agent.history`. */
export type AgentHistoryParams = {
  /** The agent's id or name. */
  agent: string;
  /** At most this many of the newest steps (default 200, at most 2000). */
  limit?: number | null;
};

/** Result of `agent.history`. */
export type AgentHistoryResult = {
  /** Whether older steps were left out. */
  has_more: boolean;
  /** The steps, oldest first. */
  steps: Step[];
};

/** An agent (the Manager or a Worker) of a user's team. */
export type AgentId = string;

/** Result of `agent.list`. */
export type AgentListResult = {
  /** The Manager first, then the Workers by name. */
  agents: Agent[];
};

/** Which model an agent uses; `None` fields fall back to the user's, then the server's default. */
export type AgentModel = {
  /** The model name at that provider. */
  model?: string | null;
  /** A provider name from the user's or server's configuration. */
  provider?: string | null;
};

/** Whether an agent orchestrates or works. */
export type AgentRole = ("manager" | "worker");

/** Parameters of `agent.update`; absent fields stay as they are. */
export type AgentUpdateParams = {
  /** New capability tags. */
  capabilities?: string[] | null;
  /** New description. */
  description?: string | null;
  /** Enable or disable (the Manager cannot be disabled). */
  enabled?: boolean | null;
  /** The agent. */
  id: AgentId;
  /** New provider and model. */
  model?: (AgentModel | null);
  /** New name (letters, digits, `_`, `-`; unique in the team). */
  name?: string | null;
  /** New scenes. */
  scenes?: string[] | null;
};

/** The verdict on one tool call or command line. */
export type Assessment = {
  /** Run or Ask. `High` always gives `Ask`. */
  decision: Decision;
  /** Every judged part, outer commands before the commands they run. */
  parts: Part[];
  /** The highest risk among the parts (`Low` when there are none). */
  risk: Risk;
};

/** An agent's request for help (BRIEF B6). */
export type AssistRequest = {
  /** Creation time. */
  created_at: number;
  /** End time. */
  finished_at?: number | null;
  /** Who helps, once chosen. */
  helper?: (AgentId | null);
  /** Identifier. */
  id: string;
  /** What is asked. */
  question: string;
  /** Who asks. */
  requester: AgentId;
  /** State. */
  status: AssistStatus;
  /** The helper's answer. */
  summary?: string | null;
  /** The task of the agent asking. */
  task_id: TaskId;
};

/** The state of an assist request. */
export type AssistStatus = ("open" | "running" | "done" | "failed");

/** One entry of the server's audit log: an admin action, or a High-risk decision on a
 * user's tool call. */
export type AuditRecord = {
  /** What was done, dotted (`user.create`, `quota.set`, `toolrun.high_risk`, …). */
  action: string;
  /** Who acted: a user name, or `cli` for the `arranger` command on the server's machine. */
  actor: string;
  /** When (ms since the epoch). */
  at: number;
  /** Details: the changed fields; a High-risk call's tool, arguments, decision and
   * reason. Never a password, a token or a stored secret. */
  detail: unknown;
  /** Position in the log (increasing). */
  id: number;
  /** Whom or what it was done to (a user name, a token id, `server`), or empty. */
  target: string;
};

/** Who wrote a Blackboard message. */
export type Author = ({
  kind: "user";
} | {
  kind: "agent";
  /** The agent's name, as shown in the UI. */
  name: string;
} | {
  kind: "system";
});

/** Parameters of `blackboard.history`. */
export type BlackboardHistoryParams = {
  /** Only messages older than this one (for scrolling up). */
  before?: (MessageId | null);
  /** At most this many (default 50, at most 500). */
  limit?: number | null;
  /** The session; the default session when absent. */
  session?: (SessionId | null);
};

/** Result of `blackboard.history`. */
export type BlackboardHistoryResult = {
  /** Whether older messages remain. */
  has_more: boolean;
  /** Oldest first. */
  messages: Message[];
};

/** Parameters of `blackboard.post`. */
export type BlackboardPostParams = {
  /** The session; the default session when absent. */
  session?: (SessionId | null);
  /** Markdown text (at most 64 KiB). `/task <title>` creates a task. */
  text: string;
};

/** Result of `blackboard.post`. */
export type BlackboardPostResult = {
  /** The stored message. */
  message: Message;
  /** The task a `/task` message created. */
  task?: (Task | null);
};

/** What a user-defined command does when executed. */
export type CommandAction = {
  kind: "prompt";
  /** The text to post. */
  template: string;
};

/** Parameters of `command.execute`. */
export type CommandExecuteParams = {
  /** Arguments; each command documents its own (an object). */
  args?: unknown;
  /** The command id. */
  id: string;
};

/** Result of `command.execute`. */
export type CommandExecuteResult = {
  /** What the command returned. */
  result: unknown;
};

/** Parameters naming a command. */
export type CommandIdParams = {
  /** The command id. */
  id: string;
};

/** A command as listed. */
export type CommandInfo = {
  /** The action of a user-defined command. */
  action?: (CommandAction | null);
  /** Built-in (code) or user-defined. */
  builtin: boolean;
  /** Id. */
  id: string;
  /** Title. */
  title: string;
};

/** Result of `command.list`. */
export type CommandListResult = {
  /** Built-in commands first, then the user's, by id. */
  commands: CommandInfo[];
};

/** Parameters of `command.register`. */
export type CommandRegisterParams = {
  /** What it does. */
  action: CommandAction;
  /** Id: ASCII letters, digits, `.`, `_`, `-`. Built-in ids (`arranger.*`) are reserved. */
  id: string;
  /** Title for command palettes. */
  title: string;
};

/** Parameters of `config.set`; absent fields stay as they are. */
export type ConfigSetParams = {
  /** The provider agents use when they name none; `""` falls back to the server's default. */
  default_provider?: string | null;
  /** `allow` or `deny`: whether the user's commands, terminals and stdio MCP servers may
   * open TCP connections (processes started after the change). */
  network?: (NetworkAccess | null);
  /** The whole list of the user's providers (those left out are removed, keys included). */
  providers?: ProviderParam[] | null;
};

/** A piece of context a task used: a file or a span of it, and why. */
export type ContextRef = {
  /** Last line (inclusive), if a span. */
  end_line?: number | null;
  /** Workspace-relative path. */
  path: string;
  /** Why it was chosen. */
  reason?: string | null;
  /** First line (1-based), if a span. */
  start_line?: number | null;
};

/** Usage of one agent on one day (UTC). */
export type DailyUsage = {
  /** The agent. */
  agent_id: AgentId;
  /** The day, `YYYY-MM-DD` (UTC). */
  date: string;
  /** Tokens and cost. */
  usage: Usage;
};

/** Whether the call may run at once or needs the user's confirmation. */
export type Decision = ("run" | "ask");

/** What decided a tool run. */
export type DecisionKind = ("policy" | "allow_once" | "allow_always" | "deny");

/** Result of `state.delete` and `command.unregister`. */
export type DeletedResult = {
  /** Whether something was there to delete. */
  deleted: boolean;
};

/** Difficulty, 1 to 10. */
export type Difficulty = number;

/** One entry of a directory listing. */
export type DirEntry = {
  /** What it is. */
  kind: FileKind;
  /** Last modification time, if known. */
  modified?: number | null;
  /** The entry's name (one path component). */
  name: string;
  /** Size in bytes. */
  size: number;
};

/** An empty result object. */
export type Empty = Record<string, unknown>;

/** How file content travels. */
export type Encoding = ("utf8" | "base64");

/** One recorded change, as stored in the event log and streamed to clients. */
export type Event = {
  /** When the change was committed. */
  at: number;
  /** Per-user sequence number: 1, 2, 3, … with no gaps. */
  seq: number;
} & ({
  /** The new session. */
  session: Session;
  type: "session_created";
} | {
  /** The session after the change. */
  session: Session;
  type: "session_updated";
} | {
  /** The new message. */
  message: Message;
  type: "message_added";
} | {
  /** The new task. */
  task: Task;
  type: "task_created";
} | {
  /** The previous state, for a state change. */
  from?: (TaskStatus | null);
  /** Why the state changed, if said. */
  reason?: string | null;
  /** The task after the change. */
  task: Task;
  type: "task_updated";
} | {
  /** The key. */
  key: string;
  /** The store. */
  scope: StateScope;
  type: "state_changed";
  /** The new value; absent when the key was deleted. */
  value?: unknown;
} | {
  /** The command. */
  command: UserCommand;
  type: "command_registered";
} | {
  /** Its id. */
  id: string;
  type: "command_unregistered";
} | {
  /** The agent after the change. */
  agent: Agent;
  type: "agent_updated";
} | {
  /** The step. */
  step: Step;
  type: "step_added";
} | {
  /** The run. */
  run: ToolRun;
  type: "tool_run_added";
} | {
  /** The run after the change. */
  run: ToolRun;
  type: "tool_run_updated";
} | {
  /** The request. */
  assist: AssistRequest;
  type: "assist_requested";
} | {
  /** The request after the change. */
  assist: AssistRequest;
  type: "assist_updated";
} | {
  /** The agent. */
  agent_id: AgentId;
  /** The task, if the call was for one. */
  task_id?: (TaskId | null);
  type: "usage_recorded";
  /** What the call cost. */
  usage: Usage;
} | {
  /** The user's and the workspace's rules after the change (built-in rules are not
   * repeated; `policy.get` shows them). */
  rules: Rule[];
  type: "policy_updated";
} | {
  /** The configuration after the change. */
  config: UserConfig;
  type: "config_updated";
} | {
  /** The secret's name. */
  name: string;
  type: "secret_updated";
} | {
  /** The secret's name. */
  name: string;
  type: "secret_removed";
} | {
  /** The definition after the change. */
  server: McpServerSpec;
  type: "mcp_server_updated";
} | {
  /** Its name. */
  name: string;
  type: "mcp_server_removed";
});

/** Parameters of the `event` notification. */
export type EventParams = {
  /** The event (`seq`, `at`, `type` and the type's fields). */
  event: Event;
};

/** Parameters of `events.list` (reading the log without subscribing). */
export type EventsListParams = {
  /** At most this many (default 100, at most 1000). */
  limit?: number | null;
  /** Events with `seq > since`. */
  since?: number;
};

/** Result of `events.list`. */
export type EventsListResult = {
  /** Oldest first. */
  events: Event[];
};

/** Parameters of `events.subscribe`. */
export type EventsSubscribeParams = {
  /** Also deliver `fs.changed` notifications (default true). */
  files?: boolean;
  /** Replay every event with `seq > since` first (default 0: everything). A client that
   * reconnects passes the last `seq` it saw. */
  since?: number;
};

/** Result of `events.subscribe`. */
export type EventsSubscribeResult = {
  /** The newest sequence number at the time of subscribing; replayed events run up to it. */
  last_seq: number;
};

/** One file change in a user's workspace. */
export type FileChange = {
  /** How it changed. */
  kind: FileChangeKind;
  /** Workspace-relative path with `/` separators. */
  path: string;
};

/** How a file changed, as seen by the file watcher. */
export type FileChangeKind = ("created" | "modified" | "removed");

/** What a directory entry is. Symbolic links are reported as such, never followed. */
export type FileKind = ("file" | "dir" | "symlink" | "other");

/** Metadata of one workspace entry. */
export type FileStat = {
  /** What it is. */
  kind: FileKind;
  /** Last modification time, if the file system reports one. */
  modified?: number | null;
  /** Workspace-relative path with `/` separators (`""` is the workspace root). */
  path: string;
  /** Size in bytes. */
  size: number;
};

/** Parameters of the `fs.changed` notification. */
export type FsChangedParams = {
  /** The changes, coalesced over a short window. */
  changes: FileChange[];
};

/** Result of `fs.list`. */
export type FsListResult = {
  /** Entries sorted by name. */
  entries: DirEntry[];
};

/** Parameters of `fs.stat` and `fs.list`. */
export type FsPathParams = {
  /** Workspace-relative path; `""` (the default) is the workspace root. */
  path?: string;
};

/** Parameters of `fs.read`. */
export type FsReadParams = {
  /** `utf8` (default) or `base64`. */
  encoding?: Encoding;
  /** Workspace-relative path, `/`-separated. */
  path: string;
};

/** Result of `fs.read`. */
export type FsReadResult = {
  /** The content in the requested encoding. */
  content: string;
  /** The encoding of `content`. */
  encoding: Encoding;
  /** Size in bytes. */
  size: number;
};

/** Parameters of `fs.mkdir` and `fs.delete`. */
export type FsRecursiveParams = {
  /** Workspace-relative path. */
  path: string;
  /** mkdir: create parents; delete: remove a non-empty directory (default false). */
  recursive?: boolean;
};

/** Parameters of `fs.rename`. */
export type FsRenameParams = {
  /** Existing workspace-relative path. */
  from: string;
  /** Replace an existing destination (default false). */
  overwrite?: boolean;
  /** New workspace-relative path. */
  to: string;
};

/** Parameters of `fs.write`. */
export type FsWriteParams = {
  /** The content, in `encoding`. */
  content: string;
  /** Create missing parent directories (default false). */
  create_parents?: boolean;
  /** `utf8` (default) or `base64`. */
  encoding?: Encoding;
  /** Replace an existing file (default true). */
  overwrite?: boolean;
  /** Workspace-relative path. */
  path: string;
};

/** Parameters of `index.search`. */
export type IndexSearchParams = {
  /** Pack the snippets into about this many tokens (default 4000, 100–32000). */
  budget_tokens?: number | null;
  /** At most this many snippets (default 10, at most 50). */
  k?: number | null;
  /** Include earlier tasks and Blackboard messages (default true). */
  memory?: boolean | null;
  /** Workspace-relative files the question is about: the reference graph's ranking
   * starts from them. */
  paths?: string[];
  /** Words, identifiers or a question. */
  query: string;
};

/** Result of `index.search`. */
export type IndexSearchResult = {
  /** Whether the index was still being built (results may be incomplete). */
  partial: boolean;
  /** Best first, each with the reason it was chosen. */
  snippets: Snippet[];
  /** Estimated tokens of all snippets. */
  tokens: number;
  /** More snippets qualified than fit in `k` or the budget. */
  truncated: boolean;
};

/** What the index is doing. */
export type IndexState = ("idle" | "building" | "ready" | "failed");

/** The state of one user's workspace index, for the status bar and `index.status`. */
export type IndexStatus = {
  /** How long the last full build took, in milliseconds. */
  build_ms?: number | null;
  /** Bytes of source indexed. */
  bytes: number;
  /** Chunks (functions, classes, file sections) in the full-text index. */
  chunks: number;
  /** Why the build failed, if it did. */
  error?: string | null;
  /** Files indexed so far. */
  files: number;
  /** Files found by the walk (the build's goal; equals `files` once ready). */
  files_total: number;
  /** Files per language, most first. */
  languages?: unknown[][];
  /** Earlier tasks and messages indexed as memory. */
  memory: number;
  /** Files left out because the workspace is larger than the index's budget (the
   * server's `[team] max_index_bytes`), in path order. */
  skipped?: number;
  /** What the index is doing. */
  state: IndexState;
  /** Definitions in the symbol table. */
  symbols: number;
  /** When the index last changed (ms since the epoch). */
  updated_at?: number | null;
};

/** Parameters of `index.symbols`. */
export type IndexSymbolsParams = {
  /** At most this many (default 50, at most 500). */
  limit?: number | null;
  /** How names match (default `exact`). */
  match?: SymbolMatch;
  /** A symbol name, a prefix of one, or letters of one in order. */
  query: string;
};

/** Result of `index.symbols`. */
export type IndexSymbolsResult = {
  /** Definitions, best first. */
  symbols: SymbolInfo[];
};

/** A programming language the index understands (tree-sitter symbols and chunks). */
export type Lang = ("rust" | "python" | "java_script" | "type_script" | "tsx" | "go" | "java" | "c" | "cpp");

/** Quotas and permissions together: the server's defaults, one user's overrides, or the
 * effective limits of a user. */
export type Limits = {
  /** Permissions. */
  permissions?: Permissions;
  /** Quotas. */
  quotas?: Quotas;
};

/** The health of a language-model provider, as its circuit breaker sees it. */
export type LlmHealth = {
  /** Calls holding a connection slot now (in `llm.status`). */
  in_flight?: number | null;
  /** The provider's name on this server. */
  provider: string;
  /** Calls waiting for a slot now (in `llm.status`). */
  queued?: number | null;
  /** Why the state changed, when it did (never contains a key). */
  reason?: string;
  /** `closed` (healthy), `open` (failing: calls are refused or go to the fallback) or
   * `half_open` (one probe call is being tried). */
  state: string;
};

/** Result of `llm.status`. */
export type LlmStatusResult = {
  /** Whether the server has a default model (without one, tasks wait in Pending). */
  configured: boolean;
  /** Every provider the server uses, with its breaker state and load. */
  providers: LlmHealth[];
};

/** Parameters of `mcp.add`. */
export type McpAddParams = {
  /** The definition; one of the same name is replaced (and restarted when next used). */
  spec: McpServerSpec;
};

/** Parameters of `mcp.call`. */
export type McpCallParams = {
  /** Its arguments (an object; default `{}`). */
  arguments?: unknown;
  /** The tool, as `mcp.tools` names it: `mcp__<server>__<tool>`. */
  tool: string;
};

/** Result of `mcp.call`. */
export type McpCallResult = {
  /** The tool's text content, joined (at most 64 KiB, saying how much was cut; values
   * of the user's secrets mapped into the server are masked). */
  text: string;
};

/** Result of `mcp.list`. */
export type McpListResult = {
  /** The user's MCP servers by name, with their state. */
  servers: McpServerStatus[];
};

/** Parameters naming an MCP server. */
export type McpNameParams = {
  /** The server's name. */
  name: string;
};

/** A server that failed, and why. */
export type McpServerError = {
  /** Why. */
  error: string;
  /** The server. */
  server: string;
};

/** A user's MCP server definition. */
export type McpServerSpec = {
  /** Whether its tools are offered (default true). A disabled server is never started. */
  enabled?: boolean;
  /** Name: 1–32 of `a-z`, `0-9`, `-`, `_`, without `__` (it is part of tool names). */
  name: string;
  /** Risk of individual tools (by the server's own tool name); `medium` for the rest. */
  tool_risk?: Record<string, Risk>;
  /** How to reach it. */
  transport: McpTransport;
};

/** What an MCP server is doing. */
export type McpServerState = ("stopped" | "starting" | "running" | "crashed");

/** One of the user's MCP servers with its state. */
export type McpServerStatus = {
  /** The last failure (start, crash), if any. Known secret values are masked. */
  last_error?: string | null;
  /** How many times it was restarted after crashes since it was last started on demand. */
  restarts: number;
  /** The definition (secret references by name only). */
  spec: McpServerSpec;
  /** What it is doing. */
  state: McpServerState;
};

/** An MCP tool as offered to agents. */
export type McpToolDef = {
  /** What it does (from the server). */
  description: string;
  /** JSON Schema of its arguments (from the server). */
  input_schema: unknown;
  /** `mcp__<server>__<tool>`. */
  name: string;
  /** Its risk: the user's override, or `medium`. */
  risk: Risk;
  /** The server. */
  server: string;
  /** The tool's own name at its server. */
  tool: string;
};

/** Parameters of `mcp.tools`. */
export type McpToolsParams = {
  /** Only this server's tools; every enabled server's when absent. */
  name?: string | null;
};

/** Result of `mcp.tools`. */
export type McpToolsResult = {
  /** Servers whose tools could not be listed (with all servers: one failing does not
   * hide the others), each with the reason. */
  errors?: McpServerError[];
  /** The tools, as agents see them (`mcp__<server>__<tool>`). */
  tools: McpToolDef[];
};

/** How Arranger talks to an MCP server. */
export type McpTransport = ({
  /** Its arguments. */
  args?: string[];
  /** The program: a name looked up in the sandbox's `PATH` (`node`, `python3`, …), an
   * absolute path, or a path relative to `cwd` inside the workspace. */
  command: string;
  /** Working directory, workspace-relative (default: the workspace root). */
  cwd?: string | null;
  /** Environment variables added to the sandbox's scrubbed environment. */
  env?: McpVar[];
  type: "stdio";
} | {
  /** Headers sent with every request (e.g. `Authorization` from a secret). */
  headers?: McpVar[];
  type: "http";
  /** `http://` or `https://` URL of the MCP endpoint. */
  url: string;
});

/** An environment variable or HTTP header of an MCP server: a literal `value` or the
 * value of one of the user's secrets, named by `secret` (exactly one of them). */
export type McpVar = {
  /** The variable's or header's name. */
  name: string;
  /** The name of one of the user's secrets whose value is passed (never stored here). */
  secret?: string | null;
  /** A literal value (not secret: it is shown in listings and events). */
  value?: string | null;
};

/** One message on a session's Blackboard. */
export type Message = {
  /** Who wrote it. */
  author: Author;
  /** Creation time. */
  created_at: number;
  /** Identifier; increasing in creation order within a user. */
  id: MessageId;
  /** For a system broadcast, what it says as data, so a client can show it in the
   * user's language (`text` is its English form). */
  notice?: (Notice | null);
  /** The session whose Blackboard holds it. */
  session_id: SessionId;
  /** The task this message created or refers to, if any. */
  task_id?: (TaskId | null);
  /** Markdown text. */
  text: string;
};

/** A Blackboard message. */
export type MessageId = string;

/** What a task asks of its assignee. */
export type Needs = {
  /** The scene, e.g. `coding`. */
  scene?: string | null;
  /** Wanted capability tags. */
  tags?: string[];
};

/** A user's network policy for the processes started on their behalf. */
export type NetworkAccess = ("allow" | "deny");

/** No parameters (an empty object, or absent). */
export type NoParams = Record<string, never>;

/** What a system broadcast on the Blackboard says, as data. */
export type Notice = ({
  kind: "task_created";
  /** Its title. */
  title: string;
} | {
  /** The agent chosen. */
  agent: string;
  kind: "assigned";
  /** Its score (the parts are on the task's `scores`). */
  score?: number | null;
  /** The task's title. */
  title: string;
} | {
  /** The agent. */
  agent: string;
  kind: "done";
  /** Its acceptance report (Markdown). */
  report: string;
  /** The task's title. */
  title: string;
} | {
  /** The agent. */
  agent: string;
  /** Whether the task failed for good (else it is reassigned). */
  gave_up: boolean;
  kind: "failed";
  /** Why. */
  reason: string;
  /** The task's title. */
  title: string;
} | {
  /** The agent. */
  agent: string;
  kind: "blocked";
  /** What it needs. */
  reason: string;
  /** The task's title. */
  title: string;
} | {
  /** Who helps. */
  helper: string;
  kind: "assist_started";
  /** Who asks. */
  requester: string;
  /** The task's title. */
  title: string;
} | {
  /** The agent. */
  agent: string;
  /** Why. */
  error: string;
  kind: "no_answer";
} | {
  kind: "no_model";
});

/** One judged piece of a call: for a shell command, one simple command (or one
 * redirection, or the parse itself when it failed). */
export type Part = {
  /** The simple command as text, normalized: quotes and escapes removed from literal
   * words, dynamic words shown as written (e.g. `rm -rf /`, `$CMD x`). */
  command: string;
  /** Why, in words a user understands, e.g. "rm with -r and -f deletes recursively
   * without asking". Mentions the rule that changed the outcome, if any. */
  reason: string;
  /** The risk of this part after rules. */
  risk: Risk;
};

/** What a user may use at all. `None`: allowed (in defaults) or the default (in an
 * override). Denied tools are left out of the agents' tool lists and refused on every
 * path (API, agents). */
export type Permissions = {
  /** Shell commands (`run_command`, user commands that run a shell). */
  commands?: boolean | null;
  /** MCP servers (`mcp.*`, the agents' `mcp__*` tools). */
  mcp?: boolean | null;
  /** Interactive terminals (`terminal.*`, the agents' `terminal_*` tools). */
  terminals?: boolean | null;
};

/** Parameters of `policy.check`: a command line, or a tool call. */
export type PolicyCheckParams = {
  /** The tool's arguments. */
  args?: unknown;
  /** A shell command line (same as `{"tool": "run_command", "args": {"command": …}}`). */
  command?: string | null;
  /** A tool name (`read_file`, `mcp__server__tool`, …). */
  tool?: string | null;
};

/** Result of `policy.get` and `policy.set`. */
export type PolicyGetResult = {
  /** The built-in rules (they cannot be changed; High commands ask whatever the rules). */
  builtin: Rule[];
  /** The user's and the workspace's rules, in order. */
  rules: Rule[];
};

/** Parameters of `policy.set`. */
export type PolicySetParams = {
  /** The whole list of the user's and workspace's rules (scope `user` or `workspace`). */
  rules: Rule[];
};

/** Priority, 1 to 5. */
export type Priority = number;

/** A language-model provider a user configured (the key itself is never shown). */
export type ProviderEntry = {
  /** The server's base URL; the kind's public endpoint when absent. */
  base_url?: string | null;
  /** Whether an API key is stored (encrypted at rest; never sent back). */
  has_key: boolean;
  /** `openai` (any OpenAI-compatible server) or `anthropic`. */
  kind: string;
  /** The default model at this provider. */
  model: string;
  /** The name agents refer to (`agent.update` → `model.provider`). */
  name: string;
};

/** A provider in `config.set`. */
export type ProviderParam = {
  /** The API key — write-only: absent keeps the stored key, `""` removes it. Stored
   * encrypted; never sent back, never logged. */
  api_key?: string | null;
  /** Base URL, if not the kind's public endpoint. */
  base_url?: string | null;
  /** `openai` (any OpenAI-compatible server: vLLM, llama.cpp, Ollama, DeepSeek, Qwen, …) or `anthropic`. */
  kind: string;
  /** Default model. */
  model: string;
  /** Name agents refer to (1–32 of `a-z`, `0-9`, `-`, `_`). */
  name: string;
};

/** A limit was reached: which, how much is used, the maximum and when it resets. */
export type QuotaExceeded = {
  /** Which limit. */
  limit: QuotaKind;
  /** The limit. */
  max: number;
  /** When it resets (ms since the epoch), for limits that reset. */
  resets_at?: number | null;
  /** Whose. */
  scope: QuotaScope;
  /** How much is used (bytes, tokens, dollars or a count). */
  used: number;
};

/** Result of `quota.get`: the caller's effective limits and what they use of them. */
export type QuotaGetResult = {
  /** The limits in force (the server's defaults with the user's overrides). */
  limits: Limits;
  /** What is used. */
  usage: QuotaUsage;
};

/** Which limit was reached. */
export type QuotaKind = ("storage_bytes" | "terminals" | "mcp_servers" | "requests_per_second" | "tokens_per_day" | "tokens_per_month" | "cost_per_day_usd" | "cost_per_month_usd" | "task_cost_usd");

/** Whose limit it is. */
export type QuotaScope = ("user" | "task" | "server");

/** What a user uses of their limits right now. */
export type QuotaUsage = {
  /** When today's counts reset (ms since the epoch). */
  day_resets_at: number;
  /** LLM spending this month (UTC). */
  month: Spend;
  /** When this month's counts reset. */
  month_resets_at: number;
  /** Bytes the workspace holds. */
  storage_bytes: number;
  /** Terminals open. */
  terminals: number;
  /** LLM spending today (UTC). */
  today: Spend;
};

/** Limits on what one user may use. `None`: no limit (in defaults) or the default (in an
 * override). */
export type Quotas = {
  /** Tasks running at once; more wait in Pending. */
  concurrent_tasks?: number | null;
  /** LLM cost in US dollars per UTC day. */
  cost_per_day_usd?: number | null;
  /** LLM cost in US dollars per UTC calendar month. */
  cost_per_month_usd?: number | null;
  /** MCP servers running at once. */
  mcp_servers?: number | null;
  /** API requests per second (sustained; bursts of twice as many). */
  requests_per_second?: number | null;
  /** Bytes the user's workspace may hold (file tools, uploads, commands and terminals). */
  storage_bytes?: number | null;
  /** LLM cost in US dollars one task may spend, its assists included. */
  task_cost_usd?: number | null;
  /** Terminals open at once. */
  terminals?: number | null;
  /** LLM tokens (input + output) per UTC day. */
  tokens_per_day?: number | null;
  /** LLM tokens per UTC calendar month. */
  tokens_per_month?: number | null;
};

/** How much harm a tool call or command can do. Ordered: `Low < Medium < High`, so the
 * risk of a whole command line is the `max` of its parts. */
export type Risk = ("low" | "medium" | "high");

/** One rule: an argv-token glob pattern and what to do with matching commands. */
export type Rule = {
  /** What the rule does. */
  action: RuleAction;
  /** Argv-token glob, e.g. `git push origin feature/*`, `npm publish`, `cargo *`, or a
   * tool name such as `mcp__github__create_issue`. See the crate docs for the syntax. */
  pattern: string;
  /** Where the rule comes from; [`Policy::merge`] sets it. */
  scope?: RuleScope;
};

/** What a rule does to the commands (or tools) its pattern matches. */
export type RuleAction = ("allow" | "ask" | "high");

/** Where a rule comes from. More specific scopes win over less specific ones
 * (`Workspace` > `User` > `Builtin`) when an Allow and an Ask rule both match. */
export type RuleScope = ("builtin" | "user" | "workspace");

/** One candidate's score and its parts (each part in `0.0..=1.0` before weighting). */
export type Score = {
  /** The candidate. */
  agent: AgentId;
  /** Why the candidate was passed over, if it was (disabled, excluded, a Manager). */
  excluded?: string | null;
  /** 1 when idle, falling as its running tasks grow: `1 / (1 + running)`. */
  load: number;
  /** Its name, for display. */
  name: string;
  /** 1 when the agent serves the task's scene (or the task names none), else 0. */
  scene: number;
  /** Laplace-smoothed success rate: `(successes + 1) / (successes + failures + 2)`. */
  success: number;
  /** Share of the wanted tags the agent has (1 when none are wanted). */
  tags: number;
  /** The weighted sum: scene 0.35, tags 0.30, load 0.20, success 0.15. */
  total: number;
};

/** A secret as listed: its name and times, never its value. */
export type SecretInfo = {
  /** When it was first set. */
  created_at: number;
  /** The name. */
  name: string;
  /** When its value last changed. */
  updated_at: number;
};

/** Result of `secret.list`. */
export type SecretListResult = {
  /** The user's secrets by name: names and times only. */
  secrets: SecretInfo[];
};

/** Parameters naming a secret. */
export type SecretNameParams = {
  /** The secret's name. */
  name: string;
};

/** Parameters of `secret.set`. */
export type SecretSetParams = {
  /** Name: `[A-Za-z_][A-Za-z0-9_]{0,63}`. */
  name: string;
  /** The value (at most 64 KiB) — write-only: stored encrypted, never sent back, never
   * logged, never in an event. */
  value: string;
};

/** Caps on what the whole server spends on LLM calls, all users together. `None`: no cap. */
export type ServerCaps = {
  /** US dollars per UTC day. */
  cost_per_day_usd?: number | null;
  /** US dollars per UTC calendar month. */
  cost_per_month_usd?: number | null;
  /** Tokens per UTC day. */
  tokens_per_day?: number | null;
  /** Tokens per UTC calendar month. */
  tokens_per_month?: number | null;
};

/** Result of `server.info`. */
export type ServerInfo = {
  /** The caller's newest event sequence number: a client that reads its state now and
   * then calls `events.subscribe {"since": last_seq}` misses nothing in between. */
  last_seq: number;
  /** Protocol methods this server answers. */
  methods: string[];
  /** `single_user` or `multi_user`. */
  mode: string;
  /** The caller, as the server derived them from the credentials. */
  user: UserInfo;
  /** Server version. */
  version: string;
};

/** A conversation with its own Blackboard and tasks. */
export type Session = {
  /** Archived sessions are hidden from the default listing and refuse new posts. */
  archived: boolean;
  /** Creation time. */
  created_at: number;
  /** Identifier (`"default"` for the session every user starts with). */
  id: SessionId;
  /** Human-readable title. */
  title: string;
  /** Last change (rename, archive, new message). */
  updated_at: number;
};

/** Parameters of `session.archive`. */
export type SessionArchiveParams = {
  /** `true` (default) archives, `false` unarchives. */
  archived?: boolean;
  /** The session (the default session cannot be archived). */
  id: SessionId;
};

/** Parameters of `session.create`. */
export type SessionCreateParams = {
  /** Title (1–200 characters). */
  title: string;
};

/** A session: one conversation with its own Blackboard and tasks. */
export type SessionId = string;

/** Parameters of `session.list`. */
export type SessionListParams = {
  /** Include archived sessions (default false). */
  include_archived?: boolean;
};

/** Result of `session.list`. */
export type SessionListResult = {
  /** Most recently active first. */
  sessions: Session[];
};

/** Parameters of `session.rename`. */
export type SessionRenameParams = {
  /** The session. */
  id: SessionId;
  /** New title. */
  title: string;
};

/** One ranked piece of context: a span of a file, or an earlier task or message. */
export type Snippet = {
  /** Last line (inclusive). */
  end_line: number;
  /** Workspace-relative path (code), or `task:<id>` / `message:<id>`. */
  path: string;
  /** Why it was chosen ("defines `parse`; BM25 on parse, token"). */
  reason: string;
  /** Fused score; higher is better. Comparable only within one result. */
  score: number;
  /** Where it comes from. */
  source: SnippetSource;
  /** First line (1-based; 1 for tasks and messages). */
  start_line: number;
  /** The enclosing symbol of a code span (`impl Foo::parse`), if any. */
  symbol?: string | null;
  /** The text. */
  text: string;
  /** Estimated tokens of `text`. */
  tokens: number;
};

/** Where a snippet comes from. */
export type SnippetSource = ("code" | "task" | "message");

/** LLM usage counted against budgets: tokens and dollars. */
export type Spend = {
  /** US dollars. */
  cost_usd: number;
  /** Tokens, input and output. */
  tokens: number;
};

/** Result of `state.get`. */
export type StateGetResult = {
  /** The value, or `null` when the key is not set. */
  value?: unknown;
};

/** Parameters naming a key. */
export type StateKeyParams = {
  /** The key (1–256 bytes). */
  key: string;
  /** `global` (default) or `workspace`. */
  scope?: StateScope;
};

/** Result of `state.keys`. */
export type StateKeysResult = {
  /** Sorted keys. */
  keys: string[];
};

/** Which key-value store a `state.*` call addresses (VS Code's globalState / workspaceState). */
export type StateScope = ("global" | "workspace");

/** Parameters of `state.keys`. */
export type StateScopeParams = {
  /** `global` (default) or `workspace`. */
  scope?: StateScope;
};

/** Parameters of `state.set`. */
export type StateSetParams = {
  /** The key (1–256 bytes). */
  key: string;
  /** `global` (default) or `workspace`. */
  scope?: StateScope;
  /** Any JSON value (at most 1 MiB serialized). */
  value: unknown;
};

/** Result of `state.set`. */
export type StateSetResult = {
  /** The sequence number of the `state_changed` event that recorded it. */
  seq: number;
};

/** One recorded step. */
export type Step = {
  /** The agent. */
  agent_id: AgentId;
  /** The assist request this step belongs to, for a helper's steps. */
  assist_id?: string | null;
  /** When. */
  at: number;
  /** Position in its record (task, assist or chat), from 0. */
  index: number;
  /** The task, or `None` for a 1:1 chat with the agent. */
  task_id?: (TaskId | null);
} & ({
  kind: "instruction";
  /** The text. */
  text: string;
} | {
  kind: "assistant";
  /** Reasoning (thinking), if the model exposed it. */
  reasoning?: string | null;
  /** Visible text. */
  text: string;
  /** Tool calls, in order. */
  tool_calls: ToolCall[];
} | {
  /** The call this answers. */
  call_id: string;
  /** Whether it was an error. */
  is_error: boolean;
  kind: "tool_result";
  /** What the agent was told. */
  output: string;
  /** The tool. */
  tool: string;
} | {
  kind: "note";
  /** The text. */
  text: string;
});

/** One definition in the symbol table. */
export type SymbolInfo = {
  /** Last line of the definition (inclusive). */
  end_line: number;
  /** What it is. */
  kind: SymbolKind;
  /** The symbol's name as written. */
  name: string;
  /** Workspace-relative path of the file defining it. */
  path: string;
  /** The enclosing scope (`impl Foo`, `class Bar`, `mod baz`), if any. */
  scope?: string | null;
  /** The definition's first line(s) up to its body: `fn parse(text: &str) -> Parsed`. */
  signature: string;
  /** First line of the definition (1-based). */
  start_line: number;
};

/** What kind of thing a symbol names. */
export type SymbolKind = ("function" | "method" | "class" | "struct" | "enum" | "trait" | "interface" | "type" | "module" | "constant" | "macro");

/** How a symbol lookup matches names. */
export type SymbolMatch = ("exact" | "prefix" | "fuzzy");

/** A unit of work on a session's Blackboard (BRIEF B10). */
export type Task = {
  /** The Worker doing it. */
  assignee?: (AgentId | null);
  /** How many times a worker started on it. */
  attempts?: number;
  /** Context the task used. */
  context_refs: ContextRef[];
  /** Creation time. */
  created_at: number;
  /** Longer description (Markdown), possibly empty. */
  description: string;
  /** 1 (trivial) to 10 (hardest). */
  difficulty: Difficulty;
  /** Identifier. */
  id: TaskId;
  /** The Manager that created or owns it. */
  manager_id?: (AgentId | null);
  /** What the task asks of its assignee (scene, capability tags). */
  needs?: Needs;
  /** 1 (lowest) to 5 (highest). */
  priority: Priority;
  /** The assignee's acceptance report, once it completed. */
  report?: string | null;
  /** The Scheduler's scores of every candidate at the last assignment, best first. */
  scores?: Score[];
  /** The session the task belongs to. */
  session_id: SessionId;
  /** Current state. */
  status: TaskStatus;
  /** Why the task is in its state, when that needs saying (a failure, a block). */
  status_reason?: string | null;
  /** Short title. */
  title: string;
  /** Last change. */
  updated_at: number;
  /** Tokens and cost spent on it, its assists included. */
  usage?: Usage;
};

/** Parameters of `task.cancel`. */
export type TaskCancelParams = {
  /** The task. */
  id: TaskId;
  /** Why (recorded with the transition). */
  reason?: string | null;
};

/** Parameters of `task.create`. */
export type TaskCreateParams = {
  /** Description (Markdown). */
  description?: string;
  /** 1–10 (default 5). */
  difficulty?: (Difficulty | null);
  /** 1–5 (default 3). */
  priority?: (Priority | null);
  /** The scene, for the Scheduler (`coding`, `testing`, `review`, `docs`). */
  scene?: string | null;
  /** The session; the default session when absent. */
  session?: (SessionId | null);
  /** Wanted capability tags, for the Scheduler. */
  tags?: string[];
  /** Title (1–200 characters). */
  title: string;
};

/** Result of `task.get`. */
export type TaskGetResult = {
  /** Its state changes, oldest first. */
  history: TaskTransition[];
  /** The task. */
  task: Task;
};

/** A task. */
export type TaskId = string;

/** Parameters naming a task. */
export type TaskIdParams = {
  /** The task. */
  id: TaskId;
};

/** Parameters of `task.list`. */
export type TaskListParams = {
  /** Only this session's tasks. */
  session?: (SessionId | null);
  /** Only tasks in this state. */
  status?: (TaskStatus | null);
};

/** Result of `task.list`. */
export type TaskListResult = {
  /** Newest first. */
  tasks: Task[];
};

/** Result of `task.record`. */
export type TaskRecordResult = {
  /** The helpers' steps, in order, each carrying its `assist_id`. */
  assist_steps: Step[];
  /** Its assist requests. */
  assists: AssistRequest[];
  /** The task's step record (every agent that worked on it), in order. */
  steps: Step[];
  /** Its tool runs, in order. */
  tool_runs: ToolRun[];
};

/** The eight states of a task. */
export type TaskStatus = ("pending" | "active" | "needs_confirm" | "finalizing" | "done" | "blocked" | "reassigning" | "failed");

/** One recorded state change of a task. */
export type TaskTransition = {
  /** When. */
  at: number;
  /** Previous state. */
  from: TaskStatus;
  /** Why, if a reason was given. */
  reason?: string | null;
  /** The event sequence number that recorded it. */
  seq: number;
  /** New state. */
  to: TaskStatus;
};

/** Parameters of `terminal.create`. */
export type TerminalCreateParams = {
  /** Columns (1–1000). */
  cols: number;
  /** Working directory, workspace-relative (default: the workspace root). Must be a
   * directory inside the workspace. */
  cwd?: string | null;
  /** Rows (1–1000). */
  rows: number;
};

/** Parameters of the `terminal.exit` notification. */
export type TerminalExitParams = {
  /** Exit code; 128 + the signal number when the shell was killed. */
  code: number;
  /** Terminal id. */
  id: string;
};

/** How a terminal's shell ended. */
export type TerminalExited = {
  /** Exit code; 128 + the signal number when the shell was killed (137 after
   * `terminal.close`). */
  code: number;
};

/** Parameters of `terminal.close`. */
export type TerminalIdParams = {
  /** Terminal id. */
  id: string;
};

/** A terminal. */
export type TerminalInfo = {
  /** Columns. */
  cols: number;
  /** Creation time (ms since the Unix epoch). */
  created_at: number;
  /** Working directory the shell started in, workspace-relative (`""` is the root). */
  cwd: string;
  /** Present once the shell has exited. */
  exited?: (TerminalExited | null);
  /** Id (unique among the user's terminals). */
  id: string;
  /** Rows. */
  rows: number;
};

/** Parameters of `terminal.input`. */
export type TerminalInputParams = {
  /** What to type, as UTF-8 text (at most 64 KiB); `\r` or `\n` is Enter, `\u0003` is
   * Ctrl-C. */
  data: string;
  /** Terminal id. */
  id: string;
};

/** Result of `terminal.list`. */
export type TerminalListResult = {
  /** The user's terminals, oldest first (exited ones until they are closed). */
  terminals: TerminalInfo[];
};

/** Parameters of the `terminal.output` notification. */
export type TerminalOutputParams = {
  /** The output, cut at character boundaries. */
  data: string;
  /** Terminal id. */
  id: string;
  /** Byte offset of the first byte of `data` in the terminal's whole output. */
  offset: number;
};

/** Parameters of `terminal.read`. */
export type TerminalReadParams = {
  /** Terminal id. */
  id: string;
  /** Byte offset to read from (default: the start of the scrollback). Pass the previous
   * result's `end` to read on. */
  since?: number | null;
};

/** Result of `terminal.read`. */
export type TerminalReadResult = {
  /** The output kept after `since` (the last 256 KiB at most), as text; bytes that are
   * not valid UTF-8 are replaced. */
  data: string;
  /** Byte offset just past `data`: the next `since`. `terminal.output` notifications
   * with an `offset` below it are already contained in `data`. */
  end: number;
  /** Present once the shell has exited. */
  exited?: (TerminalExited | null);
  /** Byte offset of the first byte of `data` in the terminal's whole output. */
  offset: number;
  /** True when output after `since` was already dropped from the scrollback. */
  truncated: boolean;
};

/** Parameters of `terminal.resize`. */
export type TerminalResizeParams = {
  /** Columns (1–1000). */
  cols: number;
  /** Terminal id. */
  id: string;
  /** Rows (1–1000). */
  rows: number;
};

/** Where a token came from. */
export type TokenKind = ("api" | "login");

/** One tool call an agent asked for. */
export type ToolCall = {
  /** Its arguments (a JSON object; anything else is reported back to the agent). */
  arguments: unknown;
  /** The call's id (from the model, or generated), pairing it with its result. */
  id: string;
  /** The tool's name. */
  name: string;
};

/** A tool run's decision: what, by whom, why, when. */
export type ToolDecision = {
  /** When. */
  at: number;
  /** `"policy"`, or `"user"` for a decision made with `toolrun.decide`. */
  by: string;
  /** The decision. */
  kind: DecisionKind;
  /** The user's reason, if they gave one (a denial's reason goes back to the agent). */
  reason?: string | null;
};

/** One audited tool call (the `tool_runs` table). */
export type ToolRun = {
  /** The agent that called it. */
  agent_id?: (AgentId | null);
  /** Its arguments. */
  args: unknown;
  /** The model's id for the call. */
  call_id: string;
  /** Who let it run or stopped it, and how. */
  decision?: (ToolDecision | null);
  /** How long it ran, once finished (milliseconds). */
  duration_ms?: number | null;
  /** End, once finished. */
  finished_at?: number | null;
  /** Identifier. */
  id: string;
  /** Its output, capped. */
  output: string;
  /** The size of the whole output when `output` shows only part of it; the whole is
   * read with `toolrun.output`. */
  output_bytes?: number | null;
  /** Why: each part the policy judged (every simple command of a shell line) with its
   * level and reason, worst first. */
  reasons?: Part[];
  /** The policy's risk level (absent on runs recorded before risk was assessed). */
  risk?: (Risk | null);
  /** Start. */
  started_at: number;
  /** State. */
  status: ToolRunStatus;
  /** The task it ran for. */
  task_id?: (TaskId | null);
  /** The tool. */
  tool: string;
};

/** Parameters of `toolrun.decide`. */
export type ToolRunDecideParams = {
  /** `allow_once`, `allow_always` or `deny`. */
  decision: UserDecision;
  /** The tool run (from `tool_run_added`, `toolrun.pending` or `task.record`). */
  id: string;
  /** Why (a denial's reason goes back to the agent); at most 4096 bytes. */
  reason?: string | null;
};

/** Result of `toolrun.decide`. */
export type ToolRunDecideResult = {
  /** Rules an `allow_always` added. */
  added_rules?: Rule[];
  /** The run after the decision (`running` or `denied`). */
  run: ToolRun;
  /** Its task, when the decision moved it back to Active. */
  task?: (Task | null);
};

/** A list of tool runs. */
export type ToolRunListResult = {
  /** The runs. */
  runs: ToolRun[];
};

/** Parameters of `toolrun.output`. */
export type ToolRunOutputParams = {
  /** The tool run. */
  id: string;
  /** Most bytes to return (default and maximum 1 MiB). */
  limit?: number | null;
  /** Byte offset to read from (default 0). */
  offset?: number | null;
};

/** Result of `toolrun.output`. */
export type ToolRunOutputResult = {
  /** The text (cut at character boundaries). */
  data: string;
  /** Where `data` starts. */
  offset: number;
  /** The whole output's length in bytes; read on from `offset + data.len()`. */
  total: number;
};

/** The state of a tool run. */
export type ToolRunStatus = ("running" | "ok" | "error" | "interrupted" | "cancelled" | "awaiting_decision" | "denied");

/** Tokens and cost spent. */
export type Usage = {
  /** Cost in US dollars, by the configured price table. */
  cost_usd: number;
  /** Prompt tokens. */
  input_tokens: number;
  /** Completion tokens. */
  output_tokens: number;
};

/** Parameters of `usage.get`. */
export type UsageGetParams = {
  /** How many days back, today included (default 30, at most 366). */
  days?: number | null;
};

/** Result of `usage.get`. */
export type UsageGetResult = {
  /** Per day and agent, newest first. */
  days: DailyUsage[];
  /** Today's total over all agents (UTC). */
  today: Usage;
};

/** A command a user registered. Built-in commands are not stored; they are code. */
export type UserCommand = {
  /** What executing it does. */
  action: CommandAction;
  /** Identifier, unique within the user: letters, digits and `.`, `_`, `-`. */
  id: string;
  /** Title shown in command palettes. */
  title: string;
};

/** A user's model configuration. */
export type UserConfig = {
  /** The provider agents use when they name none; the server's default when absent. */
  default_provider?: string | null;
  /** Whether the user's commands, terminals and stdio MCP servers may open TCP
   * connections (`allow`, the default) or not (`deny`). Applies to processes started
   * after the change. */
  network?: NetworkAccess;
  /** The user's own providers. */
  providers: ProviderEntry[];
};

/** A user's decision on a waiting tool call. */
export type UserDecision = ("allow_once" | "allow_always" | "deny");

/** The caller. */
export type UserInfo = {
  /** User id. */
  id: string;
  /** Whether the user is an admin. */
  is_admin: boolean;
  /** User name. */
  name: string;
};

/** Every method: its parameters and its result. */
export interface Methods {
  /** The audit log, newest first: admin actions and High-risk decisions (admins only). */
  "admin.audit.list": { params: AdminAuditListParams; result: AdminAuditListResult };
  /** The server's default limits, caps and spending, and optionally one user's
   *  overrides, effective limits and spending (admins only). */
  "admin.limits.get": { params: AdminLimitsGetParams; result: AdminLimitsGetResult };
  /** Replaces the server's defaults and caps, or one user's overrides (admins only). In
   *  force from the next request on; running work is never cut off. Recorded in the
   *  audit log. */
  "admin.limits.set": { params: AdminLimitsSetParams; result: AdminLimitsGetResult };
  /** Issues an API token for a user (admins only); the token is in this answer only. */
  "admin.token.create": { params: AdminTokenCreateParams; result: AdminTokenCreateResult };
  /** A user's tokens: ids, kinds, labels and times, never the secrets (admins only). */
  "admin.token.list": { params: AdminTokenListParams; result: AdminTokenListResult };
  /** Revokes a token by id (admins only); connections using it close at once. */
  "admin.token.revoke": { params: AdminTokenRevokeParams; result: AdminTokenRevokeResult };
  /** Adds a user with a password (admins only). An existing name answers `conflict`. */
  "admin.user.create": { params: AdminUserCreateParams; result: AdminUser };
  /** Every user of the server (admins only, multi-user mode). */
  "admin.user.list": { params: NoParams; result: AdminUserListResult };
  /** Disables or re-enables a user, makes them an admin or a member, or sets their
   *  password (admins only). Disabling closes the user's open connections at once. An
   *  admin cannot disable or demote themself, and the last enabled admin stays one. */
  "admin.user.update": { params: AdminUserUpdateParams; result: AdminUser };
  /** A 1:1 conversation turn with one agent, separate from the Blackboard; the agent may
   *  read the workspace. Answers when the agent has answered. */
  "agent.chat": { params: AgentChatParams; result: AgentChatResult };
  /** The newest steps of the user's 1:1 chat with one agent (what `agent.chat` recorded:
   *  the user's messages as `instruction` steps, the agent's turns and tool results). */
  "agent.history": { params: AgentHistoryParams; result: AgentHistoryResult };
  /** The user's team. */
  "agent.list": { params: NoParams; result: AgentListResult };
  /** Changes an agent: name, description, tags, scenes, model, enabled. */
  "agent.update": { params: AgentUpdateParams; result: Agent };
  /** Reads a Blackboard's messages, newest page first, for scrolling up. */
  "blackboard.history": { params: BlackboardHistoryParams; result: BlackboardHistoryResult };
  /** Posts to a session's Blackboard; `/task <title>` creates a task. */
  "blackboard.post": { params: BlackboardPostParams; result: BlackboardPostResult };
  /** Executes a command. */
  "command.execute": { params: CommandExecuteParams; result: CommandExecuteResult };
  /** Lists built-in and user-defined commands. */
  "command.list": { params: NoParams; result: CommandListResult };
  /** Registers (or replaces) one of the user's own commands. */
  "command.register": { params: CommandRegisterParams; result: Empty };
  /** Removes one of the user's own commands. */
  "command.unregister": { params: CommandIdParams; result: DeletedResult };
  /** The user's model configuration (providers with `has_key`, never the keys). */
  "config.get": { params: NoParams; result: UserConfig };
  /** Changes the user's model configuration; per-agent choices are set with `agent.update`. */
  "config.set": { params: ConfigSetParams; result: UserConfig };
  /** Reads events from the log without subscribing. */
  "events.list": { params: EventsListParams; result: EventsListResult };
  /** Streams the user's events on this connection: replay from `since`, then live. */
  "events.subscribe": { params: EventsSubscribeParams; result: EventsSubscribeResult };
  /** Stops this connection's event stream. */
  "events.unsubscribe": { params: NoParams; result: Empty };
  /** Deletes a file, a symbolic link (never its target) or a directory. */
  "fs.delete": { params: FsRecursiveParams; result: Empty };
  /** Lists a directory. */
  "fs.list": { params: FsPathParams; result: FsListResult };
  /** Creates a directory. */
  "fs.mkdir": { params: FsRecursiveParams; result: FileStat };
  /** Reads a file of the caller's workspace (at most 16 MiB). */
  "fs.read": { params: FsReadParams; result: FsReadResult };
  /** Renames or moves a path within the workspace. */
  "fs.rename": { params: FsRenameParams; result: FileStat };
  /** Metadata of a path; a symbolic link is reported as such, not followed. */
  "fs.stat": { params: FsPathParams; result: FileStat };
  /** Writes a file atomically (temporary file, then rename). */
  "fs.write": { params: FsWriteParams; result: FileStat };
  /** Ranked search of the user's workspace and memory: definitions, full-text (BM25
   *  with a code-aware tokenizer), the reference graph's PageRank and earlier tasks and
   *  messages, fused and packed into a token budget, each snippet with its reason. */
  "index.search": { params: IndexSearchParams; result: IndexSearchResult };
  /** The state of the user's workspace index (also sent as `index.status`
   *  notifications to subscribed connections as it changes). */
  "index.status": { params: NoParams; result: IndexStatus };
  /** Looks up definitions by name: exact, prefix or fuzzy. */
  "index.symbols": { params: IndexSymbolsParams; result: IndexSymbolsResult };
  /** Whether a model is configured, and each provider's health and load (for a status bar). */
  "llm.status": { params: NoParams; result: LlmStatusResult };
  /** Adds or replaces an MCP server definition (checked; every secret it names must
   *  exist). A running server of that name is stopped. Emits `mcp_server_updated`. */
  "mcp.add": { params: McpAddParams; result: McpServerSpec };
  /** Calls an MCP tool as the user (e.g. to try it from the config center); starts its
   *  server on demand. A tool's own error is an error response with its message. */
  "mcp.call": { params: McpCallParams; result: McpCallResult };
  /** The user's MCP servers with their state (stopped, starting, running, crashed) and
   *  last error. */
  "mcp.list": { params: NoParams; result: McpListResult };
  /** Removes an MCP server definition and stops the server. Emits `mcp_server_removed`. */
  "mcp.remove": { params: McpNameParams; result: DeletedResult };
  /** The tools of one server or of every enabled one, as agents see them; starts the
   *  servers on demand. */
  "mcp.tools": { params: McpToolsParams; result: McpToolsResult };
  /** Judges a command line or tool call with the user's rules, without running it. */
  "policy.check": { params: PolicyCheckParams; result: Assessment };
  /** The risk rules: the built-in ones (read-only) and the user's and workspace's. */
  "policy.get": { params: NoParams; result: PolicyGetResult };
  /** Replaces the user's and workspace's risk rules (each is checked; Allow rules that
   *  could cover a High command are refused with the reason). */
  "policy.set": { params: PolicySetParams; result: PolicyGetResult };
  /** The caller's effective limits (quotas, permissions) and what they use of them. */
  "quota.get": { params: NoParams; result: QuotaGetResult };
  /** Deletes a secret; emits `secret_removed` if it existed. */
  "secret.delete": { params: SecretNameParams; result: DeletedResult };
  /** The user's secrets: names and times, never values. */
  "secret.list": { params: NoParams; result: SecretListResult };
  /** Sets (creates or replaces) one of the user's secrets, stored encrypted. Emits
   *  `secret_updated` with the name only. */
  "secret.set": { params: SecretSetParams; result: SecretInfo };
  /** Who the caller is and what this server offers. */
  "server.info": { params: NoParams; result: ServerInfo };
  /** Archives or unarchives a session. */
  "session.archive": { params: SessionArchiveParams; result: Session };
  /** Creates a session. */
  "session.create": { params: SessionCreateParams; result: Session };
  /** Lists sessions. */
  "session.list": { params: SessionListParams; result: SessionListResult };
  /** Renames a session. */
  "session.rename": { params: SessionRenameParams; result: Session };
  /** Deletes a key; emits `state_changed` if it existed. */
  "state.delete": { params: StateKeyParams; result: DeletedResult };
  /** Reads a key of the user's global or workspace state. */
  "state.get": { params: StateKeyParams; result: StateGetResult };
  /** Lists the keys of a scope. */
  "state.keys": { params: StateScopeParams; result: StateKeysResult };
  /** Sets a key; emits `state_changed`. */
  "state.set": { params: StateSetParams; result: StateSetResult };
  /** Cancels a task: it becomes Failed with the reason. */
  "task.cancel": { params: TaskCancelParams; result: Task };
  /** Creates a task (Pending). */
  "task.create": { params: TaskCreateParams; result: Task };
  /** A task and its state history. */
  "task.get": { params: TaskIdParams; result: TaskGetResult };
  /** Lists tasks. */
  "task.list": { params: TaskListParams; result: TaskListResult };
  /** A task's full record: steps, tool runs and assists. */
  "task.record": { params: TaskIdParams; result: TaskRecordResult };
  /** Retries a Failed or Blocked task: it becomes Pending again. */
  "task.retry": { params: TaskIdParams; result: Task };
  /** Closes a terminal: its shell and everything it started are killed. */
  "terminal.close": { params: TerminalIdParams; result: TerminalInfo };
  /** Opens a terminal: an interactive shell on a real pseudo-terminal in the workspace,
   *  sandboxed like commands. Output arrives as `terminal.output` notifications. */
  "terminal.create": { params: TerminalCreateParams; result: TerminalInfo };
  /** Types into a terminal. */
  "terminal.input": { params: TerminalInputParams; result: Empty };
  /** The user's terminals. */
  "terminal.list": { params: NoParams; result: TerminalListResult };
  /** Reads a terminal's output from its scrollback (to catch up after missed
   *  notifications or a reconnect). */
  "terminal.read": { params: TerminalReadParams; result: TerminalReadResult };
  /** Changes a terminal's size. */
  "terminal.resize": { params: TerminalResizeParams; result: TerminalInfo };
  /** Decides on a tool call that waits for the user (its task is in NeedsConfirm):
   *  `allow_once` runs it, `allow_always` runs it and adds Allow rules for calls like it
   *  (Medium only — High always asks), `deny` stops it and tells the agent the reason. */
  "toolrun.decide": { params: ToolRunDecideParams; result: ToolRunDecideResult };
  /** Reads a tool run's whole output (a run whose `output_bytes` is set showed the agent
   *  and its row only part of it), in pieces of at most 1 MiB. */
  "toolrun.output": { params: ToolRunOutputParams; result: ToolRunOutputResult };
  /** Tool calls waiting for the user's decision, oldest first (for a client that just
   *  connected; later ones arrive as `tool_run_added` events). */
  "toolrun.pending": { params: NoParams; result: ToolRunListResult };
  /** Tokens and cost spent by the user's agents, per day and agent. */
  "usage.get": { params: UsageGetParams; result: UsageGetResult };
}

/** Every notification the server sends: its parameters. */
export interface Notifications {
  /** A piece of an agent's reply as it streams in: `kind` is `text`, `reasoning`, or `restart` (discard this turn's pieces so far). Not stored; the finished turn arrives as a `step_added` event. */
  "agent.delta": AgentDelta;
  /** A language-model provider's circuit breaker changed state (`open` means calls fail or go to the fallback). Sent to every subscribed connection. */
  "agent_health": LlmHealth;
  /** One committed change of the user's state. Replayed from `since`, then live, gap-free and in `seq` order. */
  "event": EventParams;
  /** Files changed in the user's workspace, seen by the file watcher. Only the owning user's connections receive it. */
  "fs.changed": FsChangedParams;
  /** The user's workspace index changed: building progress (`files` of `files_total`), ready, or failed with `error`; sizes after each update. Coalesced: a slow connection gets the newest state. Only the owning user's subscribed connections receive it. */
  "index.status": IndexStatus;
  /** One of the user's terminals exited (after its last output); `code` is 128 + the signal number when it was killed, e.g. by `terminal.close`. */
  "terminal.exit": TerminalExitParams;
  /** Output of one of the user's terminals, in order; `offset` counts bytes of the terminal's whole output. A connection that falls behind may miss chunks: `terminal.read` with `since` returns them from the scrollback. Only the owning user's subscribed connections receive it. */
  "terminal.output": TerminalOutputParams;
}

/** JSON-RPC error codes by name. */
export const ErrorCode = {
  parse_error: -32700,
  invalid_request: -32600,
  method_not_found: -32601,
  invalid_params: -32602,
  internal_error: -32603,
  not_found: -32001,
  conflict: -32002,
  path_outside_workspace: -32003,
  rate_limited: -32004,
  invalid_transition: -32005,
  too_large: -32006,
  unauthorized: -32007,
  unavailable: -32008,
  tool_error: -32009,
  forbidden: -32010,
  quota_exceeded: -32011,
} as const;
