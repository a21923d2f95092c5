import { fireEvent, render, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { resetStore, useStore } from "../../lib/store";
import { useFakeApi } from "../testing/fakeApi";
import { Admin } from "../Admin";

vi.mock("../../lib/sync", async () => (await import("../testing/fakeApi")).syncMock);

beforeEach(() => {
  resetStore();
  useStore.setState({ connection: "open", me: { id: "u1", name: "alice", is_admin: true }, mode: "multi_user" });
  history.replaceState(null, "", "/admin/limits");
  useFakeApi({
    "admin.user.list": () => ({ users: [{ id: "u1", name: "alice", is_admin: true, disabled: false, created_at: 1 }] }),
    "admin.limits.get": () => ({ defaults: {}, caps: {}, server_today: { tokens: 0, cost_usd: 0 }, server_month: { tokens: 0, cost_usd: 0 } }),
    "admin.audit.list": () => ({ records: [] }),
  });
});

describe("admin tabs", () => {
  it("shows the section of the URL as the selected tab's panel, and moves with the arrows", async () => {
    render(<Admin section="limits" />);
    const tabs = within(screen.getByRole("tablist", { name: "Admin sections" })).getAllByRole("tab");
    expect(tabs.map((x) => x.textContent)).toEqual(["Users and tokens", "Limits", "Audit log"]);
    expect(tabs[1].getAttribute("aria-selected")).toBe("true");
    expect(tabs[0].tabIndex).toBe(-1);
    const panel = screen.getByRole("tabpanel", { name: "Limits" });
    expect(await within(panel).findByRole("region", { name: "Server defaults" })).toBeTruthy();
    fireEvent.keyDown(tabs[1], { key: "ArrowRight" });
    expect(location.pathname).toBe("/admin/audit");
    fireEvent.keyDown(tabs[1], { key: "Home" });
    expect(location.pathname).toBe("/admin");
  });

  it("falls back to the users for an unknown section", () => {
    render(<Admin section="nonsense" />);
    expect(screen.getByRole("tab", { name: "Users and tokens" }).getAttribute("aria-selected")).toBe("true");
    expect(screen.getByRole("heading", { name: "Users and tokens" })).toBeTruthy();
  });
});
