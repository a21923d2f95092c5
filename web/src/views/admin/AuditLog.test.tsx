import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { resetStore, useStore } from "../../lib/store";
import type { AuditRecord } from "../../protocol.gen";
import { useFakeApi, type FakeApi } from "../testing/fakeApi";
import { AUDIT_PAGE, AuditLog, compactDetail } from "./AuditLog";

vi.mock("../../lib/sync", async () => (await import("../testing/fakeApi")).syncMock);

let fake: FakeApi;
// 70 records, ids 1..70; the newest (70) is a limits.set by alice.
const ALL: AuditRecord[] = Array.from({ length: 70 }, (_, i) => {
  const id = i + 1;
  return id === 70
    ? { id, at: Date.UTC(2026, 11, 6, 12, 0), actor: "alice", action: "limits.set", target: "bob", detail: { quotas: { storage_bytes: 1024 } } }
    : { id, at: Date.UTC(2026, 11, 1) + id * 60_000, actor: id % 2 ? "alice" : "cli", action: "user.create", target: `user${id}`, detail: { is_admin: false } };
});

beforeEach(() => {
  resetStore();
  useStore.setState({ connection: "open" });
  fake = useFakeApi({
    "admin.audit.list": ({ before, actor, action, limit }) => ({
      records: ALL.filter((r) => (before == null || r.id < before) && (!actor || r.actor === actor) && (!action || r.action.startsWith(action)))
        .sort((a, b) => b.id - a.id)
        .slice(0, limit ?? 100),
    }),
  });
});

describe("audit log", () => {
  it("shows the newest records first and loads older ones with `before`", async () => {
    render(<AuditLog />);
    const table = await screen.findByRole("table", { name: "Audit log" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(AUDIT_PAGE);
    const cells = within(rows[0]).getAllByRole("cell").map((c) => c.textContent);
    expect(cells.slice(1)).toEqual(["alice", "limits.set", "bob", 'quotas={"storage_bytes":1024}']);
    expect(cells[0]).toContain("2026");
    expect(fake.paramsOf("admin.audit.list")).toEqual([{ limit: AUDIT_PAGE }]);

    fireEvent.click(screen.getByRole("button", { name: "Load older" }));
    await waitFor(() => expect(within(table).getAllByRole("row")).toHaveLength(71));
    expect(fake.paramsOf("admin.audit.list")[1]).toEqual({ limit: AUDIT_PAGE, before: 21 });
    expect(screen.queryByRole("button", { name: "Load older" })).toBeNull();
    expect(screen.getByText("No older records.")).toBeTruthy();
    expect(screen.getByText("70 shown")).toBeTruthy();
  });

  it("filters by actor and action prefix, and clears the filters", async () => {
    render(<AuditLog />);
    await screen.findByRole("table");
    fireEvent.change(screen.getByLabelText("Actor"), { target: { value: "alice" } });
    fireEvent.change(screen.getByLabelText("Action starts with"), { target: { value: "limits." } });
    fireEvent.click(screen.getByRole("button", { name: "Filter" }));
    await waitFor(() => expect(screen.getAllByRole("row")).toHaveLength(2));
    expect(fake.paramsOf("admin.audit.list").at(-1)).toEqual({ limit: AUDIT_PAGE, actor: "alice", action: "limits." });
    fireEvent.change(screen.getByLabelText("Actor"), { target: { value: "nobody" } });
    fireEvent.click(screen.getByRole("button", { name: "Filter" }));
    await screen.findByText("No records.");
    fireEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(screen.getAllByRole("row")).toHaveLength(AUDIT_PAGE + 1));
    expect((screen.getByLabelText("Actor") as HTMLInputElement).value).toBe("");
  });

  it("makes details compact", () => {
    expect(compactDetail({ user: "bob", decision: { approved: false } })).toBe('user=bob decision={"approved":false}');
    expect(compactDetail(null)).toBe("");
    expect(compactDetail({ long: "x".repeat(300) }, 20)).toBe(`long=${"x".repeat(14)}…`);
  });
});
