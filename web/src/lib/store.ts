// The UI's state: a projection of the user's event stream (and the snapshots read at
// connect). Views read it with selectors; nothing polls.

import { create } from "zustand";
import type {
  Agent,
  AgentDelta,
  AssistRequest,
  Event,
  IndexStatus,
  LlmHealth,
  McpServerSpec,
  Message,
  Rule,
  Session,
  Step,
  SymbolMatch,
  Task,
  TaskRecordResult,
  ToolRun,
  Usage,
  UserCommand,
  UserConfig,
} from "../protocol.gen";
import type { Me, Mode } from "./auth";
import type { ConnectionState } from "./rpc";

/** A session's Blackboard as far as it has been read. */
export interface Board {
  messages: Message[];
  hasMore: boolean;
}

/** An agent's reply while it streams in (cleared when the finished step arrives). */
export interface Stream {
  taskId: string | null;
  /** The Blackboard session the agent is answering (null for task work and 1:1 chats). */
  sessionId: string | null;
  text: string;
  reasoning: string;
}

export interface Toast {
  id: number;
  kind: "done" | "failed" | "assist" | "error" | "info";
  text: string;
  taskId?: string | null;
}

export interface State {
  me: Me | null;
  mode: Mode | null;
  connection: ConnectionState;
  /** The newest event seq applied. */
  lastSeq: number;
  /** Events up to this seq were replayed at subscribe time; later ones are live. */
  liveFrom: number;
  sessions: Record<string, Session>;
  boards: Record<string, Board>;
  tasks: Record<string, Task>;
  agents: Record<string, Agent>;
  /** Tool runs the UI knows of (pending ones, and those of opened tasks). */
  runs: Record<string, ToolRun>;
  /** Records of opened tasks (task.record), kept current by events. */
  records: Record<string, TaskRecordResult>;
  /** 1:1 chat steps per agent (steps without a task). */
  chats: Record<string, Step[]>;
  streams: Record<string, Stream>;
  assists: Record<string, AssistRequest>;
  health: Record<string, LlmHealth>;
  llmConfigured: boolean | null;
  usageToday: Usage | null;
  config: UserConfig | null;
  rules: Rule[] | null;
  mcp: Record<string, McpServerSpec>;
  secrets: Record<string, true>;
  /** The user's own commands (command.list), once read; kept current by events. */
  commands: Record<string, UserCommand> | null;
  /** The workspace index's state (index.status, then its notifications); null until read. */
  index: IndexStatus | null;
  /** The Context view's last query, kept while the user looks at a file it found. */
  contextSearch: ContextSearch;
  toasts: Toast[];
}

/** What the Context view searches for, and how. */
export interface ContextSearch {
  query: string;
  mode: "ranked" | "symbols";
  match: SymbolMatch;
}

const initial: State = {
  me: null,
  mode: null,
  connection: "closed",
  lastSeq: 0,
  liveFrom: 0,
  sessions: {},
  boards: {},
  tasks: {},
  agents: {},
  runs: {},
  records: {},
  chats: {},
  streams: {},
  assists: {},
  health: {},
  llmConfigured: null,
  usageToday: null,
  config: null,
  rules: null,
  mcp: {},
  secrets: {},
  commands: null,
  index: null,
  contextSearch: { query: "", mode: "ranked", match: "prefix" },
  toasts: [],
};

export const useStore = create<State>(() => ({ ...initial }));

/** Forgets everything (sign-out, another user). */
export function resetStore(): void {
  useStore.setState({ ...initial }, true);
}

