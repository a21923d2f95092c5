import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Message } from "../../protocol.gen";
import { applyDelta, resetStore, useStore } from "../../lib/store";
import { requestJump } from "./drafts";
import { agent, msg } from "./fixtures";
import { countAfter, MessageList } from "./MessageList";

// jsdom has no layout: the list's viewport is 600 px high and every row 40 px.
const VIEWPORT = 600;
const saved: [string, PropertyDescriptor | undefined][] = [];
function stub(name: string, get: (this: HTMLElement) => number) {
  saved.push([name, Object.getOwnPropertyDescriptor(HTMLElement.prototype, name)]);
  Object.defineProperty(HTMLElement.prototype, name, { configurable: true, get });
}
beforeAll(() => {
  stub("clientHeight", function () {
    return this.getAttribute("role") === "feed" ? VIEWPORT : 0;
  });
  stub("scrollHeight", function () {
    if (this.getAttribute("role") !== "feed") return 0;
    // The list's head (56 px) and the rows' container.
    return 56 + parseFloat((this.querySelector("[style*='relative']") as HTMLElement | null)?.style.height ?? "0");
  });
  stub("offsetHeight", function () {
    return this.dataset.index !== undefined ? 40 : 0;
  });
  Element.prototype.scrollTo = function (this: Element, opts?: ScrollToOptions | number) {
    if (typeof opts === "object" && opts.top !== undefined) this.scrollTop = opts.top;
    this.dispatchEvent(new Event("scroll"));
  } as Element["scrollTo"];
});
afterAll(() => {
  for (const [name, d] of saved) if (d) Object.defineProperty(HTMLElement.prototype, name, d);
});

const many = (n: number): Message[] => Array.from({ length: n }, (_, i) => msg(i + 1));

beforeEach(() => {
  resetStore();
  useStore.setState({
    me: { id: "u1", name: "alice", is_admin: false },
    agents: { manager: agent("manager", "Manager", "manager") },
  });
});

function list(messages: Message[]) {
  return <MessageList session="default" title="Main" messages={messages} hasMore={false} older={false} />;
}

describe("MessageList", () => {
  it("counts the messages after the last one seen", () => {
    const ms = many(10);
    expect(countAfter(ms, ms[6].id)).toBe(3);
    expect(countAfter(ms, ms[9].id)).toBe(0);
    expect(countAfter(ms, null)).toBe(0);
  });

  it("renders only the rows near the viewport of a long history, starting at the latest", () => {
    render(list(many(5000)));
    const rows = screen.getAllByRole("article");
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(40);
    expect(rows[rows.length - 1].textContent).toContain("message 5000");
  });

  it("offers to jump to the latest with a count of new messages when the reader scrolled up", async () => {
    const ms = many(200);
    const { rerender } = render(list(ms));
    expect(screen.queryByRole("button", { name: /Jump to latest/ })).toBeNull();
    const feed = screen.getByRole("feed", { name: "Messages" });
    act(() => {
      feed.scrollTop = 2000;
      fireEvent.scroll(feed);
    });
    expect(screen.getByRole("button", { name: /Jump to latest/ })).toBeTruthy();
    const manager = { kind: "agent", name: "Manager" } as const;
    const more = [...ms, msg(201, { author: manager }), msg(202, { author: manager })];
    rerender(list(more));
    expect(screen.getByTestId("jump-count").textContent).toBe("2 new");
    expect(feed.scrollTop).toBe(2000); // not pulled away from what they read
    act(() => screen.getByRole("button", { name: /Jump to latest/ }).click());
    expect(screen.queryByRole("button", { name: /Jump to latest/ })).toBeNull();
    expect(feed.scrollTop).toBeGreaterThan(202 * 40 - VIEWPORT - 100);
  });

  it("brings the list down to a message the user sent, wherever they were reading", () => {
    const ms = many(200);
    const { rerender } = render(list(ms));
    const feed = screen.getByRole("feed", { name: "Messages" });
    act(() => {
      feed.scrollTop = 1000;
      fireEvent.scroll(feed);
    });
    expect(screen.getByRole("button", { name: /Jump to latest/ })).toBeTruthy();
    act(() => requestJump("default")); // what the composer does on sending
    rerender(list([...ms, msg(201, { text: "my own" })]));
    expect(screen.queryByRole("button", { name: /Jump to latest/ })).toBeNull();
    expect(feed.scrollTop).toBeGreaterThan(201 * 40 - VIEWPORT - 100);
    expect(screen.getByText("my own")).toBeTruthy();
  });

  it("shows the Manager's reply while it streams, and only the typing row updates", () => {
    const ms = many(3);
    useStore.setState({ boards: { default: { messages: ms, hasMore: false } } });
    render(list(ms));
    expect(screen.queryByTestId("typing")).toBeNull();
    act(() => applyDelta({ agent_id: "manager", session_id: "default", kind: "text", text: "I'll split " }));
    expect(screen.getByTestId("typing").textContent).toContain("I'll split");
    const before = screen.getAllByRole("article").map((a) => a.firstElementChild);
    act(() => applyDelta({ agent_id: "manager", session_id: "default", kind: "text", text: "this into **two** tasks." }));
    expect(screen.getByTestId("typing").querySelector("strong")?.textContent).toBe("two");
    // The message rows were not re-created.
    expect(screen.getAllByRole("article").map((a) => a.firstElementChild)).toEqual(before);
    // A reply tied to a task belongs to that task, not the board.
    act(() => applyDelta({ agent_id: "coder", task_id: "t1", kind: "text", text: "working" }));
    expect(screen.getAllByTestId("typing")).toHaveLength(1);
  });

  it("leaves streams of other boards and of 1:1 chats out", () => {
    const ms = many(3);
    useStore.setState({ boards: { default: { messages: ms, hasMore: false } } });
    render(list(ms));
    act(() => applyDelta({ agent_id: "manager", session_id: "other", kind: "text", text: "for another board" }));
    act(() => applyDelta({ agent_id: "reviewer", kind: "text", text: "Hello! I can read your workspace" }));
    expect(screen.queryByTestId("typing")).toBeNull();
  });
});
