// Screenshots of the task board, the task view, the confirmation dialog and the agent
// chat against a running stack (node e2e/harness.mjs): light/dark, en/zh, 1280/1920.
//   node e2e/shots-tasks.mjs http://127.0.0.1:PORT [user] [outdir]

import { launchBrowser, PASSWORD } from "./harness.mjs";

const [base, user = "alice", out = "/tmp"] = process.argv.slice(2);
const browser = await launchBrowser();

async function open(width, theme, lang) {
  const context = await browser.newContext({ locale: lang === "zh" ? "zh-CN" : "en-US", viewport: { width, height: width === 1920 ? 1080 : 800 } });
  await context.addInitScript(
    ([th, la]) => {
      localStorage.setItem("arranger.theme", th);
      localStorage.setItem("arranger.lang", la);
    },
    [theme, lang],
  );
  const page = await context.newPage();
  await page.goto(`${base}/`);
  const name = page.getByLabel(lang === "zh" ? "用户名" : "User name");
  await name.or(page.getByTestId("me")).first().waitFor();
  if (await name.isVisible()) {
    await page.getByLabel(lang === "zh" ? "用户名" : "User name").fill(user);
    await page.getByLabel(lang === "zh" ? "密码" : "Password").fill(PASSWORD);
    await page.getByRole("button", { name: lang === "zh" ? "登录" : "Sign in" }).click();
  }
  await page.getByTestId("me").filter({ hasText: user }).waitFor();
  return page;
}

/** Posts on the Blackboard through a WebSocket of the page (the login cookie signs it in). */
async function post(page, text) {
  return page.evaluate(async (text) => {
    const ws = new WebSocket(`${location.origin.replace(/^http/, "ws")}/api/v1/ws`);
    await new Promise((r, j) => ((ws.onopen = r), (ws.onerror = j)));
    const res = await new Promise((r) => {
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        if (m.id === 1) r(m);
      };
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "blackboard.post", params: { text } }));
    });
    ws.close();
    return res;
  }, text);
}

const mode = process.env.SHOTS ?? "all";
const combos = [
  [1280, "light", "en"],
  [1920, "dark", "en"],
  [1280, "dark", "zh"],
  [1920, "light", "zh"],
];
let first = true;
for (const [w, theme, lang] of combos) {
  const tag = `${w}-${theme}-${lang}`;
  const page = await open(w, theme, lang);
  await page.goto(`${base}/tasks`);
  await page.waitForTimeout(300);
  if (mode !== "nopost") {
    await post(page, "Please add a greeting module and clean the build");
    await page.getByRole("dialog").first().waitFor();
    await page.waitForTimeout(400);
    await page.screenshot({ path: `${out}/tasks-confirm-${tag}.png` });
    await page.keyboard.press("Escape");
    await page.waitForTimeout(200);
    await page.screenshot({ path: `${out}/tasks-board-waiting-${tag}.png` });
    await page.getByRole("button", { name: lang === "zh" ? /待确认/ : /waiting for confirmation/ }).click();
    while (await page.getByRole("dialog").count()) {
      await page.getByRole("button", { name: lang === "zh" ? "允许一次" : "Allow once" }).click();
      await page.waitForTimeout(300);
    }
    await page.waitForTimeout(1500);
    first = false;
  }
  await page.screenshot({ path: `${out}/tasks-board-${tag}.png` });
  const cards = page.locator("[data-task]");
  const n = await cards.count();
  for (let i = 0; i < n; i++) {
    await cards.nth(i).click();
    await page.getByRole("dialog").waitFor();
    await page.waitForTimeout(500);
    await page.screenshot({ path: `${out}/tasks-view-${i}-${tag}.png` });
    for (const [k, tab] of (await page.getByRole("tab").all()).entries()) {
      const name = `${k}${(await tab.textContent()).replace(/\W+/g, "").slice(0, 12)}`;
      await tab.click();
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${out}/tasks-view-${i}-tab-${name || "x"}-${tag}.png` });
    }
    await page.keyboard.press("Escape");
  }
  await page.goto(`${base}/agents`);
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${out}/tasks-agents-${tag}.png` });
  await page.goto(`${base}/agents/coder`);
  const box = page.getByRole("textbox");
  await box.fill(lang === "zh" ? "你好" : "hi there");
  await box.press("Enter");
  await page.waitForTimeout(250);
  await page.screenshot({ path: `${out}/tasks-chat-streaming-${tag}.png` });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${out}/tasks-chat-${tag}.png` });
  await page.context().close();
}
await browser.close();
console.log("ok");
