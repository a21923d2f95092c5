// Sign-in, sign-out and two users side by side, in Debian's Chromium against the real server.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, signIn as signInAs, startSingle, startStack, type Stack } from "./harness.mjs";

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const signIn = (name: string): Promise<Page> => signInAs(browser, stack.url, name);

describe("sign-in", () => {
  it("refuses a wrong password with the server's message", async () => {
    const page = await (await browser.newContext({ locale: "en-US" })).newPage();
    await page.goto(`${stack.url}/`);
    await page.getByLabel("User name").fill("alice");
    await page.getByLabel("Password").fill("wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("wrong user name or password");
    await page.context().close();
  });

  it("signs in, survives a reload, and signs out", async () => {
    const page = await signIn("alice");
    await page.reload();
    await page.getByTestId("me").filter({ hasText: "alice" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("User name").waitFor();
    await page.context().close();
  });

  it("never shows one user's sessions to another", async () => {
    const alice = await signIn("alice");
    const bob = await signIn("bob");
    await alice.getByRole("button", { name: "New session" }).click();
    const title = `alice-only-${Date.now()}`;
    const input = alice.getByLabel("Rename");
    await input.fill(title);
    await input.press("Enter");
    await alice.getByRole("button", { name: title }).waitFor();
    // Bob's page is live too: give the event stream time, then look.
    await bob.waitForTimeout(500);
    expect(await bob.getByRole("button", { name: title }).count()).toBe(0);
    await bob.reload();
    await bob.getByTestId("me").filter({ hasText: "bob" }).waitFor();
    expect(await bob.getByText(title).count()).toBe(0);
    await alice.context().close();
    await bob.context().close();
  });
});

describe("single-user sign-in", () => {
  it("takes the token from the start-up address, hides it, and remembers it", async () => {
    const single = await startSingle();
    try {
      const context = await browser.newContext({ locale: "en-US" });
      const page = await context.newPage();
      await page.goto(single.startUrl);
      await page.getByTestId("me").waitFor();
      // The token left the address bar (and so the history), but the tab stays signed in.
      expect(page.url()).not.toContain("token=");
      await page.goto(`${single.url}/tasks`);
      await page.getByTestId("me").waitFor();
      expect(await page.getByLabel("User name").count()).toBe(0);
      // Without the token the page says where to find it.
      const stranger = await (await browser.newContext({ locale: "en-US" })).newPage();
      await stranger.goto(`${single.url}/`);
      await stranger.getByText("?token=").waitFor();
      await stranger.context().close();
      await context.close();
    } finally {
      await single.stop();
    }
  });
});
