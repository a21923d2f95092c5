import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../i18n";
import { RpcError } from "../lib/rpc";
import { applyDelta, applyEvent, resetStore, useStore } from "../lib/store";
import type { Step } from "../protocol.gen";
import { makeAgent, makeTask } from "../testing/tasks";
import { AgentWorkspace } from "./AgentWorkspace";

const call = vi.fn();
vi.mock("../lib/sync", () => ({ api: () => ({ call }), report: vi.fn() }));

function seed() {
  useStore.setState({
    connection: "open",
    agents: {
      manager: makeAgent("manager", "Manager", { role: "manager", description: "Splits requests." }),
      coder: makeAgent("coder", "Coder", { scenes: ["coding"], capabilities: ["rust", "python"], successes: 3, failures: 1 }),
      tester: makeAgent("tester", "Tester", { enabled: false }),
    },
    tasks: { t1: makeTask("t1", { title: "Write it", status: "active", assignee: "coder" }) },
  });
}

describe("AgentWorkspace", () => {
  beforeEach(() => {
    resetStore();
    setLang("en");
    call.mockReset();
    seed();
  });

  it("lists the team: Manager first, with role, tags, scenes, record and state", () => {
    render(<AgentWorkspace agent={null} />);
    const cards = screen.getAllByRole("article");
    expect(cards.map((c) => within(c).getByRole("heading", { level: 2 }).textContent)).toEqual(["Manager", "Coder", "Tester"]);
    const coder = screen.getByRole("article", { name: "Coder" });
    expect(within(coder).getByText("#rust")).toBeTruthy();
    expect(within(coder).getByText("coding")).toBeTruthy();
    expect(within(coder).getByText("3")).toBeTruthy();
    expect(within(coder).getByText("1 working")).toBeTruthy();
    expect(within(screen.getByRole("article", { name: "Tester" })).getByText("Disabled")).toBeTruthy();
    expect(within(coder).getByRole("button", { name: "Chat with Coder" })).toBeTruthy();
  });

  it("sends a message, streams the reply in one row, then shows the finished turn", async () => {
    let answer: (v: { reply: string }) => void = () => {};
    call.mockImplementation((m: string) =>
      m === "agent.history" ? Promise.resolve({ steps: [], has_more: false }) : new Promise((r) => (answer = r)),
    );
    render(<AgentWorkspace agent="coder" />);
    const box = screen.getByLabelText("Message to Coder");
    fireEvent.change(box, { target: { value: "hello" } });
    fireEvent.keyDown(box, { key: "Enter" });
    expect(call).toHaveBeenCalledWith("agent.chat", { agent: "coder", text: "hello" });
    expect((box as HTMLTextAreaElement).value).toBe("");
    expect(screen.getByTestId("streaming")).toBeTruthy();
    act(() => applyEvent({ seq: 1, at: 0, type: "step_added", step: { agent_id: "coder", index: 0, at: 0, kind: "instruction", text: "hello" } }));
    const log = screen.getByRole("log", { name: "Conversation with Coder" });
    expect(within(log).getByText("hello")).toBeTruthy();
    act(() => {
      applyDelta({ agent_id: "coder", kind: "reasoning", text: "A greeting." });
      applyDelta({ agent_id: "coder", kind: "text", text: "Hi " });
      applyDelta({ agent_id: "coder", kind: "text", text: "there!" });
    });
    const row = screen.getByTestId("streaming");
    expect(row.textContent).toContain("Hi there!");
    expect(within(row).getByText("Thinking")).toBeTruthy();
    // A delta for a task of the same agent does not show in the chat.
    act(() => applyDelta({ agent_id: "coder", task_id: "t1", kind: "restart", text: "" }));
    expect(screen.getByTestId("streaming").textContent).not.toContain("Hi there!");
    act(() =>
      applyEvent({
        seq: 2,
        at: 0,
        type: "step_added",
        step: { agent_id: "coder", index: 1, at: 0, kind: "assistant", text: "Hi there!", reasoning: "A greeting.", tool_calls: [] },
      }),
    );
    await act(async () => answer({ reply: "Hi there!" }));
    await waitFor(() => expect(screen.queryByTestId("streaming")).toBeNull());
    expect(within(log).getByText("Hi there!")).toBeTruthy();
    expect(within(log).getByText("Thinking")).toBeTruthy();
  });

  it("keeps the text and says why when the message could not be sent", async () => {
    call.mockImplementation((m: string) =>
      m === "agent.history" ? Promise.resolve({ steps: [], has_more: false }) : Promise.reject(new Error("no model configured")),
    );
    render(<AgentWorkspace agent="coder" />);
    const box = screen.getByLabelText("Message to Coder") as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: "hello" } });
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Not sent: no model configured");
    expect(box.value).toBe("hello");
  });

  it("shows earlier turns from agent.history, merged with live ones, and offers older ones", async () => {
    const earlier: Step[] = [
      { agent_id: "coder", index: 4, at: 0, kind: "instruction", text: "what is in src?" },
      { agent_id: "coder", index: 5, at: 0, kind: "assistant", text: "A parser and its tests.", tool_calls: [] },
    ];
    let resolve: (v: { steps: Step[]; has_more: boolean }) => void = () => {};
    call.mockImplementation(() => new Promise((r) => (resolve = r)));
    render(<AgentWorkspace agent="coder" />);
    expect(call).toHaveBeenCalledWith("agent.history", { agent: "coder", limit: 200 });
    // A step that arrives while the history is read is kept.
    act(() => applyEvent({ seq: 1, at: 0, type: "step_added", step: { agent_id: "coder", index: 6, at: 0, kind: "instruction", text: "and docs?" } }));
    await act(async () => resolve({ steps: earlier, has_more: true }));
    const log = screen.getByRole("log", { name: "Conversation with Coder" });
    expect(within(log).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      expect.stringContaining("what is in src?"),
      expect.stringContaining("A parser and its tests."),
      expect.stringContaining("and docs?"),
    ]);
    fireEvent.click(screen.getByRole("button", { name: "Show earlier messages" }));
    expect(call).toHaveBeenLastCalledWith("agent.history", { agent: "coder", limit: 2000 });
  });

  it("says so when the server cannot give earlier turns", async () => {
    call.mockRejectedValue(new RpcError(-32601, 'no method "agent.history"'));
    render(<AgentWorkspace agent="coder" />);
    expect(await screen.findByText(/Shows this visit's conversation only/)).toBeTruthy();
  });

  it("says when the agent does not exist", () => {
    render(<AgentWorkspace agent="nobody" />);
    expect(screen.getByText(/no such agent/)).toBeTruthy();
  });
});
