import { describe, expect, it } from "vitest";
import { bytesToInput, capsOf, denied, draftOf, GiB, limitsOf, MiB, parseInput, toInput } from "./limits";

describe("limits in human units", () => {
  it("converts storage between bytes and MiB / GiB", () => {
    expect(bytesToInput(2 * GiB)).toEqual({ value: "2", unit: "GiB" });
    expect(bytesToInput(1.5 * GiB)).toEqual({ value: "1.5", unit: "GiB" });
    expect(bytesToInput(512 * MiB)).toEqual({ value: "512", unit: "MiB" });
    expect(bytesToInput(1_000_000)).toEqual({ value: "0.954", unit: "MiB" });
    expect(parseInput("bytes", "1.5", "GiB")).toEqual({ value: 1.5 * GiB });
    expect(parseInput("bytes", "100", "MiB")).toEqual({ value: 100 * MiB });
  });

  it("keeps dollars to cents and counts whole; empty is no value, nonsense an error", () => {
    expect(parseInput("usd", "1.239")).toEqual({ value: 1.24 });
    expect(parseInput("usd", "$5")).toEqual({ value: 5 });
    expect(toInput("usd", 5)).toBe("5.00");
    expect(parseInput("tokens", "1,000,000")).toEqual({ value: 1_000_000 });
    expect(parseInput("count", "  ")).toEqual({});
    expect(parseInput("count", "2.5")).toEqual({ error: "integer" });
    expect(parseInput("count", "-1")).toEqual({ error: "number" });
    expect(parseInput("usd", "abc")).toEqual({ error: "number" });
  });

  it("turns a draft into limits with only what is set, permissions tri-state", () => {
    const d = draftOf({ quotas: { storage_bytes: 2 * GiB, cost_per_day_usd: 3 }, permissions: { terminals: false } });
    expect(d.storageUnit).toBe("GiB");
    expect(d.quotas.storage_bytes).toBe("2");
    expect(d.quotas.cost_per_day_usd).toBe("3.00");
    expect(d.quotas.terminals).toBe("");
    expect(d.permissions).toEqual({ terminals: "deny", mcp: "", commands: "" });
    d.quotas.storage_bytes = "";
    d.permissions.mcp = "allow";
    expect(limitsOf(d)).toEqual({ limits: { quotas: { cost_per_day_usd: 3 }, permissions: { terminals: false, mcp: true } }, errors: {} });
    d.quotas.terminals = "x";
    expect(limitsOf(d).errors).toEqual({ terminals: "number" });
    expect(capsOf({ tokens_per_day: "5000", tokens_per_month: "", cost_per_day_usd: "0.5", cost_per_month_usd: "" })).toEqual({
      caps: { tokens_per_day: 5000, cost_per_day_usd: 0.5 },
      errors: {},
    });
    expect(denied({ permissions: { terminals: false, commands: false, mcp: true } })).toEqual(["terminals", "commands"]);
  });
});
