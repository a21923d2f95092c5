// Screenshots of every main view, in English and Simplified Chinese, for the README
// (docs/screenshots/). Runs the real stack (e2e/harness.mjs: the server binary, the fake
// LLM's scenario) and Debian's Chromium.
//
//   npm run screenshots            (after `make web` and `cargo build -p arranger -p arranger-fake-llm`)

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowser, PASSWORD, rpc, startStack } from "../e2e/harness.mjs";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "docs", "screenshots");
const VIEWPORT = { width: 1440, height: 900 };
const LANGS = { en: { user: "alice", locale: "en-US" }, zh: { user: "chen", locale: "zh-CN" } };

async function until(what, f, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const stack = await startStack({ users: { alice: true, bob: false, chen: true } });
const browser = await launchBrowser();
const shots = [];
try {
  for (const [lang, { user, locale }] of Object.entries(LANGS)) {
    mkdirSync(join(out, lang), { recursive: true });
    const context = await browser.newContext({ locale, viewport: VIEWPORT });
    await context.addInitScript((l) => {
      localStorage.setItem("arranger.lang", l);
      if (!localStorage.getItem("arranger.theme")) localStorage.setItem("arranger.theme", "light");
    }, lang);
    const page = await context.newPage();
    const shot = async (name, what) => {
      await page.waitForTimeout(400); // let transitions and fonts settle
      await page.screenshot({ path: join(out, lang, `${name}.png`) });
      shots.push({ lang, name, what });
      console.log(`${lang}/${name}.png`);
    };
    const go = async (path) => {
      await page.goto(`${stack.url}${path}`);
      await page.getByTestId("me").waitFor();
    };

    await page.goto(`${stack.url}/`);
    await page.locator("input[name=username]").waitFor();
    await shot("sign-in", "Sign-in (multi-user)");
    await page.locator("input[name=username]").fill(user);
    await page.locator("input[name=password]").fill(PASSWORD);
    await page.locator("button[type=submit]").click();
    await page.getByTestId("me").waitFor();

    // The scenario: a request becomes two tasks; the Tester's `rm -rf build` asks first.
    await rpc(page, "blackboard.post", { text: lang === "zh" ? "请添加问候模块，并清理构建目录" : "Please add a greeting module and clean the build directory" });
    await page.getByRole("dialog").first().waitFor({ timeout: 60_000 });
    await shot("confirm", "Confirmation of a High-risk command");
    const pending = await rpc(page, "toolrun.pending");
    for (const run of pending.runs) await rpc(page, "toolrun.decide", { id: run.id, decision: "allow_once" });
    await until("both tasks done", async () => {
      const { tasks } = await rpc(page, "task.list");
      return tasks.length >= 2 && tasks.every((t) => t.status === "done");
    });
    await rpc(page, "agent.chat", { agent: "Coder", text: lang === "zh" ? "你能做什么？" : "What can you do?" });
    const term = await rpc(page, "terminal.create", { cols: 120, rows: 30 });
    await rpc(page, "terminal.input", { id: term.id, data: "ls -la src && python3 -c 'import src.greeting as g; print(g.greet(\"Ada\"))'\r" });

    await go("/");
    await shot("blackboard", "Blackboard: the request, the Manager's reply, live task cards");
    await go("/tasks");
    await shot("tasks", "Task board");
    await page.locator("[data-task]").first().click();
    await page.getByRole("dialog").waitFor();
    await shot("task", "A task: record, tool runs, the Scheduler's scores");
    const { agents } = await rpc(page, "agent.list");
    const coder = agents.find((a) => a.name === "Coder");
    await go(`/agents/${coder.id}`);
    await shot("agent", "1:1 chat with an agent");
    await go("/config/providers");
    await shot("settings-providers", "Settings: providers and models");
    await go("/config/team");
    await shot("settings-team", "Settings: the team");
    await go("/config/policy");
    await shot("settings-policy", "Settings: risk policy");
    await go("/terminal");
    await page.locator(".xterm").first().waitFor();
    await shot("terminal", "Terminal");
    await go("/files/src/greeting.py");
    await shot("files", "File browser");
    await go("/context");
    await page.getByRole("searchbox").fill(lang === "zh" ? "greeting module" : "greeting module");
    await page.getByTestId("snippet").first().waitFor();
    await shot("context", "Context: ranked snippets from the workspace index and earlier tasks, each with its reason");
    await go("/admin");
    await shot("admin", "Admin: users and tokens");
    if (lang === "en") {
      // Some limits to show: defaults for everyone, caps, and bob's own overrides.
      await rpc(page, "admin.limits.set", {
        limits: { quotas: { storage_bytes: 2 * 1024 ** 3, terminals: 4, tokens_per_day: 2_000_000, cost_per_day_usd: 10 }, permissions: {} },
        caps: { cost_per_month_usd: 500 },
      });
      await rpc(page, "admin.limits.set", { user: "bob", limits: { quotas: { storage_bytes: 512 * 1024 ** 2 }, permissions: { terminals: false } } });
    }
    await go("/admin/limits");
    await page.getByTestId("server-spending").waitFor();
    await shot("admin-limits", "Admin: quotas, budgets and permissions (server defaults and caps)");
    await page.locator("main select, select").filter({ has: page.locator("option[value=bob]") }).selectOption("bob");
    await page.getByTestId("effective-limits").waitFor();
    await page.getByTestId("user-spending").scrollIntoViewIfNeeded();
    await shot("admin-limits-user", "Admin: one user's overrides, effective limits and spending");
    await go("/admin/audit");
    await page.getByRole("table").waitFor();
    await shot("admin-audit", "Admin: the audit log");
    await go("/config/usage");
    await page.getByTestId("usage-storage_bytes").waitFor();
    await shot("settings-usage", "Settings: usage and limits");
    await page.evaluate(() => localStorage.setItem("arranger.theme", "dark"));
    await go("/");
    await shot("blackboard-dark", "Blackboard, dark theme");
    await go("/tasks");
    await shot("tasks-dark", "Task board, dark theme");
    await context.close();
  }
  const rows = shots
    .filter((s) => s.lang === "en")
    .map((s) => `| ${s.what} | [English](en/${s.name}.png) | [中文](zh/${s.name}.png) |`);
  writeFileSync(
    join(out, "README.md"),
    `# Screenshots\n\nEvery main view of the web UI, in English and Simplified Chinese, taken by\n\`cd web && npm run screenshots\` (the real server and fake LLM, Debian's Chromium, ${VIEWPORT.width}×${VIEWPORT.height}).\n\n| view | English | 中文 |\n|---|---|---|\n${rows.join("\n")}\n\n![Blackboard](en/blackboard.png)\n![任务看板](zh/tasks.png)\n`,
  );
} finally {
  await browser.close();
  await stack.stop();
}
