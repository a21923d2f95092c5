// The Admin page in Debian's Chromium against the real server: alice (admin) adds carol,
// who signs in elsewhere; alice issues and revokes a token and disables carol, whose page
// goes back to the sign-in page; bob (a member) sees "admins only" and no users.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, PASSWORD, startStack, type Stack } from "./harness.mjs";

let stack: Stack;
let browser: Browser;

const CAROL_PASSWORD = "carol's own long password";

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function newPage(prefs: { theme?: "dark" | "light"; lang?: "en" | "zh" } = {}): Promise<Page> {
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 860 } });
  await context.addInitScript((p) => {
    if (p.theme) localStorage.setItem("arranger.theme", p.theme);
    localStorage.setItem("arranger.lang", p.lang ?? "en");
  }, prefs);
  return context.newPage();
}

const EN = { user: "User name", password: "Password", submit: "Sign in" };
const ZH = { user: "用户名", password: "密码", submit: "登录" };

async function signIn(page: Page, name: string, password = PASSWORD, labels = EN): Promise<Page> {
  await page.goto(`${stack.url}/`);
  await page.getByLabel(labels.user).fill(name);
  await page.getByLabel(labels.password).fill(password);
  await page.getByRole("button", { name: labels.submit }).click();
  await page.getByTestId("me").filter({ hasText: name }).waitFor();
  return page;
}

