// Quotas and permissions in Debian's Chromium against the real server: alice (admin) gives
// bob 1 MiB of storage and denies him terminals in Admin → Limits; bob sees both in
// Settings → Usage & limits, a write past the quota is refused with the quota's message,
// opening a terminal is refused, and the audit log shows alice's limits.set.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, rpc, signIn, startStack, type Stack } from "./harness.mjs";

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ users: { alice: true, bob: false }, llm: false });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("limits", () => {
  it("lets alice limit bob's storage and deny his terminals, which bob sees and meets, and logs it", async () => {
    const alice = await signIn(browser, stack.url, "alice", { path: "/admin/limits" });
    await alice.getByRole("tab", { name: "Limits", selected: true }).waitFor();
    await alice.getByRole("region", { name: "Server defaults" }).waitFor();
    const card = alice.getByRole("region", { name: "Limits of one user" });
    await card.getByLabel("User", { exact: true }).selectOption("bob");
    const form = card.getByRole("form", { name: "Overrides for bob" });
    const storage = form.getByLabel("Workspace storage", { exact: true });
    expect(await storage.getAttribute("placeholder")).toBe("Default: no limit");
    await storage.fill("1");
    await form.getByLabel("Unit of Workspace storage").selectOption("MiB");
    await form.getByRole("group", { name: "Terminals" }).getByRole("radio", { name: "Denied" }).check();
    await form.getByRole("button", { name: "Save overrides" }).click();
    await form.getByText("Saved").waitFor();
    const effective = alice.getByTestId("effective-limits");
    await expect.poll(() => effective.textContent()).toContain("Workspace storage1 MiB");
    expect(await effective.textContent()).toContain("TerminalsDenied");
    await alice.screenshot({ path: "/tmp/limits-admin.png", fullPage: true });

    // Bob sees his limits.
    const bob = await signIn(browser, stack.url, "bob", { path: "/config/usage" });
    const storageRow = bob.getByTestId("usage-storage_bytes");
    await expect.poll(() => storageRow.textContent()).toContain("of 1 MiB");
    expect(await bob.getByTestId("usage-denied").textContent()).toContain("Not allowed for you: Terminals.");
    expect(await bob.getByTestId("usage-tokens_per_day").textContent()).toContain("(no limit)");
    await bob.screenshot({ path: "/tmp/limits-usage.png", fullPage: true });

    // A write past the quota is refused with the quota's sentence; a small one is fine.
    await rpc(bob, "fs.write", { path: "small.txt", content: "hello" });
    await expect(rpc(bob, "fs.write", { path: "big.txt", content: "x".repeat(2 * 1024 * 1024) })).rejects.toThrow(
      /storage limit is reached/,
    );
    // Opening a terminal is refused, and the page says why.
    await bob.goto(`${stack.url}/terminal`);
    await bob.getByRole("button", { name: "New terminal" }).first().click();
    await expect.poll(() => bob.getByText(/Could not open a terminal/).first().textContent()).toMatch(/terminal/i);

    // The audit log has alice's change, newest first.
    await alice.getByRole("tab", { name: "Audit log" }).click();
    const table = alice.getByRole("table", { name: "Audit log" });
    const first = table.getByRole("row").nth(1);
    await expect.poll(() => first.textContent()).toContain("limits.set");
    expect(await first.textContent()).toContain("alicelimits.setbob");
    expect(await first.textContent()).toContain("storage_bytes");
    // The users were added with the arranger command: on record too, as `cli`.
    await alice.getByLabel("Action starts with").fill("user.");
    await alice.getByRole("button", { name: "Filter", exact: true }).click();
    await expect.poll(() => table.getByRole("row").count()).toBe(3);
    const rows = await table.getByRole("row").allTextContents();
    expect(rows.slice(1).every((r) => r.includes("cliuser.create"))).toBe(true);
    expect(rows.join(" ")).not.toContain("limits.set");
    await alice.screenshot({ path: "/tmp/limits-audit.png", fullPage: true });

    await alice.context().close();
    await bob.context().close();
  });
});
