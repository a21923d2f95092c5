// The Blackboard in Debian's Chromium against the real server: a request becomes the
// Manager's reply and two live task cards; a long history pages in as the user scrolls up.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, signIn as signInAs, startStack, type Stack } from "./harness.mjs";

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const signIn = (stack: Stack, name: string): Promise<Page> => signInAs(browser, stack.url, name);

/** Posts texts to a Blackboard through a second WebSocket of the page (its cookie signs in). */
async function postAll(page: Page, texts: string[], session = "default"): Promise<void> {
  await page.evaluate(
    async ({ texts, session }) => {
      const ws = new WebSocket(`ws://${location.host}/api/v1/ws`);
      await new Promise((ok, fail) => {
        ws.onopen = ok;
        ws.onerror = fail;
      });
      const pending = new Map<number, (error?: string) => void>();
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data as string) as { id?: number; error?: { message: string } };
        if (typeof m.id === "number") pending.get(m.id)?.(m.error?.message);
      };
      // One at a time: ids, and so the order on the board, follow the texts.
      for (let i = 0; i < texts.length; i++) {
        await new Promise<void>((ok, fail) => {
          pending.set(i, (error) => (error ? fail(new Error(error)) : ok()));
          ws.send(JSON.stringify({ jsonrpc: "2.0", id: i, method: "blackboard.post", params: { session, text: texts[i] } }));
        });
      }
      ws.close();
    },
    { texts, session },
  );
}

describe("the Blackboard with the team at work", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("shows the request, the Manager's reply and the two tasks as live cards", async () => {
    const page = await signIn(stack, "alice");
    // A fresh session: what the Blackboard is for, and an example to start from.
    await page.getByRole("heading", { name: /where you and your team talk/ }).waitFor();
    const box = page.getByRole("combobox", { name: "Message" });
    await page.getByRole("button", { name: /greeting module with a test/ }).click();
    await expect.poll(() => box.inputValue()).toMatch(/^Add a greeting module/);

    await box.fill("add a greeting module and clean the build");
    await box.press("Enter");
    const feed = page.getByRole("feed", { name: "Messages" });
    await feed.getByRole("article").filter({ hasText: "add a greeting module and clean the build" }).waitFor();
    await expect.poll(() => box.inputValue()).toBe("");

    const reply = feed.getByRole("article").filter({ hasText: "Created two tasks" });
    await reply.waitFor();
    expect(await reply.getByTestId("author").textContent()).toBe("Manager");

    const coderCard = feed.getByRole("link", { name: /Implement greeting module/ });
    const testerCard = feed.getByRole("link", { name: /Clean the build directory/ });
    // Live: the Coder finishes; the Tester waits for the user to confirm `rm -rf build`.
    await coderCard.locator('[data-status="done"]').waitFor();
    await testerCard.locator('[data-status="needs_confirm"]').waitFor();
    expect(await testerCard.textContent()).toContain("Assignee: Tester");
    expect(await testerCard.textContent()).toContain("Needs confirmation");

    // A system broadcast sits apart from the conversation.
    const assigned = feed.getByRole("article").filter({ hasText: /Assigned Implement greeting module to Coder/ });
    expect(await assigned.getAttribute("data-author")).toBe("system");

    // Allowed in the confirmation dialog, the Tester finishes: its card follows.
    const dialog = page.getByRole("dialog", { name: "Confirm tool call" });
    await dialog.getByRole("button", { name: "Allow once" }).click();
    await dialog.waitFor({ state: "detached" });
    await testerCard.locator('[data-status="done"]').waitFor();

    await coderCard.click();
    await expect.poll(() => new URL(page.url()).pathname).toMatch(/^\/tasks\/.+/);
    await page.context().close();
  });

  it("completes @mentions and /task from the keyboard", async () => {
    const page = await signIn(stack, "bob");
    const box = page.getByRole("combobox", { name: "Message" });
    await box.click();
    await box.pressSequentially("ping @te");
    const list = page.getByRole("listbox", { name: "Suggestions" });
    await list.getByRole("option", { name: /@Tester/ }).waitFor();
    await box.press("Enter");
    await expect.poll(() => box.inputValue()).toBe("ping @Tester ");
    await box.fill("");
    await box.pressSequentially("/ta");
    await list.getByRole("option", { name: /\/task/ }).waitFor();
    await box.press("Tab");
    await box.pressSequentially("write the changelog");
    await box.press("Enter");
    // The user's command stays as they wrote it; the task's announcement carries its card.
    const feed = page.getByRole("feed");
    await feed.getByText("/task write the changelog").waitFor();
    await feed.getByRole("link", { name: /write the changelog/ }).waitFor();
    await page.context().close();
  });
});

