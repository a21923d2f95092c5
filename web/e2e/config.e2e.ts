// The config center, the terminal and the file browser against the real server: a
// provider key that never comes back, a secret, a refused rule, a policy check, a real
// shell, a file appearing live, and a second user who sees none of it.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser, signIn as signInAs, startStack, type Stack } from "./harness.mjs";

let stack: Stack;
let browser: Browser;
let alice: BrowserContext;

const KEY = `sk-e2e-${Math.random().toString(36).slice(2)}-never-shown`;
const SECRET_VALUE = `ghp_${Math.random().toString(36).slice(2)}`;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const signIn = (name: string): Promise<Page> => signInAs(browser, stack.url, name, { viewport: { width: 1280, height: 900 } });

/** Everything the page holds: its HTML and the values of its fields. */
async function everything(page: Page): Promise<string> {
  const values = await page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("input, textarea"))
      .map((e) => e.value)
      .join("\n"),
  );
  return `${await page.content()}\n${values}`;
}

async function go(page: Page, path: string): Promise<void> {
  await page.evaluate((p) => {
    history.pushState(null, "", p);
    dispatchEvent(new PopStateEvent("popstate"));
  }, path);
}

describe("config center, terminal and files", () => {
  let page: Page;

  it("adds a provider whose key never comes back, even after a reload", async () => {
    page = await signIn("alice");
    alice = page.context();
    await page.getByRole("button", { name: "Settings", exact: true }).click();
    await page.getByRole("tab", { name: "Providers & models", selected: true }).waitFor();
    await page.getByRole("button", { name: "Add provider" }).click();
    const form = page.getByRole("form", { name: "New provider" });
    await form.getByLabel("Name").fill("mine");
    await form.getByLabel("Base URL").fill("https://llm.example.com/v1");
    await form.getByLabel("Model").fill("my-model");
    await form.getByLabel("API key").fill(KEY);
    await form.getByRole("button", { name: "Add provider" }).click();
    const row = page.getByRole("listitem", { name: "mine" });
    await row.getByText("Key set").waitFor();
    expect(await everything(page)).not.toContain(KEY);

    await page.reload();
    await page.getByRole("listitem", { name: "mine" }).getByText("Key set").waitFor();
    expect(page.url()).toMatch(/\/config$/);
    await page.getByRole("button", { name: "Edit provider mine" }).click();
    expect(await page.getByLabel("API key").inputValue()).toBe("");
    expect(await everything(page)).not.toContain(KEY);
    await page.getByRole("button", { name: "Cancel" }).click();
  });

  it("adds a secret whose value is never shown", async () => {
    await page.getByRole("tab", { name: "Secrets" }).click();
    expect(new URL(page.url()).pathname).toBe("/config/secrets");
    await page.getByLabel("Name").fill("ALICE_SECRET");
    await page.getByLabel("Value").fill(SECRET_VALUE);
    await page.getByRole("button", { name: "Save secret" }).click();
    await page.getByRole("table", { name: "Your secrets" }).getByRole("cell", { name: "ALICE_SECRET", exact: true }).waitFor();
    expect(await everything(page)).not.toContain(SECRET_VALUE);
  });

  it("saves a rule, and shows why a dangerous Allow pattern is refused next to it", async () => {
    await page.getByRole("tab", { name: "Risk policy" }).click();
    await page.getByText("No rules of your own").waitFor();
    await page.getByRole("button", { name: "Add rule" }).click();
    await page.getByLabel("Pattern of rule 1").fill("alice-tool *");
    await page.getByRole("button", { name: "Save rules" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();

    await page.getByRole("button", { name: "Add rule" }).click();
    await page.getByLabel("Pattern of rule 2").fill("rm *");
    await page.getByRole("button", { name: "Save rules" }).click();
    const refusal = page.getByTestId("rule-row-1").getByRole("alert");
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain("rm -rf /");
    expect(await page.getByTestId("rule-row-0").getByRole("alert").count()).toBe(0);
    await page.getByRole("button", { name: "Discard changes" }).click();
    await page.getByLabel("Pattern of rule 2").waitFor({ state: "detached" });
  });

  it("checks rm -rf / and sees High", async () => {
    await page.getByLabel("Command line").fill("rm -rf /");
    await page.getByRole("button", { name: "Check", exact: true }).click();
    const result = page.getByTestId("policy-check-result");
    await result.waitFor();
    await expect.poll(() => result.textContent()).toContain("Overall riskHigh");
    expect(await result.getByRole("cell", { name: "rm -rf /" }).count()).toBe(1);
  });

  it("runs a real shell in a terminal", async () => {
    await page.getByRole("button", { name: "Terminal", exact: true }).click();
    await page.getByRole("button", { name: "New terminal" }).first().click();
    await page.getByRole("tab", { name: /Terminal 1/ }).waitFor();
    const screen = page.locator(".xterm-rows");
    await expect.poll(() => screen.textContent()).toMatch(/\S/); // the prompt
    await page.locator(".xterm").click();
    await page.keyboard.type("echo hello-$((6*7))");
    await page.keyboard.press("Enter");
    await expect.poll(() => screen.textContent()).toContain("hello-42");
  });

  it("shows a file the terminal creates in an open file browser, without a reload", async () => {
    const files = await alice.newPage();
    await files.goto(`${stack.url}/files`);
    const tree = files.getByRole("tree", { name: "Workspace files" });
    await files.getByText("The workspace is empty", { exact: false }).or(tree.getByRole("treeitem").first()).waitFor();
    expect(await tree.getByRole("treeitem", { name: "made-by-terminal.txt" }).count()).toBe(0);

    await page.locator(".xterm").click();
    await page.keyboard.type("echo hi > made-by-terminal.txt");
    await page.keyboard.press("Enter");
    const item = tree.getByRole("treeitem", { name: "made-by-terminal.txt" });
    await item.waitFor();
    await item.click();
    expect(new URL(files.url()).pathname).toBe("/files/made-by-terminal.txt");
    await expect.poll(() => files.getByTestId("file-content").textContent()).toContain("hi");
    await files.close();
  });

  it("shows bob none of alice's provider, secret, rule or files", async () => {
    const bob = await signIn("bob");
    await go(bob, "/config/providers");
    await bob.getByText("No providers of your own yet", { exact: false }).waitFor();
    expect(await bob.getByText("mine").count()).toBe(0);

    await bob.getByRole("tab", { name: "Secrets" }).click();
    await bob.getByText("No secrets yet.").waitFor();
    expect(await bob.getByText("ALICE_SECRET").count()).toBe(0);

    await bob.getByRole("tab", { name: "Risk policy" }).click();
    await bob.getByText("No rules of your own").waitFor();
    expect(await everything(bob)).not.toContain("alice-tool");

    await bob.getByRole("button", { name: "Files", exact: true }).click();
    await bob.getByText("The workspace is empty", { exact: false }).waitFor();
    expect(await bob.getByRole("treeitem", { name: "made-by-terminal.txt" }).count()).toBe(0);

    await bob.getByRole("button", { name: "Terminal", exact: true }).click();
    await bob.getByText("No terminal open").waitFor();
    expect(await everything(bob)).not.toContain(KEY);
    await bob.context().close();
  });
});
