import { beforeEach, describe, expect, it } from "vitest";
import type { Event, Message, Task } from "../protocol.gen";
import { applyEvent, mergeMessages, resetStore, useStore } from "./store";

const msg = (id: string, text = id): Message => ({
  id,
  session_id: "default",
  author: { kind: "user" },
  text,
  created_at: 0,
});

const task = (id: string, status: Task["status"]): Task => ({
  id,
  session_id: "default",
  title: `task ${id}`,
  description: "",
  status,
  priority: 3,
  difficulty: 3,
  context_refs: [],
  created_at: 0,
  updated_at: 0,
});

describe("mergeMessages", () => {
  it("appends in order, skips duplicates, sorts older pages in", () => {
    const a = mergeMessages([], [msg("m2"), msg("m3")]);
    expect(mergeMessages(a, [msg("m3")])).toBe(a);
    expect(mergeMessages(a, [msg("m4")]).map((m) => m.id)).toEqual(["m2", "m3", "m4"]);
    expect(mergeMessages(a, [msg("m1")]).map((m) => m.id)).toEqual(["m1", "m2", "m3"]);
  });
});

describe("applyEvent", () => {
  beforeEach(() => resetStore());

  it("projects tasks and skips events already applied", () => {
    const ev = (seq: number, t: Task): Event => ({ seq, at: 0, type: "task_updated", task: t });
    applyEvent({ seq: 1, at: 0, type: "task_created", task: task("t1", "pending") });
    applyEvent(ev(2, task("t1", "active")));
    // A replayed older event must not move the task back.
    applyEvent(ev(1, task("t1", "pending")));
    expect(useStore.getState().tasks.t1.status).toBe("active");
    expect(useStore.getState().lastSeq).toBe(2);
  });

  it("adds messages only to Blackboards that were read", () => {
    applyEvent({ seq: 1, at: 0, type: "message_added", message: msg("m1") });
    expect(useStore.getState().boards.default).toBeUndefined();
    useStore.setState({ boards: { default: { messages: [msg("m1")], hasMore: false } } });
    applyEvent({ seq: 2, at: 0, type: "message_added", message: msg("m2") });
    expect(useStore.getState().boards.default.messages.map((m) => m.id)).toEqual(["m1", "m2"]);
  });

  it("notifies a live task completion but not a replayed one", () => {
    useStore.setState({ liveFrom: 2 });
    applyEvent({ seq: 1, at: 0, type: "task_updated", task: task("t1", "done"), from: "finalizing" });
    expect(useStore.getState().toasts).toHaveLength(0);
    applyEvent({ seq: 3, at: 0, type: "task_updated", task: task("t2", "failed"), from: "active" });
    expect(useStore.getState().toasts.map((t) => t.kind)).toEqual(["failed"]);
  });
});
