import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../../i18n";
import type { TaskRecordResult } from "../../protocol.gen";
import { applyDelta, applyEvent, resetStore, useStore } from "../../lib/store";
import { makeAgent, makeRun, makeTask } from "../../testing/tasks";
import { TaskDrawer } from "./TaskDrawer";

const call = vi.fn();
vi.mock("../../lib/sync", () => ({ api: () => ({ call }), report: vi.fn() }));

const record: TaskRecordResult = {
  steps: [
    { agent_id: "tester", task_id: "t1", index: 0, at: 0, kind: "instruction", text: "Clean the build directory" },
    {
      agent_id: "tester",
      task_id: "t1",
      index: 1,
      at: 1,
      kind: "assistant",
      text: "Removing the old build output.",
      reasoning: "The tests need a fresh start.",
      tool_calls: [{ id: "call-r1", name: "run_command", arguments: { command: "rm -rf build" } }],
    },
    { agent_id: "tester", task_id: "t1", index: 2, at: 2, kind: "tool_result", call_id: "call-r1", tool: "run_command", output: "exit code 0", is_error: false },
    { agent_id: "tester", task_id: "t1", index: 3, at: 3, kind: "note", text: "context compacted" },
  ],
  tool_runs: [
    makeRun("r1", { args: { command: "rm -rf build" }, risk: "high", output: "exit code 0", decision: { kind: "allow_once", by: "user", at: 1 } }),
  ],
  assists: [
    { id: "a1", task_id: "t1", requester: "tester", helper: "coder", question: "Where is the build dir?", status: "done", summary: "It is `build/`.", created_at: 0 },
  ],
  assist_steps: [{ agent_id: "coder", task_id: "t1", assist_id: "a1", index: 0, at: 0, kind: "assistant", text: "Looking at the tree.", tool_calls: [] }],
};

function setup(status: "active" | "failed" | "done" = "active") {
  useStore.setState({
    connection: "open",
    agents: { tester: makeAgent("tester", "Tester"), coder: makeAgent("coder", "Coder"), reviewer: makeAgent("reviewer", "Reviewer") },
    sessions: { default: { id: "default", title: "Main", archived: false, created_at: 0, updated_at: 0 } },
    tasks: {
      t1: makeTask("t1", {
        title: "Clean the build directory",
        description: "Remove **build/** first.",
        status,
        status_reason: status === "failed" ? "the worker gave up" : null,
        assignee: "tester",
        attempts: 2,
        usage: { input_tokens: 1000, output_tokens: 234, cost_usd: 0.0123 },
        report: status === "done" ? "Removed `build/`." : null,
        scores: [
          { agent: "tester", name: "Tester", scene: 1, tags: 0, load: 1, success: 0.5, total: 0.625 },
          { agent: "coder", name: "Coder", scene: 0, tags: 1, load: 0.5, success: 0.5, total: 0.475 },
          { agent: "manager", name: "Manager", scene: 0, tags: 0, load: 1, success: 0.5, total: 0, excluded: "a Manager" },
        ],
      }),
    },
  });
  call.mockImplementation((method: string) => {
    if (method === "task.record") return Promise.resolve(record);
    if (method === "task.get") return Promise.resolve({ task: useStore.getState().tasks.t1, history: [{ seq: 5, at: 0, from: "pending", to: "active", reason: "assigned to Tester" }] });
    return Promise.resolve(useStore.getState().tasks.t1);
  });
  const onClose = vi.fn();
  render(<TaskDrawer id="t1" onClose={onClose} />);
  return onClose;
}

const drawer = () => screen.getByRole("dialog", { name: "Clean the build directory" });

