import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../i18n";
import { applyEvent, resetStore, useStore } from "../lib/store";
import { makeAgent, makeTask } from "../testing/tasks";
import { TaskBoard } from "./TaskBoard";
import { setTaskFilters } from "./tasks/filters";

vi.mock("../lib/sync", () => ({ api: () => ({ call: vi.fn(() => new Promise(() => {})) }), report: vi.fn() }));

const STATES = ["Pending", "Active", "Needs confirmation", "Finalizing", "Done", "Blocked", "Reassigning", "Failed"];

function seed() {
  useStore.setState({
    connection: "open",
    agents: { coder: makeAgent("coder", "Coder"), tester: makeAgent("tester", "Tester") },
    sessions: {
      default: { id: "default", title: "Main", archived: false, created_at: 0, updated_at: 0 },
      s2: { id: "s2", title: "Side", archived: false, created_at: 0, updated_at: 1 },
    },
    tasks: {
      t1: makeTask("t1", { title: "Write the parser", status: "active", assignee: "coder", priority: 5 }),
      t2: makeTask("t2", { title: "Test the parser", status: "needs_confirm", assignee: "tester", priority: 2, status_reason: "waiting for rm -rf build" }),
      t3: makeTask("t3", { title: "Old chore", status: "done", assignee: "coder", priority: 1, session_id: "s2" }),
      t4: makeTask("t4", { title: "Nobody's", status: "pending" }),
    },
  });
}

const column = (name: string) => screen.getByRole("region", { name });

describe("TaskBoard", () => {
  beforeEach(() => {
    resetStore();
    setLang("en");
    setTaskFilters({ agent: "", priority: "", session: "" });
    seed();
  });

  it("has the eight state columns in lifecycle order, each with its count and cards", () => {
    render(<TaskBoard task={null} />);
    expect(screen.getAllByRole("region").map((r) => r.getAttribute("aria-label"))).toEqual(STATES);
    expect(within(column("Active")).getByRole("button", { name: "Write the parser" })).toBeTruthy();
    expect(within(column("Needs confirmation")).getByRole("button", { name: "Test the parser" })).toBeTruthy();
    expect(within(column("Done")).getByRole("button", { name: "Old chore" })).toBeTruthy();
    expect(within(column("Active")).getByText("1 tasks")).toBeTruthy();
    expect(within(column("Blocked")).getByText("0 tasks")).toBeTruthy();
    // The card says who, how urgent, how hard.
    const card = within(column("Active")).getByRole("button", { name: "Write the parser" });
    expect(card.textContent).toContain("Coder");
    expect(card.textContent).toContain("Priority 5");
    expect(card.textContent).toContain("Difficulty 3");
  });

  it("filters by agent, priority and session", () => {
    render(<TaskBoard task={null} />);
    fireEvent.change(screen.getByLabelText("Agent"), { target: { value: "coder" } });
    expect(screen.queryByRole("button", { name: "Test the parser" })).toBeNull();
    expect(screen.getByRole("button", { name: "Write the parser" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Old chore" })).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Priority"), { target: { value: "1" } });
    expect(screen.queryByRole("button", { name: "Write the parser" })).toBeNull();
    expect(screen.getByRole("button", { name: "Old chore" })).toBeTruthy();
    expect(screen.getByTestId("task-count").textContent).toBe("1 of 4 tasks");
    fireEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    fireEvent.change(screen.getByLabelText("Agent"), { target: { value: "none" } });
    expect(screen.getAllByRole("button", { name: /parser|chore|Nobody/ }).map((b) => b.getAttribute("data-task"))).toEqual(["t4"]);
    expect(within(column("Pending")).getByRole("button", { name: "Nobody's" }).textContent).toContain("Unassigned");
    fireEvent.change(screen.getByLabelText("Agent"), { target: { value: "" } });
    fireEvent.change(screen.getByLabelText("Session"), { target: { value: "s2" } });
    expect(screen.getAllByRole("button", { name: /parser|chore|Nobody/ }).map((b) => b.getAttribute("data-task"))).toEqual(["t3"]);
  });

  it("moves a card when a task_updated event arrives", () => {
    render(<TaskBoard task={null} />);
    const t2 = useStore.getState().tasks.t2;
    act(() => applyEvent({ seq: 1, at: 0, type: "task_updated", task: { ...t2, status: "active", status_reason: null }, from: "needs_confirm" }));
    expect(within(column("Active")).getByRole("button", { name: "Test the parser" })).toBeTruthy();
    expect(within(column("Needs confirmation")).queryByRole("button", { name: "Test the parser" })).toBeNull();
    // Highest priority first within a column.
    expect(within(column("Active")).getAllByRole("button").map((b) => b.getAttribute("data-task"))).toEqual(["t1", "t2"]);
  });

  it("names columns in Chinese", () => {
    setLang("zh");
    render(<TaskBoard task={null} />);
    expect(screen.getAllByRole("region").map((r) => r.getAttribute("aria-label"))).toEqual([
      "待处理",
      "进行中",
      "待确认",
      "收尾中",
      "已完成",
      "受阻",
      "重新分配中",
      "失败",
    ]);
  });
});
