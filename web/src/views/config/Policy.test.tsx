import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { resetStore, useStore } from "../../lib/store";
import { RpcError } from "../../lib/rpc";
import type { Rule } from "../../protocol.gen";
import { useFakeApi, type FakeApi } from "../testing/fakeApi";
import { Policy } from "./Policy";
import { ruleIndexOf, ruleReason } from "./RulesEditor";

vi.mock("../../lib/sync", async () => (await import("../testing/fakeApi")).syncMock);

let fake: FakeApi;
let rules: Rule[];
const REFUSAL =
  "rule 1 (\"rm *\"): pattern `rm *` can match `rm -rf /`, which is built-in High; High commands always ask and no rule can allow them";

beforeEach(() => {
  resetStore();
  useStore.setState({ connection: "open" });
  rules = [{ pattern: "cargo *", action: "allow", scope: "user" }];
  fake = useFakeApi({
    "policy.get": () => ({ builtin: [{ pattern: "npm ci", action: "allow", scope: "builtin" }], rules }),
    "policy.set": (p) => {
      if (p.rules.some((r) => r.pattern === "rm *" && r.action === "allow")) throw new RpcError(-32602, REFUSAL);
      rules = p.rules;
      return { builtin: [], rules };
    },
    "policy.check": () => ({
      risk: "high",
      decision: "ask",
      parts: [
        { command: "rm -rf /", risk: "high", reason: "rm with -r and -f deletes recursively without asking" },
        { command: "ls", risk: "low", reason: "ls only reads or prints" },
      ],
    }),
  });
});

describe("policy check", () => {
  it("shows the overall risk and every judged part", async () => {
    render(<Policy />);
    fireEvent.change(screen.getByLabelText("Command line"), { target: { value: "rm -rf / ; ls" } });
    fireEvent.click(screen.getByRole("button", { name: "Check" }));
    const result = await screen.findByTestId("policy-check-result");
    expect(fake.paramsOf("policy.check")).toEqual([{ command: "rm -rf / ; ls" }]);
    expect(within(result).getByText("Overall risk").parentElement?.textContent).toContain("High");
    expect(within(result).getByText("Asks you first")).toBeTruthy();
    const rows = within(result).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.textContent)).toEqual([
      "rm -rf /Highrm with -r and -f deletes recursively without asking",
      "lsLowls only reads or prints",
    ]);
  });
});

describe("rules", () => {
  it("shows built-in rules read-only and the user's editable", async () => {
    render(<Policy />);
    expect(((await screen.findByLabelText("Pattern of rule 1")) as HTMLInputElement).value).toBe("cargo *");
    const builtin = screen.getByRole("region", { name: "Built-in rules" });
    expect(within(builtin).getByText("npm ci")).toBeTruthy();
    expect(within(builtin).queryByRole("textbox")).toBeNull();
  });

  it("sends the whole list and shows a refusal next to the refused rule", async () => {
    render(<Policy />);
    await screen.findByLabelText("Pattern of rule 1");
    fireEvent.click(screen.getByRole("button", { name: "Add rule" }));
    fireEvent.change(screen.getByLabelText("Pattern of rule 2"), { target: { value: "rm *" } });
    fireEvent.click(screen.getByRole("button", { name: "Save rules" }));
    const row = screen.getByTestId("rule-row-1");
    expect((await within(row).findByRole("alert")).textContent).toBe(
      "pattern `rm *` can match `rm -rf /`, which is built-in High; High commands always ask and no rule can allow them",
    );
    expect(within(screen.getByTestId("rule-row-0")).queryByRole("alert")).toBeNull();
    expect(fake.paramsOf("policy.set")[0].rules).toEqual([
      { pattern: "cargo *", action: "allow", scope: "user" },
      { pattern: "rm *", action: "allow", scope: "user" },
    ]);
    // Asking instead is accepted.
    fireEvent.change(screen.getByLabelText("Action of rule 2"), { target: { value: "ask" } });
    fireEvent.click(screen.getByRole("button", { name: "Save rules" }));
    await waitFor(() => expect(rules).toHaveLength(2));
    expect(screen.queryByRole("alert")).toBeNull();
    expect((await screen.findByRole("status")).textContent).toContain("Saved");
  });

  it("finds the rule a refusal names", () => {
    expect(ruleIndexOf(REFUSAL)).toBe(1);
    expect(ruleIndexOf("provider names must be unique")).toBeNull();
    expect(ruleReason('rule 0 ("a (b)"): too broad')).toBe("too broad");
  });
});