/** Who a token belongs to, asked the way the UI asks before it shows the sign-in page. */
async function whoamiWith(token: string): Promise<{ status: number; name?: string }> {
  const r = await fetch(`${stack.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await r.json()) as { user?: { name: string } };
  return { status: r.status, name: body.user?.name };
}

describe("admin page", () => {
  it("lets alice add carol, manage her tokens, and disable her, which signs carol out", async () => {
    const alice = await signIn(await newPage(), "alice");
    await alice.getByRole("button", { name: "Admin", exact: true }).click();
    await alice.getByRole("heading", { name: "Users and tokens" }).waitFor();
    await alice.getByTestId("user-bob").waitFor();
    expect(await alice.getByTestId("user-alice").textContent()).toContain("(you)");

    // Bad input: the server's reason, inline.
    const form = alice.getByRole("region", { name: "Add user" });
    await form.getByLabel("Name", { exact: true }).fill("carol");
    await form.getByLabel("Password", { exact: true }).fill("short");
    await form.getByRole("button", { name: "Add user" }).click();
    await expect.poll(() => form.getByRole("alert").textContent()).toContain("at least 8 characters");

    await form.getByLabel("Password", { exact: true }).fill(CAROL_PASSWORD);
    await form.getByRole("button", { name: "Add user" }).click();
    await alice.getByText("User carol added").waitFor();
    const carolRow = alice.getByTestId("user-carol");
    await carolRow.waitFor();
    expect(await carolRow.textContent()).toContain("Member");
    expect(await form.getByLabel("Password", { exact: true }).inputValue()).toBe("");
    await alice.screenshot({ path: "/tmp/admin-users.png", fullPage: true });

    // Carol signs in in another browser; she is no admin.
    const carol = await signIn(await newPage(), "carol", CAROL_PASSWORD);
    expect(await carol.getByRole("button", { name: "Admin", exact: true }).count()).toBe(0);

    // A token for carol: shown once, in a modal dialog, and it works.
    await alice.getByRole("button", { name: "Tokens carol" }).click();
    await alice.getByText("No tokens.").waitFor({ state: "detached" }).catch(() => {});
    await alice.getByLabel("Label", { exact: true }).fill("ci");
    await alice.getByRole("button", { name: "Create token" }).click();
    const dialog = alice.getByRole("alertdialog", { name: "New token for carol" });
    await dialog.waitFor();
    expect(await dialog.getAttribute("aria-modal")).toBe("true");
    expect(await dialog.textContent()).toContain("shown only once");
    const token = await dialog.getByTestId("new-token").inputValue();
    expect(token).toMatch(/^arr_[0-9a-f]{64}$/);
    expect(await whoamiWith(token)).toEqual({ status: 200, name: "carol" });
    await alice.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
    await dialog.getByRole("button", { name: "Copy", exact: true }).click();
    await dialog.getByRole("button", { name: "Copied", exact: true }).waitFor();
    expect(await alice.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await alice.screenshot({ path: "/tmp/admin-new-token.png" });
    await alice.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    // Gone for good: the page no longer has it.
    expect(await alice.content()).not.toContain(token);
    const tokens = alice.getByRole("region", { name: "Tokens of carol" });
    await tokens.getByRole("cell", { name: /^ci/ }).waitFor();
    expect(await tokens.textContent()).toContain("Active");

    // Revoking asks first, then the token stops working.
    await tokens.getByRole("button", { name: "Revoke ci" }).click();
    const confirmRevoke = alice.getByRole("alertdialog", { name: "Revoke the token “ci”?" });
    await confirmRevoke.waitFor();
    await alice.screenshot({ path: "/tmp/admin-revoke-confirm.png" });
    await confirmRevoke.getByRole("button", { name: "Revoke" }).click();
    await alice.getByText("Token “ci” revoked.").waitFor();
    expect((await whoamiWith(token)).status).toBe(401);

    // Alice cannot disable herself.
    expect(await alice.getByRole("button", { name: "Disable alice" }).isDisabled()).toBe(true);

    // Carol leaves an unsent draft on her Blackboard.
    await carol.getByRole("button", { name: "Main", exact: true }).click();
    await carol.getByLabel("Message", { exact: true }).fill("carol's unsent draft");

    // Disabling carol (after a confirmation) sends her page back to the sign-in page.
    await alice.getByRole("button", { name: "Disable carol" }).click();
    const confirmDisable = alice.getByRole("alertdialog", { name: "Disable carol?" });
    await confirmDisable.getByRole("button", { name: "Disable", exact: true }).click();
    await confirmDisable.waitFor({ state: "detached" });
    await carol.getByLabel("User name").waitFor({ timeout: 10_000 });
    expect(await carolRow.textContent()).toContain("Disabled");
    await alice.screenshot({ path: "/tmp/admin-disabled.png", fullPage: true });

    // Whoever signs in next in that tab finds nothing of hers, her draft included.
    await carol.getByLabel("User name").fill("bob");
    await carol.getByLabel("Password").fill(PASSWORD);
    await carol.getByRole("button", { name: "Sign in" }).click();
    await carol.getByTestId("me").filter({ hasText: "bob" }).waitFor();
    await carol.getByRole("button", { name: "Main", exact: true }).click();
    await carol.getByLabel("Message", { exact: true }).waitFor();
    expect(await carol.getByLabel("Message", { exact: true }).inputValue()).toBe("");
    expect(await carol.getByText("carol's unsent draft").count()).toBe(0);
    await carol.getByRole("button", { name: "Sign out" }).click();
    await carol.getByLabel("User name").waitFor();

    // She cannot sign in again until she is enabled.
    await carol.getByLabel("User name").fill("carol");
    await carol.getByLabel("Password").fill(CAROL_PASSWORD);
    await carol.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => carol.getByRole("alert").textContent()).toContain("disabled");
    await alice.getByRole("button", { name: "Enable carol" }).click();
    await alice.getByText("carol is enabled again.").waitFor();
    await carol.getByRole("button", { name: "Sign in" }).click();
    await carol.getByTestId("me").filter({ hasText: "carol" }).waitFor();

    await alice.context().close();
    await carol.context().close();
  });

  it("shows bob, who is no admin, only that the page is for admins", async () => {
    const bob = await signIn(await newPage(), "bob");
    expect(await bob.getByRole("button", { name: "Admin", exact: true }).count()).toBe(0);
    await bob.goto(`${stack.url}/admin`);
    await bob.getByRole("heading", { name: "Admins only" }).waitFor();
    await bob.getByTestId("me").filter({ hasText: "bob" }).waitFor();
    expect(await bob.getByRole("table").count()).toBe(0);
    expect(await bob.getByText("alice").count()).toBe(0);
    await bob.screenshot({ path: "/tmp/admin-forbidden.png" });
    await bob.context().close();
  });

  it("works in Chinese and in the dark theme, with a modal password dialog", async () => {
    const page = await signIn(await newPage({ theme: "dark", lang: "zh" }), "alice", PASSWORD, ZH);
    await page.goto(`${stack.url}/admin`);
    await page.getByRole("heading", { name: "用户与令牌" }).waitFor();
    await page.getByTestId("user-bob").waitFor();
    expect(await page.evaluate(() => document.documentElement.classList.contains("dark"))).toBe(true);
    await page.getByRole("button", { name: "令牌 bob" }).click();
    await page.getByRole("region", { name: "bob 的令牌" }).getByRole("table").waitFor();
    await page.screenshot({ path: "/tmp/admin-dark-zh-table.png" });
    await page.getByRole("button", { name: "重置密码 bob" }).click();
    const dialog = page.getByRole("dialog", { name: "重置 bob 的密码" });
    await dialog.waitFor();
    expect(await dialog.getAttribute("aria-modal")).toBe("true");
    // Focus starts in the dialog, and mismatched passwords are caught before sending.
    expect(await page.evaluate(() => document.activeElement?.getAttribute("type"))).toBe("password");
    await dialog.getByLabel("新密码", { exact: true }).fill("a new long password");
    await dialog.getByLabel("再次输入新密码").fill("something else");
    await dialog.getByRole("button", { name: "设置密码" }).click();
    await expect.poll(() => dialog.getByRole("alert").textContent()).toContain("不一致");
    await page.screenshot({ path: "/tmp/admin-dark-zh.png" });
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await page.context().close();
  });
});
