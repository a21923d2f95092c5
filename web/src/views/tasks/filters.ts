// The task board's filters (kept while the user moves between tasks and views).

import { create } from "zustand";
import type { Task } from "../../protocol.gen";
import { useStore } from "../../lib/store";

export interface TaskFilters {
  /** "" all, "none" unassigned, or an agent id. */
  agent: string;
  /** "" all, or "1" … "5". */
  priority: string;
  /** "" all sessions, or a session id. */
  session: string;
}

function fromQuery(): TaskFilters {
  const q = typeof location !== "undefined" ? new URLSearchParams(location.search) : new URLSearchParams();
  return { agent: q.get("agent") ?? "", priority: q.get("priority") ?? "", session: q.get("session") ?? "" };
}

export const useTaskFilters = create<TaskFilters>(() => fromQuery());

// Another user (or a sign-out) in this tab: their agents and sessions are not these.
useStore.subscribe((s, prev) => {
  if (s.me?.id !== prev.me?.id && prev.me) useTaskFilters.setState({ agent: "", priority: "", session: "" });
});

/** Changes some filters. */
export function setTaskFilters(patch: Partial<TaskFilters>): void {
  useTaskFilters.setState(patch);
}

/** Whether any filter is set. */
export function filtering(f: TaskFilters): boolean {
  return f.agent !== "" || f.priority !== "" || f.session !== "";
}

/** The tasks the filters let through. */
export function applyFilters(tasks: Task[], f: TaskFilters): Task[] {
  return tasks.filter(
    (x) =>
      (f.agent === "" || (f.agent === "none" ? !x.assignee : x.assignee === f.agent)) &&
      (f.priority === "" || String(x.priority) === f.priority) &&
      (f.session === "" || x.session_id === f.session),
  );
}

/** Column order: highest priority first, then the most recently changed. */
export function byPriority(a: Task, b: Task): number {
  return b.priority - a.priority || b.updated_at - a.updated_at;
}
