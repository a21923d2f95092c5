// Small formatting helpers shared by the task and tool views.

import type { Lang } from "../../i18n";
import type { ToolRun, Usage } from "../../protocol.gen";

/** A locale tag for Intl from the UI language. */
export function locale(lang: Lang): string {
  return lang === "zh" ? "zh-CN" : "en-US";
}

/** 1234 → "1,234"; 12345 → "12.3k"; 1234567 → "1.2M". */
export function compact(n: number, lang: Lang): string {
  return new Intl.NumberFormat(locale(lang), { notation: n >= 10_000 ? "compact" : "standard", maximumFractionDigits: 1 }).format(n);
}

/** Total tokens of a usage. */
export function tokens(u: Usage | null | undefined): number {
  return (u?.input_tokens ?? 0) + (u?.output_tokens ?? 0);
}

/** "$0.0123" for small amounts, "$1.23" otherwise. */
export function cost(usd: number): string {
  if (usd === 0) return "$0";
  return usd < 0.1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** A duration in ms as "850 ms", "2.4 s", "3 min 5 s". */
export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A time of day (today) or a short date and time. */
export function when(ms: number, lang: Lang): string {
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return new Intl.DateTimeFormat(
    locale(lang),
    today ? { hour: "2-digit", minute: "2-digit", second: "2-digit" } : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" },
  ).format(d);
}

/** Bytes as "512 B", "3.2 KiB", "1.4 MiB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** UTF-8 length of a string. */
export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

// Escape sequences a terminal would interpret: CSI (colours, cursor), OSC (titles, links),
// and two-character escapes. Carriage returns that redraw a line keep the last version.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** Removes ANSI escape sequences (colours, cursor moves) from terminal output. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI, "").replace(/[^\n]*\r(?!\n)/g, "");
}

/** Whether a value is a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The string argument `key` of a tool run or call, if it has one. */
export function argString(args: unknown, key: string): string | null {
  return isObject(args) && typeof args[key] === "string" ? args[key] : null;
}

/** Tools whose main argument is a shell line, and that argument's name. */
const COMMAND_ARG: Record<string, string> = { run_command: "command", terminal_start: "command", terminal_input: "data" };

/** The command line a run executes (run_command, terminal_start, terminal_input), if any. */
export function commandOf(tool: string, args: unknown): string | null {
  const key = COMMAND_ARG[tool];
  return key ? argString(args, key) : null;
}

/** Arguments without the ones shown elsewhere (the command, a file's content), as compact JSON. */
export function otherArgs(tool: string, args: unknown): string | null {
  if (!isObject(args)) return args === undefined || args === null ? null : JSON.stringify(args);
  const hide = new Set<string>();
  if (COMMAND_ARG[tool]) hide.add(COMMAND_ARG[tool]);
  // File tools show the path and the change in their diff.
  if (tool === "write_file" && typeof args.content === "string") {
    hide.add("content");
    hide.add("path");
  }
  if (tool === "edit_file" && typeof args.old_text === "string" && typeof args.new_text === "string") {
    hide.add("old_text");
    hide.add("new_text");
    hide.add("path");
    hide.add("replace_all");
  }
  const rest = Object.fromEntries(Object.entries(args).filter(([k]) => !hide.has(k)));
  return Object.keys(rest).length ? JSON.stringify(rest) : null;
}

/** Waiting runs, oldest first. */
export function waitingRuns(runs: Record<string, ToolRun>): ToolRun[] {
  return Object.values(runs)
    .filter((r) => r.status === "awaiting_decision")
    .sort((a, b) => a.started_at - b.started_at || (a.id < b.id ? -1 : 1));
}
