// Composer completions: `/command` at the start of the text, `@Name` anywhere. Pure
// functions, so the keyboard behaviour is tested without a browser.

import type { Agent } from "../../protocol.gen";

/** The token being completed: its kind, where it is in the text, and what is typed so far. */
export interface Query {
  kind: "command" | "mention";
  start: number;
  end: number;
  text: string;
}

/** A command offered after `/`. */
export interface CommandChoice {
  name: string;
  detail: string;
  /** What it takes after its name, shown as `<arg>`. */
  arg: string;
}

/** One entry of the completion list. */
export interface Completion {
  key: string;
  label: string;
  detail: string;
  arg?: string;
  insert: string;
}

const CMD_CHAR = /^[\w.-]*/;
const NAME_CHAR = /^[\p{L}\p{N}_-]*/u;

/** The token at the caret that can be completed, if any. */
export function queryAt(value: string, caret: number): Query | null {
  const before = value.slice(0, caret);
  const after = value.slice(caret);
  const cmd = /^\/([\w.-]*)$/.exec(before);
  if (cmd) return { kind: "command", start: 0, end: caret + (CMD_CHAR.exec(after)?.[0].length ?? 0), text: cmd[1] };
  const m = /(?:^|\s)@([\p{L}\p{N}_-]*)$/u.exec(before);
  if (m) {
    return { kind: "mention", start: caret - m[1].length - 1, end: caret + (NAME_CHAR.exec(after)?.[0].length ?? 0), text: m[1] };
  }
  return null;
}

/** What the query can become: matching commands, or team members (prefix matches first). */
export function complete(q: Query, commands: CommandChoice[], agents: Agent[]): Completion[] {
  const needle = q.text.toLowerCase();
  if (q.kind === "command") {
    return commands
      .filter((c) => c.name.toLowerCase().startsWith(needle))
      .map((c) => ({ key: `cmd:${c.name}`, label: `/${c.name}`, detail: c.detail, arg: c.arg, insert: `/${c.name} ` }));
  }
  const rank = (a: Agent) => {
    const n = a.name.toLowerCase();
    return (n.startsWith(needle) ? 0 : 2) + (a.enabled ? 0 : 1);
  };
  return agents
    .filter((a) => a.name.toLowerCase().includes(needle))
    .sort((a, b) => rank(a) - rank(b) || (a.role === b.role ? a.name.localeCompare(b.name) : a.role === "manager" ? -1 : 1))
    .map((a) => ({ key: `agent:${a.id}`, label: `@${a.name}`, detail: a.description, insert: `@${a.name} ` }));
}

/** The text with the query replaced by the completion, and where the caret goes. */
export function applyCompletion(value: string, q: Query, c: Completion): { value: string; caret: number } {
  const after = value.slice(q.end);
  const insert = /^\s/.test(after) ? c.insert.trimEnd() : c.insert;
  const caret = q.start + insert.length + (insert === c.insert ? 0 : 1);
  return { value: value.slice(0, q.start) + insert + after, caret };
}

/** A `/name rest` text that runs one of the user's commands: the command and its input. */
export function parseUserCommand(text: string, names: Set<string>): { id: string; input: string } | null {
  const m = /^\/([\w.-]+)(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m || m[1] === "task" || !names.has(m[1])) return null;
  return { id: m[1], input: (m[2] ?? "").trim() };
}
