import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../i18n";
import { applyEvent, resetStore, useStore } from "../lib/store";
import { makeAgent, makeRun, makeTask } from "../testing/tasks";
import { ConfirmDialog } from "./ConfirmDialog";
import { PendingConfirmations } from "./PendingConfirmations";
import { reopenConfirm } from "./tools/confirmState";

const call = vi.fn();
vi.mock("../lib/sync", () => ({ api: () => ({ call }), report: vi.fn() }));

const high = makeRun("r1", {
  status: "awaiting_decision",
  args: { command: "rm -rf build" },
  risk: "high",
  reasons: [{ command: "rm -rf build", risk: "high", reason: "rm with -r and -f deletes recursively without asking" }],
  started_at: 100,
  task_id: "t1",
});
const medium = makeRun("r2", {
  status: "awaiting_decision",
  args: { command: "git push origin main" },
  risk: "medium",
  reasons: [{ command: "git push origin main", risk: "medium", reason: "git push changes a remote" }],
  started_at: 200,
  agent_id: "coder",
  task_id: null,
});

function setup(runs = [high]) {
  useStore.setState({
    agents: { tester: makeAgent("tester", "Tester"), coder: makeAgent("coder", "Coder") },
    tasks: { t1: makeTask("t1", { title: "Clean the build directory", status: "needs_confirm" }) },
    runs: Object.fromEntries(runs.map((r) => [r.id, r])),
  });
  return render(
    <>
      <button type="button">outside</button>
      <PendingConfirmations />
      <ConfirmDialog />
    </>,
  );
}

const dialog = () => screen.getByRole("dialog", { name: "Confirm tool call" });

describe("ConfirmDialog", () => {
  beforeEach(() => {
    resetStore();
    setLang("en");
    reopenConfirm();
    call.mockReset();
    call.mockResolvedValue({ run: high });
  });

  it("shows who wants to run what, the risk in words, and keeps focus inside", () => {
    setup();
    const d = dialog();
    expect(d.getAttribute("aria-modal")).toBe("true");
    expect(d.contains(document.activeElement)).toBe(true);
    expect(within(d).getByText("Tester wants to run this for “Clean the build directory”.")).toBeTruthy();
    expect(within(d).getByTestId("confirm-command").textContent).toBe("rm -rf build");
    expect(within(d).getByText("High risk").closest("[data-risk]")?.className).toContain("red");
    expect(within(d).getByText("rm with -r and -f deletes recursively without asking")).toBeTruthy();
    // Tab from the last control wraps to the first; Shift+Tab from the first to the last.
    const buttons = within(d).getAllByRole("button").filter((b) => !(b as HTMLButtonElement).disabled);
    const last = buttons[buttons.length - 1];
    last.focus();
    fireEvent.keyDown(last, { key: "Tab" });
    expect(d.contains(document.activeElement)).toBe(true);
    expect(document.activeElement).not.toBe(last);
  });

  it("disables Always allow for a High call and says why", () => {
    setup();
    const always = within(dialog()).getByRole("button", { name: "Always allow" }) as HTMLButtonElement;
    expect(always.disabled).toBe(true);
    expect(always.getAttribute("aria-describedby")).toBeTruthy();
    expect(document.getElementById(always.getAttribute("aria-describedby") ?? "")?.textContent).toBe(
      "High-risk calls always ask: no rule can allow them.",
    );
  });

  it("offers Always allow for a Medium call, naming the rule it adds", async () => {
    setup([medium]);
    const always = within(dialog()).getByRole("button", { name: "Always allow" }) as HTMLButtonElement;
    expect(always.disabled).toBe(false);
    expect(screen.getByText("Also allows from now on: git push origin main")).toBeTruthy();
    expect(within(dialog()).getByText("Coder wants to run this.")).toBeTruthy();
    fireEvent.click(always);
    await waitFor(() => expect(call).toHaveBeenCalledWith("toolrun.decide", { id: "r2", decision: "allow_always", reason: undefined }));
  });

  it("sends the reason with a denial, then waits for the run's event", async () => {
    setup();
    fireEvent.change(within(dialog()).getByLabelText(/Reason for denying/), { target: { value: "keep the build" } });
    fireEvent.click(within(dialog()).getByRole("button", { name: "Deny" }));
    await waitFor(() => expect(call).toHaveBeenCalledWith("toolrun.decide", { id: "r1", decision: "deny", reason: "keep the build" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    // The event that ends the wait.
    act(() => applyEvent({ seq: 1, at: 0, type: "tool_run_updated", run: { ...high, status: "denied" } }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.queryByRole("button", { name: /waiting for confirmation/ })).toBeNull();
  });

  it("shows an error from the server inside the dialog", async () => {
    call.mockRejectedValue(new Error("tool run already decided"));
    setup();
    fireEvent.click(within(dialog()).getByRole("button", { name: "Allow once" }));
    expect(await within(dialog()).findByRole("alert")).toHaveProperty("textContent", "tool run already decided");
  });

  it("hides on Escape without deciding, gives focus back, and the status bar reopens it", () => {
    setup([]);
    const outside = screen.getByRole("button", { name: "outside" });
    outside.focus();
    act(() => applyEvent({ seq: 1, at: 0, type: "tool_run_added", run: high }));
    expect(dialog().contains(document.activeElement)).toBe(true);
    fireEvent.keyDown(dialog(), { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(outside);
    expect(call).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: "1 waiting for confirmation" }));
    expect(dialog()).toBeTruthy();
  });

  it("takes the oldest first, says 1 of N, and reopens for a new waiting call", () => {
    setup([medium, high]);
    expect(within(dialog()).getByText("1 of 2")).toBeTruthy();
    expect(within(dialog()).getByTestId("confirm-command").textContent).toBe("rm -rf build");
    fireEvent.click(within(dialog()).getByRole("button", { name: "Next waiting call" }));
    expect(within(dialog()).getByTestId("confirm-command").textContent).toBe("git push origin main");
    fireEvent.keyDown(dialog(), { key: "Escape" });
    expect(screen.getByRole("button", { name: "2 waiting for confirmation" })).toBeTruthy();
    act(() => applyEvent({ seq: 1, at: 0, type: "tool_run_added", run: makeRun("r3", { status: "awaiting_decision", started_at: 300 }) }));
    expect(within(dialog()).getByText("1 of 3")).toBeTruthy();
  });
});