describe("TaskDrawer", () => {
  beforeEach(() => {
    resetStore();
    setLang("en");
    call.mockReset();
  });

  it("shows the task's facts, its description and history with tool runs and thinking", async () => {
    setup();
    const d = drawer();
    expect(within(d).getByText("Active")).toBeTruthy();
    expect(within(d).getByText("Tester")).toBeTruthy();
    expect(within(d).getByText("Main")).toBeTruthy();
    expect(within(d).getByText("1,234")).toBeTruthy();
    expect(within(d).getByText("$0.0123")).toBeTruthy();
    expect(within(d).getByText("build/").tagName).toBe("STRONG");
    await within(d).findByText("Removing the old build output.");
    expect(call).toHaveBeenCalledWith("task.record", { id: "t1" });
    expect(within(d).getByText("Thinking").closest("details")?.open).toBe(false);
    expect(within(d).getByText("The tests need a fresh start.")).toBeTruthy();
    // The tool call shows as its run's card; its result is not repeated.
    const card = within(d).getByRole("article", { name: "Tool call run_command" });
    expect(within(card).getByText("Allowed once by you")).toBeTruthy();
    expect(within(d).getAllByText("exit code 0")).toHaveLength(1);
    expect(within(d).getByText(/context compacted/)).toBeTruthy();
  });

  it("keeps the history live: new steps and the streaming reply", async () => {
    setup();
    await within(drawer()).findByText("Removing the old build output.");
    act(() => applyDelta({ agent_id: "tester", task_id: "t1", kind: "text", text: "Checking what is left" }));
    expect(within(drawer()).getByTestId("streaming").textContent).toContain("Checking what is left");
    act(() =>
      applyEvent({
        seq: 1,
        at: 0,
        type: "step_added",
        step: { agent_id: "tester", task_id: "t1", index: 4, at: 4, kind: "assistant", text: "Checking what is left.", tool_calls: [] },
      }),
    );
    expect(within(drawer()).queryByTestId("streaming")).toBeNull();
    expect(within(drawer()).getByText("Checking what is left.")).toBeTruthy();
  });

  it("shows the Scheduler's breakdown with the chosen agent highlighted and exclusions", async () => {
    setup();
    fireEvent.click(within(drawer()).getByRole("tab", { name: "Scheduler" }));
    const table = within(drawer()).getByRole("table", { name: "The Scheduler's score breakdown" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.getAttribute("data-chosen"))).toEqual(["true", null, null]);
    expect(within(rows[0]).getByText("Chosen")).toBeTruthy();
    expect(within(rows[0]).getByText("0.63")).toBeTruthy();
    expect(within(rows[2]).getByText("Passed over: a Manager")).toBeTruthy();
    expect(within(table).getByText("×0.35")).toBeTruthy();
  });

  it("lists assists with the helper's answer and steps", async () => {
    setup();
    const tab = await within(drawer()).findByRole("tab", { name: /Assists/ });
    fireEvent.click(tab);
    const a = within(drawer()).getByRole("article", { name: "Assist: Where is the build dir?" });
    expect(within(a).getByText("Answered")).toBeTruthy();
    expect(within(a).getByText("build/")).toBeTruthy();
    expect(within(a).getByText("Looking at the tree.")).toBeTruthy();
  });

  it("enables Cancel only where it applies, and Retry only for failed or blocked tasks", async () => {
    setup("active");
    expect((within(drawer()).getByRole("button", { name: "Retry" }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(drawer()).getByRole("button", { name: "Cancel task" }));
    fireEvent.change(within(drawer()).getByLabelText("Reason (optional)"), { target: { value: "not needed" } });
    fireEvent.click(within(drawer()).getByRole("button", { name: "Cancel the task" }));
    await waitFor(() => expect(call).toHaveBeenCalledWith("task.cancel", { id: "t1", reason: "not needed" }));
  });

  it("retries a failed task and shows the server's refusal inline", async () => {
    setup("failed");
    expect(within(drawer()).getByTestId("status-reason").textContent).toBe("the worker gave up");
    const cancel = within(drawer()).getByRole("button", { name: "Cancel task" }) as HTMLButtonElement;
    expect(cancel.disabled).toBe(true);
    call.mockImplementation((m: string) => (m === "task.retry" ? Promise.reject(new Error("invalid transition")) : Promise.resolve(record)));
    fireEvent.click(within(drawer()).getByRole("button", { name: "Retry" }));
    expect((await within(drawer()).findByRole("alert")).textContent).toBe("invalid transition");
    expect(call).toHaveBeenCalledWith("task.retry", { id: "t1" });
  });

  it("shows the report once done, and closes with Escape or the Close button", () => {
    const onClose = setup("done");
    expect(within(drawer()).getByRole("region", { name: "Report" }).textContent).toContain("build/");
    fireEvent.keyDown(drawer(), { key: "Escape" });
    fireEvent.click(within(drawer()).getByRole("button", { name: "Close" }));
    expect(onClose).toHaveBeenCalledTimes(2);
  });

  it("lists the context the task used, live, and opens files at their lines and earlier tasks", () => {
    setup();
    expect(within(drawer()).queryByRole("region", { name: "Context used" })).toBeNull();
    act(() =>
      useStore.setState((s) => ({
        tasks: {
          ...s.tasks,
          t0: makeTask("t0", { title: "Set up the build" }),
          t1: {
            ...s.tasks.t1,
            context_refs: [
              { path: "src/build.rs", start_line: 4, end_line: 9, reason: "defines `clean`" },
              { path: "Makefile" },
              { path: "task:t0", reason: "earlier task about the build" },
              { path: "message:m42", reason: "the user asked for it" },
            ],
          },
        },
      })),
    );
    const refs = within(drawer()).getByRole("region", { name: "Context used" });
    expect(within(refs).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "src/build.rs:4–9 — defines `clean`",
      "Makefile",
      "Task Set up the build — earlier task about the build",
      "Message m42 — the user asked for it",
    ]);
    fireEvent.click(within(refs).getByRole("button", { name: "src/build.rs:4–9" }));
    expect(location.pathname + location.hash).toBe("/files/src/build.rs#L4-L9");
    fireEvent.click(within(refs).getByRole("button", { name: "Set up the build" }));
    expect(location.pathname).toBe("/tasks/t0");
  });
});
