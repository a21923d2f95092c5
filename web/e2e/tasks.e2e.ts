// The task board, the task view, the confirmation dialog and the agent chat, in Debian's
// Chromium against the real server and the fake LLM's scenario (e2e/scenario.json).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, rpc, signIn as signInAs, startStack, type Stack } from "./harness.mjs";

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

const signIn = (name: string, path = "/tasks"): Promise<Page> =>
  signInAs(browser, stack.url, name, { path, viewport: { width: 1440, height: 900 } });

/** Posts on the Blackboard as the page's user. */
async function post(page: Page, text: string): Promise<void> {
  await rpc(page, "blackboard.post", { text });
}

const column = (page: Page, name: string) => page.getByRole("region", { name, exact: true });
const card = (page: Page, column_: string, title: string) => column(page, column_).getByRole("button", { name: title, exact: true });

describe("tasks", () => {
  it("runs the scenario: tasks move across the board, the High call waits for alice, both end Done", async () => {
    const alice = await signIn("alice");
    const bob = await signIn("bob");
    await column(bob, "Done").waitFor();

    await post(alice, "Please add a greeting module and clean the build");

    // The Tester's `rm -rf build` waits for a decision: the dialog says so, High, in red.
    const dialog = alice.getByRole("dialog", { name: "Confirm tool call" });
    await dialog.waitFor();
    expect(await dialog.getByTestId("confirm-command").textContent()).toBe("rm -rf build");
    await dialog.getByText("High risk", { exact: true }).waitFor();
    expect(await dialog.getByText("rm with -r and -f deletes recursively without asking").count()).toBe(1);
    expect(await dialog.getByRole("button", { name: "Always allow" }).isDisabled()).toBe(true);
    await card(alice, "Needs confirmation", "Clean the build directory").waitFor();
    // The Coder's task needs nobody: it reaches Done on its own.
    await card(alice, "Done", "Implement greeting module").waitFor();

    // Escape only puts the dialog aside; the status bar brings it back.
    await alice.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await alice.getByRole("button", { name: "1 waiting for confirmation" }).click();
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Allow once" }).click();
    await dialog.waitFor({ state: "detached" });

    await card(alice, "Done", "Clean the build directory").waitFor();
    await expect.poll(() => column(alice, "Done").getByRole("button").count()).toBe(2);
    expect(await alice.getByRole("button", { name: /waiting for confirmation/ }).count()).toBe(0);

    // Bob's board stays empty and no dialog ever opens for him, live or after a reload.
    expect(await bob.getByRole("dialog").count()).toBe(0);
    expect(await bob.locator("[data-task]").count()).toBe(0);
    expect(await bob.getByTestId("task-count").textContent()).toBe("0 tasks");
    await bob.reload();
    await column(bob, "Done").waitFor();
    expect(await bob.locator("[data-task]").count()).toBe(0);
    await bob.context().close();

    // The Tester's task: history, the run that was allowed, the Scheduler's choice.
    await card(alice, "Done", "Clean the build directory").click();
    const view = alice.getByRole("dialog", { name: "Clean the build directory" });
    await view.getByText("Removing the old build output.").waitFor();
    const run = view.getByRole("article", { name: "Tool call run_command" });
    await run.getByText("Allowed once by you").waitFor();
    expect(await run.getByText("High risk").count()).toBe(1);
    await view.getByRole("region", { name: "Report" }).getByText("build/").waitFor();
    await view.getByRole("tab", { name: /Tool runs/ }).click();
    await view.getByRole("article", { name: "Tool call complete_task" }).waitFor();
    await view.getByRole("tab", { name: "Scheduler" }).click();
    const chosen = view.getByRole("table", { name: "The Scheduler's score breakdown" }).locator("tr[data-chosen]");
    expect(await chosen.getByRole("rowheader").textContent()).toContain("Tester");
    await view.getByRole("tab", { name: "State changes" }).click();
    await view.getByText("you allowed the tool call").waitFor();
    await alice.keyboard.press("Escape");
    await view.waitFor({ state: "detached" });
    // Focus goes back to the card that opened it.
    expect(await alice.evaluate(() => document.activeElement?.getAttribute("data-task"))).toBeTruthy();

    // The Coder's task: the file it wrote, as a diff.
    await card(alice, "Done", "Implement greeting module").click();
    const coder = alice.getByRole("dialog", { name: "Implement greeting module" });
    const diff = coder.getByRole("table", { name: "Changes to src/greeting.py" });
    await diff.getByText('raise ValueError("name must not be empty")').waitFor();
    await coder.getByRole("button", { name: "Close" }).click();
    await coder.waitFor({ state: "detached" });
    await alice.context().close();
  });

  it("chats 1:1 with an agent: the reply streams in, then stays with its thinking", async () => {
    const page = await signIn("alice", "/agents");
    await page.getByRole("button", { name: "Chat with Coder" }).click();
    const box = page.getByLabel("Message to Coder");
    await box.fill("hi there");
    // Watch every DOM change: the streamed reply must show while the agent answers.
    await page.evaluate(() => {
      const w = window as unknown as { sawStream: string[] };
      w.sawStream = [];
      new MutationObserver(() => {
        const row = document.querySelector('[data-testid="streaming"]');
        if (row?.textContent?.includes("Hello")) w.sawStream.push(row.textContent);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await box.press("Enter");
    const log = page.getByRole("log", { name: "Conversation with Coder" });
    await log.getByText("Hello! I can read your workspace and answer questions about it.").waitFor();
    // The finished turn replaced the streaming row, which had shown the reply growing.
    expect(await page.getByTestId("streaming").count()).toBe(0);
    const seen = await page.evaluate(() => (window as unknown as { sawStream: string[] }).sawStream);
    expect(seen.length).toBeGreaterThan(1);
    expect(new Set(seen).size).toBeGreaterThan(1);
    await log.getByText("hi there").waitFor();
    await log.getByText("Thinking").click();
    await log.getByText("A greeting; nothing to look up.").waitFor();

    // After a reload the conversation comes back when the server keeps chats (agent.history);
    // an older server says that only this visit's turns are shown.
    const info = await rpc<{ methods: string[] }>(page, "server.info", {});
    await page.reload();
    await page.getByLabel("Message to Coder").waitFor();
    if (info.methods.includes("agent.history")) {
      await page.getByRole("log", { name: "Conversation with Coder" }).getByText("hi there").waitFor();
    } else {
      await page.getByText(/Shows this visit's conversation only/).waitFor();
    }
    await page.context().close();
  });
});
