import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { resetStore, useStore } from "../../lib/store";
import { formatDateTime } from "../../lib/errors";
import { GiB, MiB } from "../../lib/limits";
import type { QuotaGetResult } from "../../protocol.gen";
import { useFakeApi, type FakeApi } from "../testing/fakeApi";
import { ConfigCenter } from "../ConfigCenter";

vi.mock("../../lib/sync", async () => (await import("../testing/fakeApi")).syncMock);

let fake: FakeApi;
let quota: QuotaGetResult;
const DAY = Date.UTC(2026, 11, 7);
const MONTH = Date.UTC(2027, 0, 1);

beforeEach(() => {
  resetStore();
  useStore.setState({ connection: "open", me: { id: "u2", name: "bob", is_admin: false }, mode: "multi_user" });
  quota = {
    limits: { quotas: { storage_bytes: 1 * GiB, terminals: 2, cost_per_day_usd: 5 }, permissions: { terminals: false, mcp: true } },
    usage: {
      storage_bytes: 256 * MiB,
      terminals: 0,
      today: { tokens: 1500, cost_usd: 1.25 },
      month: { tokens: 40_000, cost_usd: 20 },
      day_resets_at: DAY,
      month_resets_at: MONTH,
    },
  };
  fake = useFakeApi({ "quota.get": () => quota });
});

const row = (k: string) => screen.getByTestId(`usage-${k}`).textContent;

describe("usage & limits", () => {
  it("shows the user's limits and usage, no limit where none is set, reset times and denied capabilities", async () => {
    render(<ConfigCenter section="usage" />);
    await screen.findByTestId("usage-storage_bytes");
    expect(row("storage_bytes")).toContain("256 MiB of 1 GiB");
    expect(screen.getByRole("progressbar", { name: "Workspace storage" }).getAttribute("aria-valuenow")).toBe("25");
    expect(row("terminals")).toContain("0 of 2");
    expect(row("concurrent_tasks")).toContain("No limit");
    expect(row("tokens_per_day")).toContain("1,500 (no limit)");
    expect(row("tokens_per_day")).toContain(`Resets ${formatDateTime(DAY, "en")}`);
    expect(row("cost_per_day_usd")).toContain("$1.25 of $5.00");
    expect(row("cost_per_month_usd")).toContain("$20.00 (no limit)");
    expect(row("cost_per_month_usd")).toContain(`Resets ${formatDateTime(MONTH, "en")}`);
    expect(screen.getByTestId("usage-denied").textContent).toBe("Not allowed for you: Terminals. An admin can allow them.");
  });

  it("reads again on Refresh", async () => {
    render(<ConfigCenter section="usage" />);
    await screen.findByTestId("usage-storage_bytes");
    quota = { ...quota, limits: {}, usage: { ...quota.usage, storage_bytes: 2 * GiB } };
    fireEvent.click(screen.getByRole("button", { name: "Refresh" }));
    await waitFor(() => expect(row("storage_bytes")).toContain("2 GiB (no limit)"));
    expect(fake.paramsOf("quota.get")).toHaveLength(2);
    expect(screen.getByTestId("usage-denied").textContent).toBe("Terminals, MCP servers and shell commands are all allowed.");
  });
});
