import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../i18n";
import { resetStore, useStore } from "../lib/store";
import { makeAgent, makeRun } from "../testing/tasks";
import { ToolRunCard } from "./ToolRunCard";

const call = vi.fn();
vi.mock("../lib/sync", () => ({ api: () => ({ call }), report: vi.fn() }));

describe("ToolRunCard", () => {
  beforeEach(() => {
    resetStore();
    setLang("en");
    call.mockReset();
    useStore.setState({ agents: { tester: makeAgent("tester", "Tester") } });
  });

  it("shows the command prominently, the risk in words and colour, the reasons and the user's decision", () => {
    const run = makeRun("r1", {
      args: { command: "rm -rf build && ls", timeout_secs: 30 },
      risk: "high",
      reasons: [
        { command: "rm -rf build", risk: "high", reason: "rm with -r and -f deletes recursively" },
        { command: "ls", risk: "low", reason: "ls only reads" },
      ],
      decision: { kind: "allow_once", by: "user", at: 1_700_000_000_000, reason: "it is a build dir" },
      duration_ms: 1500,
    });
    render(<ToolRunCard run={run} />);
    const card = screen.getByRole("article", { name: "Tool call run_command" });
    expect(within(card).getByText("rm -rf build && ls").tagName).toBe("PRE");
    expect(within(card).getByText('{"timeout_secs":30}')).toBeTruthy();
    const badge = within(card).getByText("High risk");
    expect(badge.closest("[data-risk]")?.getAttribute("data-risk")).toBe("high");
    expect(badge.closest("[data-risk]")?.className).toContain("red");
    expect(within(card).getByText("rm with -r and -f deletes recursively")).toBeTruthy();
    expect(within(card).getByText("Allowed once by you")).toBeTruthy();
    expect(within(card).getByText(/Reason: it is a build dir/)).toBeTruthy();
    expect(within(card).getByText("Succeeded")).toBeTruthy();
    expect(within(card).getByText("1.5 s")).toBeTruthy();
    expect(within(card).getByText("by Tester")).toBeTruthy();
  });

  it("shows a denial with its reason, and medium risk in amber", () => {
    render(<ToolRunCard run={makeRun("r2", { status: "denied", risk: "medium", decision: { kind: "deny", by: "user", at: 0, reason: "not now" } })} />);
    expect(screen.getByText("Denied by you")).toBeTruthy();
    expect(screen.getByText(/Reason: not now/)).toBeTruthy();
    expect(screen.getByText("Medium risk").closest("[data-risk]")?.className).toContain("amber");
    expect(screen.getByText("Denied")).toBeTruthy();
  });

  it("strips ANSI from the output and pages the whole output in a dialog when it was cut", async () => {
    const run = makeRun("r3", { output: "\u001b[31mred\u001b[0m text\n", output_bytes: 600_000 });
    call.mockImplementation((_m: string, p: { offset: number }) =>
      Promise.resolve({ data: p.offset === 0 ? "first page" : "second page", offset: p.offset, total: 600_000 }),
    );
    render(<ToolRunCard run={run} />);
    expect(screen.getByText("red text")).toBeTruthy();
    const open = screen.getByRole("button", { name: /Open full output/ });
    fireEvent.click(open);
    const dialog = await screen.findByRole("dialog", { name: "Full output of run_command" });
    await within(dialog).findByText("first page");
    expect(call).toHaveBeenCalledWith("toolrun.output", { id: "r3", offset: 0, limit: 256 * 1024 });
    fireEvent.click(within(dialog).getByRole("button", { name: "Next page" }));
    await within(dialog).findByText("second page");
    expect(call).toHaveBeenLastCalledWith("toolrun.output", { id: "r3", offset: 10, limit: 256 * 1024 });
    fireEvent.click(within(dialog).getByRole("button", { name: "Previous page" }));
    await within(dialog).findByText("first page");
    fireEvent.keyDown(dialog, { key: "Escape" });
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("offers no full output when the run's output is whole", () => {
    render(<ToolRunCard run={makeRun("r4", { output: "all of it" })} />);
    expect(screen.queryByRole("button", { name: /Open full output/ })).toBeNull();
  });

  it("shows write_file as a diff against the previous content when known", () => {
    const run = makeRun("r5", { tool: "write_file", args: { path: "a.py", content: "x = 1\ny = 3\n" } });
    render(<ToolRunCard run={run} previous={"x = 1\ny = 2\n"} />);
    const table = screen.getByRole("table", { name: "Changes to a.py" });
    expect(table.querySelectorAll('[data-kind="add"]')).toHaveLength(1);
    expect(table.querySelectorAll('[data-kind="del"]')).toHaveLength(1);
    expect(screen.getByText(/compared with the previous write/)).toBeTruthy();
  });
});
