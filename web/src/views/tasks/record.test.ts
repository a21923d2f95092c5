import { describe, expect, it } from "vitest";
import type { TaskRecordResult } from "../../protocol.gen";
import { makeRun } from "../../testing/tasks";
import { mergeRecord } from "./record";
import { previousContents } from "./previous";

const step = (index: number, text = `s${index}`) => ({ agent_id: "coder", task_id: "t1", index, at: index, kind: "note" as const, text });

describe("mergeRecord", () => {
  it("keeps what events added while the record was read, without duplicates, and the newer run", () => {
    const fresh: TaskRecordResult = {
      steps: [step(0), step(1)],
      assist_steps: [],
      assists: [],
      tool_runs: [makeRun("r1", { status: "awaiting_decision", decision: null })],
    };
    const seen: TaskRecordResult = {
      steps: [step(1), step(2)],
      assist_steps: [],
      assists: [],
      tool_runs: [makeRun("r1", { status: "ok", finished_at: 5 }), makeRun("r2")],
    };
    const m = mergeRecord(fresh, seen);
    expect(m.steps.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(m.tool_runs.map((r) => [r.id, r.status])).toEqual([
      ["r1", "ok"],
      ["r2", "ok"],
    ]);
  });
});

describe("previousContents", () => {
  it("knows a file's content before a write from earlier writes and edits of the task", () => {
    const runs = [
      makeRun("w1", { tool: "write_file", args: { path: "a", content: "x = 1\n" }, started_at: 1 }),
      makeRun("e1", { tool: "edit_file", args: { path: "a", old_text: "1", new_text: "2" }, started_at: 2 }),
      makeRun("w2", { tool: "write_file", args: { path: "a", content: "x = 3\n" }, started_at: 3 }),
      makeRun("w3", { tool: "write_file", args: { path: "b", content: "new" }, started_at: 4 }),
    ];
    const p = previousContents(runs);
    expect(p.get("w1")).toBeUndefined();
    expect(p.get("w2")).toBe("x = 2\n");
    expect(p.get("w3")).toBeUndefined();
  });
});