describe("a long Blackboard history", () => {
  let stack: Stack;
  beforeAll(async () => {
    // No model: 120 posts wake nobody (the server answers each with a notice that no model is set up).
    stack = await startStack({ llm: false });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("reads the newest page, pages older ones in as the user scrolls up, keeping its place", async () => {
    const page = await signIn(stack, "alice");
    await postAll(
      page,
      Array.from({ length: 120 }, (_, i) => `history message ${i + 1}`),
    );
    await page.reload();
    const feed = page.getByRole("feed", { name: "Messages" });
    const row = (n: number) => feed.getByText(`history message ${n}`, { exact: true });
    await row(120).waitFor();
    // Only the newest page was read, and only rows near the viewport exist.
    expect(await row(1).count()).toBe(0);
    expect(await feed.getByRole("article").count()).toBeLessThan(40);

    // Scroll up to just short of where the page before is read: note the first message in view.
    const firstInView = (top: number) =>
      feed.evaluate(async (el, top) => {
        el.scrollTop = top;
        for (let frame = 0; frame < 120; frame++) {
          await new Promise((r) => requestAnimationFrame(r));
          const edge = el.getBoundingClientRect().top;
          const p = [...el.querySelectorAll("[role=article] p")].find((p) => {
            const y = p.getBoundingClientRect().top;
            return y >= edge && y < edge + el.clientHeight;
          });
          if (p) return { text: p.textContent ?? "", y: p.getBoundingClientRect().top };
        }
        return null;
      }, top);
    const before = await firstInView(700);
    expect(before?.text).toMatch(/^history message \d+$/);
    const height = await feed.evaluate((el) => el.scrollHeight);
    // 200 px further up, the page before is read in above…
    await feed.evaluate((el) => {
      el.scrollTop -= 200;
    });
    await expect.poll(() => feed.evaluate((el) => el.scrollHeight)).toBeGreaterThan(height + 1000);
    // …and what the user was looking at has not moved (but for the 200 px they scrolled).
    const still = feed.getByText(before!.text, { exact: true });
    expect(await still.count()).toBe(1); // still rendered, near the viewport
    const after = await still.boundingBox();
    expect(Math.abs(after!.y - (before!.y + 200))).toBeLessThan(40);

    // Further up: the very first message and the beginning of the session.
    await expect
      .poll(
        async () => {
          await feed.evaluate((el) => {
            el.scrollTop = 0;
          });
          return row(1).count();
        },
        { timeout: 10_000 },
      )
      .toBe(1);
    await feed.getByText("This is the beginning of Main.").waitFor();

    // Reading old messages, a new one does not pull the view down: it is counted instead.
    await postAll(page, ["a message from elsewhere"]);
    const jump = page.getByRole("button", { name: /Jump to latest/ });
    // (Counted: the post, and the server's notice that no model is set up.)
    await jump.filter({ hasText: "2 new" }).waitFor();
    expect(await feed.getByText("a message from elsewhere").count()).toBe(0);
    await jump.click();
    await feed.getByText("a message from elsewhere").waitFor();
    await page.context().close();
  });
});