let toastId = 1;
export function toast(kind: Toast["kind"], text: string, taskId?: string | null): void {
  const t: Toast = { id: toastId++, kind, text, taskId };
  useStore.setState((s) => ({ toasts: [...s.toasts.slice(-4), t] }));
  setTimeout(() => dismissToast(t.id), kind === "error" || kind === "failed" ? 12_000 : 6_000);
}
export function dismissToast(id: number): void {
  useStore.setState((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
}

/** Inserts a message in id order (ids increase in creation order), without duplicates. */
export function mergeMessages(list: Message[], add: Message[]): Message[] {
  if (add.length === 0) return list;
  const seen = new Set(list.map((m) => m.id));
  const fresh = add.filter((m) => !seen.has(m.id));
  if (fresh.length === 0) return list;
  const last = list[list.length - 1];
  if (last && fresh.every((m) => m.id > last.id)) return [...list, ...fresh];
  // An older page (oldest first, all before the first message): no sort of the whole list.
  if (list.length > 0 && fresh.every((m, i) => m.id < list[0].id && (i === 0 || fresh[i - 1].id < m.id))) {
    return [...fresh, ...list];
  }
  return [...list, ...fresh].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function upsertRun(s: State, run: ToolRun): Partial<State> {
  const out: Partial<State> = { runs: { ...s.runs, [run.id]: run } };
  const rec = run.task_id ? s.records[run.task_id] : undefined;
  if (rec && run.task_id) {
    const i = rec.tool_runs.findIndex((r) => r.id === run.id);
    const tool_runs = i < 0 ? [...rec.tool_runs, run] : rec.tool_runs.map((r, j) => (j === i ? run : r));
    out.records = { ...s.records, [run.task_id]: { ...rec, tool_runs } };
  }
  return out;
}

function addStep(s: State, step: Step): Partial<State> {
  const out: Partial<State> = {};
  const streams = { ...s.streams };
  if (step.kind === "assistant") delete streams[step.agent_id];
  out.streams = streams;
  if (step.task_id) {
    const rec = s.records[step.task_id];
    if (rec) {
      const key = step.assist_id ? "assist_steps" : "steps";
      const list = rec[key];
      if (!list.some((x) => x.index === step.index && x.agent_id === step.agent_id && x.assist_id === step.assist_id)) {
        out.records = { ...s.records, [step.task_id]: { ...rec, [key]: [...list, step] } };
      }
    }
  } else {
    const list = s.chats[step.agent_id];
    if (list && !list.some((x) => x.index === step.index)) {
      out.chats = { ...s.chats, [step.agent_id]: [...list, step] };
    }
  }
  return out;
}

function addUsage(a: Usage | undefined | null, b: Usage): Usage {
  return {
    input_tokens: (a?.input_tokens ?? 0) + b.input_tokens,
    output_tokens: (a?.output_tokens ?? 0) + b.output_tokens,
    cost_usd: (a?.cost_usd ?? 0) + b.cost_usd,
  };
}

/** Applies one event. Events at or below `lastSeq` were applied already and are skipped. */
export function applyEvent(ev: Event): void {
  const s = useStore.getState();
  if (ev.seq <= s.lastSeq) return;
  const live = ev.seq > s.liveFrom;
  let patch: Partial<State> = {};
  switch (ev.type) {
    case "session_created":
    case "session_updated":
      patch.sessions = { ...s.sessions, [ev.session.id]: ev.session };
      break;
    case "message_added": {
      const b = s.boards[ev.message.session_id];
      if (b) patch.boards = { ...s.boards, [ev.message.session_id]: { ...b, messages: mergeMessages(b.messages, [ev.message]) } };
      break;
    }
    case "task_created":
      patch.tasks = { ...s.tasks, [ev.task.id]: ev.task };
      break;
    case "task_updated": {
      patch.tasks = { ...s.tasks, [ev.task.id]: ev.task };
      if (live && ev.from && ev.from !== ev.task.status) {
        if (ev.task.status === "done") toast("done", ev.task.title, ev.task.id);
        if (ev.task.status === "failed") toast("failed", ev.task.title, ev.task.id);
      }
      break;
    }
    case "agent_updated":
      patch.agents = { ...s.agents, [ev.agent.id]: ev.agent };
      break;
    case "step_added":
      patch = addStep(s, ev.step);
      break;
    case "tool_run_added":
    case "tool_run_updated":
      patch = upsertRun(s, ev.run);
      break;
    case "assist_requested":
    case "assist_updated": {
      patch.assists = { ...s.assists, [ev.assist.id]: ev.assist };
      const rec = s.records[ev.assist.task_id];
      if (rec) {
        const others = rec.assists.filter((a) => a.id !== ev.assist.id);
        patch.records = { ...s.records, [ev.assist.task_id]: { ...rec, assists: [...others, ev.assist] } };
      }
      if (live && ev.type === "assist_requested") toast("assist", ev.assist.question, ev.assist.task_id);
      break;
    }
    case "usage_recorded": {
      const today = new Date(ev.at).toISOString().slice(0, 10) === new Date().toISOString().slice(0, 10);
      if (today) patch.usageToday = addUsage(s.usageToday, ev.usage);
      const t = ev.task_id ? s.tasks[ev.task_id] : undefined;
      if (t && ev.task_id) patch.tasks = { ...s.tasks, [ev.task_id]: { ...t, usage: addUsage(t.usage, ev.usage) } };
      break;
    }
    case "policy_updated":
      patch.rules = ev.rules;
      break;
    case "config_updated":
      patch.config = ev.config;
      break;
    case "secret_updated":
      patch.secrets = { ...s.secrets, [ev.name]: true };
      break;
    case "secret_removed": {
      const secrets = { ...s.secrets };
      delete secrets[ev.name];
      patch.secrets = secrets;
      break;
    }
    case "mcp_server_updated":
      patch.mcp = { ...s.mcp, [ev.server.name]: ev.server };
      break;
    case "mcp_server_removed": {
      const mcp = { ...s.mcp };
      delete mcp[ev.name];
      patch.mcp = mcp;
      break;
    }
    case "command_registered":
      if (s.commands) patch.commands = { ...s.commands, [ev.command.id]: ev.command };
      break;
    case "command_unregistered":
      if (s.commands) {
        const commands = { ...s.commands };
        delete commands[ev.id];
        patch.commands = commands;
      }
      break;
    default:
      break; // Types this UI does not show (state_changed, commands, …) or does not know yet.
  }
  useStore.setState({ ...patch, lastSeq: ev.seq });
}

/** Applies a streamed piece of an agent's reply. */
export function applyDelta(d: AgentDelta): void {
  useStore.setState((s) => {
    const cur = s.streams[d.agent_id];
    const base: Stream = d.kind === "restart" || !cur ? { taskId: d.task_id ?? null, sessionId: d.session_id ?? null, text: "", reasoning: "" } : cur;
    if (d.kind === "restart") return { streams: { ...s.streams, [d.agent_id]: base } };
    const next: Stream =
      d.kind === "reasoning" ? { ...base, reasoning: base.reasoning + d.text } : { ...base, text: base.text + d.text };
    return { streams: { ...s.streams, [d.agent_id]: next } };
  });
}
