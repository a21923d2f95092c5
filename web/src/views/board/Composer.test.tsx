import { act, fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { resetStore, useStore } from "../../lib/store";
import { Composer } from "./Composer";
import { useDrafts } from "./drafts";
import { agent, msg } from "./fixtures";
import { applyCompletion, complete, queryAt } from "./completions";

const call = vi.fn();
vi.mock("../../lib/sync", () => ({ api: () => ({ call }), report: vi.fn() }));

function setup(archived = false) {
  render(<Composer session="default" title="Main" archived={archived} />);
  return screen.getByRole("combobox", { name: "Message" }) as HTMLTextAreaElement;
}

function type(box: HTMLTextAreaElement, value: string) {
  fireEvent.change(box, { target: { value, selectionStart: value.length, selectionEnd: value.length } });
}

beforeEach(() => {
  resetStore();
  useDrafts.setState({}, true);
  call.mockReset();
  useStore.setState({
    connection: "open",
    liveFrom: 1,
    commands: {},
    agents: {
      manager: agent("manager", "Manager", "manager"),
      coder: agent("coder", "Coder"),
      tester: agent("tester", "Tester"),
      reviewer: agent("reviewer", "Reviewer"),
    },
    boards: { default: { messages: [], hasMore: false } },
  });
});

describe("completion helpers", () => {
  it("finds the token at the caret", () => {
    expect(queryAt("/ta", 3)).toEqual({ kind: "command", start: 0, end: 3, text: "ta" });
    expect(queryAt("hi /ta", 6)).toBeNull();
    expect(queryAt("ask @Co please", 7)).toEqual({ kind: "mention", start: 4, end: 7, text: "Co" });
    expect(queryAt("mail a@b", 8)).toBeNull();
  });

  it("replaces the token and puts the caret after it", () => {
    const q = queryAt("ask @co now", 7)!;
    const [c] = complete(q, [], [agent("coder", "Coder")]);
    expect(applyCompletion("ask @co now", q, c)).toEqual({ value: "ask @Coder now", caret: 11 });
  });
});

describe("Composer", () => {
  it("completes a command with the keyboard: ArrowDown, Enter, Escape", () => {
    useStore.setState({
      commands: { tidy: { id: "tidy", title: "Tidy the repo", action: { kind: "prompt", template: "Please tidy {{input}}" } } },
    });
    const box = setup();
    type(box, "/");
    expect(box.getAttribute("aria-expanded")).toBe("true");
    const options = screen.getAllByRole("option");
    expect(options.map((o) => o.textContent)).toEqual([
      expect.stringContaining("/task"),
      expect.stringContaining("/tidy"),
    ]);
    expect(box.getAttribute("aria-activedescendant")).toBe(options[0].id);
    expect(options[0].getAttribute("aria-selected")).toBe("true");

    fireEvent.keyDown(box, { key: "ArrowDown" });
    expect(box.getAttribute("aria-activedescendant")).toBe(screen.getAllByRole("option")[1].id);
    fireEvent.keyDown(box, { key: "ArrowDown" }); // wraps around
    expect(box.getAttribute("aria-activedescendant")).toBe(screen.getAllByRole("option")[0].id);
    fireEvent.keyDown(box, { key: "Enter" });
    expect(box.value).toBe("/task ");
    expect(call).not.toHaveBeenCalled();
    expect(screen.queryByRole("listbox")).toBeNull();

    type(box, "/t");
    expect(screen.getAllByRole("option")).toHaveLength(2);
    fireEvent.keyDown(box, { key: "Escape" });
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(box.getAttribute("aria-expanded")).toBe("false");
    expect(box.value).toBe("/t");
  });

  it("completes @mentions from the team with Tab, prefix matches first", () => {
    const box = setup();
    type(box, "thanks @te");
    const options = screen.getAllByRole("option");
    expect(options[0].textContent).toContain("@Tester");
    fireEvent.keyDown(box, { key: "Tab" });
    expect(box.value).toBe("thanks @Tester ");
  });

  it("sends on Enter, not on Shift+Enter, and shows the posted message at once", async () => {
    const posted = msg(1, { text: "hello team" });
    call.mockResolvedValue({ message: posted });
    const box = setup();
    type(box, "hello team");
    fireEvent.keyDown(box, { key: "Enter", shiftKey: true });
    expect(call).not.toHaveBeenCalled();
    await act(async () => {
      fireEvent.keyDown(box, { key: "Enter" });
    });
    expect(call).toHaveBeenCalledWith("blackboard.post", { session: "default", text: "hello team" });
    expect(box.value).toBe("");
    expect(useStore.getState().boards.default.messages).toEqual([posted]);
  });

  it("takes the next message while one is on its way, and posts them in order", async () => {
    let release = () => {};
    call.mockImplementationOnce(
      (_m: string, p: { text: string }) => new Promise((ok) => (release = () => ok({ message: msg(1, { text: p.text }) }))),
    );
    call.mockImplementationOnce(async (_m: string, p: { text: string }) => ({ message: msg(2, { text: p.text }) }));
    const box = setup();
    type(box, "one");
    fireEvent.keyDown(box, { key: "Enter" });
    expect(box.value).toBe("");
    type(box, "two");
    fireEvent.keyDown(box, { key: "Enter" });
    await act(async () => {});
    expect(call).toHaveBeenCalledTimes(1); // the second waits for the first
    await act(async () => release());
    expect(call.mock.calls.map((c) => (c[1] as { text: string }).text)).toEqual(["one", "two"]);
    expect(useStore.getState().boards.default.messages.map((m) => m.text)).toEqual(["one", "two"]);
  });

  it("runs a user's prompt command through command.execute", async () => {
    useStore.setState({
      commands: { tidy: { id: "tidy", title: "Tidy", action: { kind: "prompt", template: "Please tidy {{input}}" } } },
    });
    call.mockResolvedValue({ result: {} });
    const box = setup();
    type(box, "/tidy the docs");
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Send" }));
    });
    expect(call).toHaveBeenCalledWith("command.execute", { id: "tidy", args: { input: "the docs", session: "default" } });
  });

  it("keeps the text and says why when the server refuses", async () => {
    call.mockRejectedValue(new Error("`/task` needs a title"));
    const box = setup();
    type(box, "/task");
    fireEvent.keyDown(box, { key: "Escape" });
    await act(async () => {
      fireEvent.keyDown(box, { key: "Enter" });
    });
    expect(screen.getByRole("alert").textContent).toContain("needs a title");
    expect(box.value).toBe("/task");
  });

  it("is disabled with a notice in an archived session", () => {
    const box = setup(true);
    expect(box.disabled).toBe(true);
    expect(screen.getByRole("note").textContent).toMatch(/archived/i);
    expect((screen.getByRole("button", { name: "Send" }) as HTMLButtonElement).disabled).toBe(true);
  });
});
