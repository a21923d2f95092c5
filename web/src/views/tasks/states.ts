// The eight task states in lifecycle order (the board's columns) and their colour dots.

import type { TaskStatus } from "../../protocol.gen";

/** The eight task states in lifecycle order. */
export const TASK_STATES: TaskStatus[] = [
  "pending",
  "active",
  "needs_confirm",
  "finalizing",
  "done",
  "blocked",
  "reassigning",
  "failed",
];

const DOT: Record<TaskStatus, string> = {
  pending: "bg-zinc-400",
  active: "bg-sky-500",
  needs_confirm: "bg-amber-500",
  finalizing: "bg-violet-500",
  done: "bg-emerald-500",
  blocked: "bg-orange-500",
  reassigning: "bg-indigo-500",
  failed: "bg-red-500",
};

/** The colour dot of a task state (for column headers). */
export function statusDot(status: TaskStatus): string {
  return DOT[status];
}
