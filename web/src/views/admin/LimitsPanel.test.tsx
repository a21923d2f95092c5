import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { resetStore, useStore } from "../../lib/store";
import { RpcError } from "../../lib/rpc";
import { GiB, MiB } from "../../lib/limits";
import type { AdminLimitsGetResult, AdminUser, Limits, ServerCaps } from "../../protocol.gen";
import { useFakeApi, type FakeApi } from "../testing/fakeApi";
import { LimitsPanel } from "./LimitsPanel";

vi.mock("../../lib/sync", async () => (await import("../testing/fakeApi")).syncMock);

let fake: FakeApi;
let defaults: Limits;
let caps: ServerCaps;
let overrides: Record<string, Limits>;

const USERS: AdminUser[] = [
  { id: "u1", name: "alice", is_admin: true, disabled: false, created_at: 1 },
  { id: "u2", name: "bob", is_admin: false, disabled: false, created_at: 2 },
];

function effective(o: Limits): Limits {
  return {
    quotas: { ...defaults.quotas, ...Object.fromEntries(Object.entries(o.quotas ?? {}).filter(([, v]) => v != null)) },
    permissions: { ...defaults.permissions, ...o.permissions },
  };
}

function result(user?: string | null): AdminLimitsGetResult {
  return {
    defaults,
    caps,
    server_today: { tokens: 1234, cost_usd: 0.5 },
    server_month: { tokens: 99_000, cost_usd: 12.25 },
    user: user
      ? { name: user, overrides: overrides[user] ?? {}, effective: effective(overrides[user] ?? {}), today: { tokens: 10, cost_usd: 0.01 }, month: { tokens: 20, cost_usd: 0.02 } }
      : null,
  };
}

beforeEach(() => {
  resetStore();
  useStore.setState({ connection: "open" });
  defaults = { quotas: { storage_bytes: 2 * GiB, cost_per_day_usd: 5 }, permissions: {} };
  caps = { tokens_per_day: 1_000_000 };
  overrides = {};
  fake = useFakeApi({
    "admin.limits.get": ({ user }) => result(user),
    "admin.limits.set": ({ user, limits, caps: c }) => {
      if (limits.quotas?.requests_per_second === 0)
        throw new RpcError(-32602, "requests_per_second must be at least 1 (0 would lock the user out of the API; disable the user instead)");
      if (user) overrides[user] = limits;
      else {
        defaults = limits;
        if (c) caps = c;
      }
      return result(user);
    },
  });
});

const input = (region: HTMLElement, label: string) => within(region).getByLabelText(label) as HTMLInputElement;

