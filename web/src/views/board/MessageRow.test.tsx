import { act, render, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { setLang } from "../../i18n";
import { resetStore, useStore } from "../../lib/store";
import { agent, msg, task } from "./fixtures";
import { GROUP_MS, startsDay, startsGroup } from "./grouping";
import { MessageRow } from "./MessageRow";
import { TaskCard } from "./TaskCard";

beforeEach(() => {
  resetStore();
  useStore.setState({
    me: { id: "u1", name: "alice", is_admin: false },
    agents: { manager: agent("manager", "Manager", "manager"), coder: agent("coder", "Coder") },
  });
});

describe("grouping", () => {
  const manager = { kind: "agent", name: "Manager" } as const;
  it("groups consecutive messages of one author within a few minutes", () => {
    const a = msg(1, { author: manager });
    expect(startsGroup(undefined, a)).toBe(true);
    expect(startsGroup(a, msg(2, { author: manager }))).toBe(false);
    expect(startsGroup(a, msg(2, { author: { kind: "agent", name: "Coder" } }))).toBe(true);
    expect(startsGroup(a, msg(2))).toBe(true);
    expect(startsGroup(a, msg(2, { author: manager, created_at: a.created_at + GROUP_MS + 1 }))).toBe(true);
    // System broadcasts never join a group, nor let the next message join theirs.
    const sys = msg(2, { author: { kind: "system" } });
    expect(startsGroup(a, sys)).toBe(true);
    expect(startsGroup(sys, msg(3, { author: manager }))).toBe(true);
  });

  it("starts a day at midnight", () => {
    const a = msg(1, { created_at: new Date(2026, 0, 5, 23, 59).getTime() });
    expect(startsDay(a, msg(2, { created_at: new Date(2026, 0, 6, 0, 1).getTime() }))).toBe(true);
    expect(startsDay(a, msg(2, { created_at: new Date(2026, 0, 5, 23, 59, 30).getTime() }))).toBe(false);
  });
});

describe("MessageRow", () => {
  it("shows the author line on the first message of a group only", () => {
    const m1 = msg(1, { author: { kind: "agent", name: "Manager" }, text: "I'll **split** it" });
    const m2 = msg(2, { author: { kind: "agent", name: "Manager" }, text: "done" });
    render(
      <>
        <MessageRow message={m1} first newDay={false} />
        <MessageRow message={m2} first={false} newDay={false} />
      </>,
    );
    const [a, b] = screen.getAllByRole("article");
    expect(within(a).getByTestId("author").textContent).toBe("Manager");
    expect(within(a).getByText("Manager", { selector: "span.uppercase" })).toBeTruthy(); // its role
    expect(a.querySelector("strong")?.textContent).toBe("split"); // Markdown
    expect(within(b).queryByTestId("author")).toBeNull();
    expect(b.textContent).toContain("done");
    // Each shows its time, with the full date as a tooltip.
    expect(b.querySelector("time")?.getAttribute("title")).toMatch(/2026/);
  });

  it("names the user's own messages after them", () => {
    render(<MessageRow message={msg(1)} first newDay={false} />);
    expect(screen.getByTestId("author").textContent).toBe("alice");
  });

  it("renders system broadcasts small and centred, without an author, details apart", () => {
    const m = msg(1, { author: { kind: "system" }, text: "Done: **Parser** (Coder)\n\nAdded `src/parser.rs`." });
    render(<MessageRow message={m} first newDay />);
    const row = screen.getByRole("article");
    expect(row.getAttribute("data-author")).toBe("system");
    expect(screen.queryByTestId("author")).toBeNull();
    expect(row.querySelector(".text-center")?.textContent).toContain("Done: Parser (Coder)");
    expect(row.querySelector(".text-center")?.className).toContain("text-xs");
    expect(row.querySelector("code")?.textContent).toBe("src/parser.rs");
    expect(screen.getByRole("separator").getAttribute("aria-label")).toBeTruthy(); // the day divider
  });

  it("shows a broadcast in the reader's language from its notice", () => {
    const m = msg(1, {
      author: { kind: "system" },
      text: "Done: **Parser** (Coder)\n\nAdded `src/parser.rs`.",
      notice: { kind: "done", title: "Parser", agent: "Coder", report: "Added `src/parser.rs`." },
    });
    act(() => setLang("zh"));
    render(<MessageRow message={m} first newDay={false} />);
    const row = screen.getByRole("article");
    expect(row.querySelector(".text-center")?.textContent).toContain("已完成：Parser（Coder）");
    expect(row.querySelector("code")?.textContent).toBe("src/parser.rs");
    act(() => setLang("en"));
    expect(row.querySelector(".text-center")?.textContent).toContain("Done: Parser (Coder)");
  });
});

describe("TaskCard", () => {
  it("follows the task in the store as it moves", () => {
    useStore.setState({ tasks: { t1: task("t1", { title: "Implement greeting module", priority: 4 }) } });
    const m = msg(1, { author: { kind: "system" }, text: "Task created: **Implement greeting module**", task_id: "t1" });
    render(<MessageRow message={m} first newDay={false} />);
    const card = screen.getByRole("link", { name: /Implement greeting module/ });
    expect(card.getAttribute("href")).toBe("/tasks/t1");
    expect(card.querySelector("[data-status]")?.textContent).toBe("Pending");
    expect(within(card).getByTestId("task-assignee").textContent).toBe("Unassigned");
    expect(card.textContent).toContain("P4");

    act(() =>
      useStore.setState((s) => ({ tasks: { ...s.tasks, t1: { ...s.tasks.t1, status: "active", assignee: "coder" } } })),
    );
    expect(card.querySelector("[data-status]")?.getAttribute("data-status")).toBe("active");
    expect(card.querySelector("[data-status]")?.textContent).toBe("Active");
    expect(within(card).getByTestId("task-assignee").textContent).toBe("Assignee: Coder");

    act(() =>
      useStore.setState((s) => ({
        tasks: { ...s.tasks, t1: { ...s.tasks.t1, status: "needs_confirm", status_reason: "waiting for your decision" } },
      })),
    );
    expect(card.querySelector("[data-status]")?.textContent).toBe("Needs confirmation");
    expect(card.textContent).toContain("waiting for your decision");
  });

  it("opens the task in the app on a click", () => {
    useStore.setState({ tasks: { t9: task("t9") } });
    render(<TaskCard taskId="t9" />);
    act(() => screen.getByRole("link").click());
    expect(location.pathname).toBe("/tasks/t9");
  });

  it("keeps a user's `/task` as written: the task's announcement carries the card", () => {
    useStore.setState({ tasks: { t2: task("t2", { title: "write the parser" }) } });
    render(
      <>
        <MessageRow message={msg(1, { text: "/task write the parser", task_id: "t2" })} first newDay={false} />
        <MessageRow
          message={msg(2, { author: { kind: "system" }, text: "Task created: **write the parser**", task_id: "t2" })}
          first
          newDay={false}
        />
      </>,
    );
    expect(screen.getByText("/task write the parser")).toBeTruthy();
    expect(screen.getAllByRole("link", { name: /write the parser/ })).toHaveLength(1);
    expect(screen.getAllByRole("article")[1].querySelector("a[data-task-id=t2]")).toBeTruthy();
  });
});
