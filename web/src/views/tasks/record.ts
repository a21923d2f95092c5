// Loading a task's record (task.record) into the store when the task is opened. The
// events that arrive while it loads are kept (an empty record is in place first, so
// step_added / tool_run_* / assist_* land in it) and merged with the answer.

import { useEffect, useState } from "react";
import type { AssistRequest, Step, TaskRecordResult, ToolRun } from "../../protocol.gen";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import { errorMessage } from "../../lib/errors";

const EMPTY: TaskRecordResult = { steps: [], assist_steps: [], assists: [], tool_runs: [] };

const stepKey = (s: Step) => `${s.assist_id ?? ""}/${s.agent_id}/${s.index}`;

function mergeSteps(fresh: Step[], seen: Step[]): Step[] {
  const keys = new Set(fresh.map(stepKey));
  const extra = seen.filter((s) => !keys.has(stepKey(s)));
  return extra.length ? [...fresh, ...extra] : fresh;
}

/** How far along a run is, to keep the newer of two versions. */
function runStage(r: ToolRun): number {
  if (r.finished_at != null) return 3;
  if (r.decision) return 2;
  return r.status === "awaiting_decision" ? 1 : 0;
}

const ASSIST_STAGE: Record<AssistRequest["status"], number> = { open: 0, running: 1, done: 2, failed: 2 };

function mergeById<T extends { id: string }>(fresh: T[], seen: T[], stage: (x: T) => number): T[] {
  const byId = new Map(seen.map((x) => [x.id, x]));
  const out = fresh.map((x) => {
    const other = byId.get(x.id);
    return other && stage(other) > stage(x) ? other : x;
  });
  const ids = new Set(fresh.map((x) => x.id));
  return [...out, ...seen.filter((x) => !ids.has(x.id))];
}

/** A freshly read record merged with what events added while it was read. */
export function mergeRecord(fresh: TaskRecordResult, seen: TaskRecordResult | undefined): TaskRecordResult {
  if (!seen) return fresh;
  return {
    steps: mergeSteps(fresh.steps, seen.steps),
    assist_steps: mergeSteps(fresh.assist_steps, seen.assist_steps),
    assists: mergeById(fresh.assists, seen.assists, (a) => ASSIST_STAGE[a.status]),
    tool_runs: mergeById(fresh.tool_runs, seen.tool_runs, runStage),
  };
}

/** Loads a task's record into store.records (once per opening, when connected). */
export function useTaskRecord(id: string): { record: TaskRecordResult | undefined; loading: boolean; error: string | null } {
  const record = useStore((s) => s.records[id]);
  const connected = useStore((s) => s.connection === "open");
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!connected) return;
    let live = true;
    useStore.setState((s) => (s.records[id] ? {} : { records: { ...s.records, [id]: EMPTY } }));
    setLoading(true);
    setError(null);
    api()
      .call("task.record", { id })
      .then((r) => {
        useStore.setState((s) => ({ records: { ...s.records, [id]: mergeRecord(r, s.records[id]) } }));
      })
      .catch((e: unknown) => live && setError(errorMessage(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [id, connected]);
  return { record, loading, error };
}