describe("server defaults", () => {
  it("shows the defaults in human units and the server's spending", async () => {
    render(<LimitsPanel users={USERS} onError={() => {}} />);
    const form = await screen.findByRole("region", { name: "Server defaults" });
    expect(input(form, "Workspace storage").value).toBe("2");
    expect((within(form).getByLabelText("Unit of Workspace storage") as HTMLSelectElement).value).toBe("GiB");
    expect(input(form, "Dollars per day").value).toBe("5.00");
    expect(input(form, "Terminals open at once").value).toBe("");
    expect(input(form, "Terminals open at once").placeholder).toBe("No limit");
    const unset = within(form).getAllByRole("radio", { name: "(default: allowed)" }) as HTMLInputElement[];
    expect(unset.map((r) => r.checked)).toEqual([true, true, true]);
    expect(screen.getByTestId("server-spending").textContent).toContain("1,234 tokens · $0.50");
    expect(screen.getByTestId("server-spending").textContent).toContain("99,000 tokens · $12.25");
    const capsCard = screen.getByRole("region", { name: "Server caps" });
    expect(input(capsCard, "Tokens per day").value).toBe("1000000");
    expect(input(capsCard, "Dollars per month").placeholder).toBe("No cap");
  });

  it("saves converted values, leaves empty ones out (no limit) and sends denied permissions", async () => {
    render(<LimitsPanel users={USERS} onError={() => {}} />);
    const form = await screen.findByRole("region", { name: "Server defaults" });
    fireEvent.change(input(form, "Workspace storage"), { target: { value: "500" } });
    fireEvent.change(within(form).getByLabelText("Unit of Workspace storage"), { target: { value: "MiB" } });
    fireEvent.change(input(form, "Dollars per day"), { target: { value: "" } });
    fireEvent.change(input(form, "Dollars per task"), { target: { value: "0.125" } });
    fireEvent.change(input(form, "Tokens per month"), { target: { value: "2,000,000" } });
    const terminals = within(form).getByRole("group", { name: "Terminals" });
    fireEvent.click(within(terminals).getByRole("radio", { name: "Denied" }));
    const mcp = within(form).getByRole("group", { name: "MCP servers" });
    fireEvent.click(within(mcp).getByRole("radio", { name: "Allowed" }));
    const capsCard = screen.getByRole("region", { name: "Server caps" });
    fireEvent.change(input(capsCard, "Dollars per month"), { target: { value: "100" } });
    fireEvent.click(screen.getByRole("button", { name: "Save defaults and caps" }));
    await screen.findByText("Saved");
    expect(fake.paramsOf("admin.limits.set")).toEqual([
      {
        limits: {
          quotas: { storage_bytes: 500 * MiB, tokens_per_month: 2_000_000, task_cost_usd: 0.13 },
          permissions: { terminals: false, mcp: true },
        },
        caps: { tokens_per_day: 1_000_000, cost_per_month_usd: 100 },
      },
    ]);
    // What the server now holds is shown back.
    expect(input(form, "Dollars per task").value).toBe("0.13");
  });

  it("says what is wrong with an input before sending, and shows the server's refusal", async () => {
    render(<LimitsPanel users={USERS} onError={() => {}} />);
    const form = await screen.findByRole("region", { name: "Server defaults" });
    fireEvent.change(input(form, "Tasks running at once"), { target: { value: "1.5" } });
    fireEvent.click(screen.getByRole("button", { name: "Save defaults and caps" }));
    expect(await within(form).findByText("Enter a whole number.")).toBeTruthy();
    expect(fake.paramsOf("admin.limits.set")).toEqual([]);
    fireEvent.change(input(form, "Tasks running at once"), { target: { value: "2" } });
    fireEvent.change(input(form, "API requests per second"), { target: { value: "0" } });
    fireEvent.click(screen.getByRole("button", { name: "Save defaults and caps" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toContain("requests_per_second must be at least 1"));
    expect(screen.queryByText("Saved")).toBeNull();
  });
});

describe("one user's limits", () => {
  it("shows a user's overrides with the defaults as placeholders, their effective limits and spending, and saves overrides", async () => {
    overrides.bob = { quotas: { terminals: 1 }, permissions: { commands: false } };
    render(<LimitsPanel users={USERS} onError={() => {}} />);
    const card = await screen.findByRole("region", { name: "Limits of one user" });
    fireEvent.change(within(card).getByLabelText("User"), { target: { value: "bob" } });
    const form = await within(card).findByRole("form", { name: "Overrides for bob" });
    expect(fake.paramsOf("admin.limits.get")).toContainEqual({ user: "bob" });
    expect(input(form, "Terminals open at once").value).toBe("1");
    expect(input(form, "Workspace storage").value).toBe("");
    expect(input(form, "Workspace storage").placeholder).toBe("Default: 2 GiB");
    expect(input(form, "Dollars per day").placeholder).toBe("Default: $5.00");
    expect(input(form, "Tokens per day").placeholder).toBe("Default: no limit");
    const commands = within(form).getByRole("group", { name: "Shell commands" });
    expect((within(commands).getByRole("radio", { name: "Denied" }) as HTMLInputElement).checked).toBe(true);
    const terminals = within(form).getByRole("group", { name: "Terminals" });
    expect((within(terminals).getByRole("radio", { name: "As default (allowed)" }) as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId("user-spending").textContent).toContain("10 tokens · $0.01");
    const eff = screen.getByTestId("effective-limits");
    expect(within(eff).getByText("Workspace storage").nextSibling?.textContent).toBe("2 GiB");
    expect(within(eff).getByText("Tokens per day").nextSibling?.textContent).toBe("No limit");
    expect(within(eff).getByText("Shell commands").nextSibling?.textContent).toBe("Denied");

    // Storage 100 MiB, terminals back to the default, terminals denied, commands as default.
    fireEvent.change(input(form, "Workspace storage"), { target: { value: "100" } });
    fireEvent.change(within(form).getByLabelText("Unit of Workspace storage"), { target: { value: "MiB" } });
    fireEvent.change(input(form, "Terminals open at once"), { target: { value: "" } });
    fireEvent.click(within(terminals).getByRole("radio", { name: "Denied" }));
    fireEvent.click(within(commands).getByRole("radio", { name: "As default (allowed)" }));
    fireEvent.click(within(form).getByRole("button", { name: "Save overrides" }));
    await within(form).findByText("Saved");
    expect(fake.paramsOf("admin.limits.set")).toEqual([
      { user: "bob", limits: { quotas: { storage_bytes: 100 * MiB }, permissions: { terminals: false } } },
    ]);
    expect(within(eff).getByText("Workspace storage").nextSibling?.textContent).toBe("100 MiB");
    expect(within(eff).getByText("Terminals").nextSibling?.textContent).toBe("Denied");
  });
});
