// @ts-check
// The real stack for end-to-end tests, screenshots and benchmarks: the fake LLM server,
// a multi-user `arranger` on an ephemeral port with users made by its own CLI, and
// Debian's Chromium driven by playwright-core.
//
//   node e2e/harness.mjs        starts the stack and prints the address and users
//                               (for looking at the UI by hand); Ctrl-C stops it.
//
// The server serves the UI embedded in its binary, or the directory named by E2E_WEB_DIR
// (e.g. `E2E_WEB_DIR=$PWD/dist` after `npm run build`), so a UI change can be tried
// without rebuilding the server.

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const targetDir = process.env.CARGO_TARGET_DIR ?? join(homedir(), ".cache", "arranger-target");
/** The server binary (`cargo build -p arranger`), or ARRANGER_BIN. */
export const ARRANGER_BIN = process.env.ARRANGER_BIN ?? join(targetDir, "debug", "arranger");
/** The fake LLM binary (`cargo build -p arranger-fake-llm`), or FAKE_LLM_BIN. */
export const FAKE_LLM_BIN = process.env.FAKE_LLM_BIN ?? join(targetDir, "debug", "fake-llm");
export const PASSWORD = "correct horse battery staple";

/**
 * Starts a process and resolves with the first stdout line matching `pattern`.
 * @param {string} cmd @param {string[]} args @param {NodeJS.ProcessEnv} env @param {RegExp} pattern
 * @returns {Promise<{ child: import("node:child_process").ChildProcess, match: RegExpMatchArray }>}
 */
function startUntil(cmd, args, env, pattern) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start in 60 s:\n${out}\n${err}`)), 60_000);
    child.stdout?.on("data", (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    });
    child.stderr?.on("data", (d) => {
      err += d;
      if (err.length > 100_000) err = err.slice(-50_000);
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${e.message} (build it with \`make test\` or cargo build)`));
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code}:\n${err.slice(-4000)}`));
    });
  });
}

/**
 * @typedef {{ url: string, dataDir: string, llmUrl: string, users: Record<string, string>, stop: () => Promise<void> }} Stack
 */

/**
 * Starts the fake LLM and a multi-user server with the given users (`name` → admin?).
 * `llm: false` starts the server without a language model (no fake LLM, no OPENAI_* or
 * ARRANGER_MODEL): posts then wake no agent, for loading thousands of messages.
 * @param {{ users?: Record<string, boolean>, scenario?: string, extraEnv?: NodeJS.ProcessEnv, llm?: boolean }} [opts]
 * @returns {Promise<Stack>}
 */
export async function startStack(opts = {}) {
  const users = opts.users ?? { alice: true, bob: false };
  const dataDir = mkdtempSync(join(tmpdir(), "arranger-e2e-"));
  const scenario = opts.scenario ?? join(here, "scenario.json");
  const withLlm = opts.llm ?? true;
  const llm = withLlm
    ? await startUntil(FAKE_LLM_BIN, ["--scenario", scenario, "--listen", "127.0.0.1:0"], process.env, /^(http\S+)\s*$/m)
    : null;
  const llmUrl = llm ? llm.match[1] : "";
  for (const [name, admin] of Object.entries(users)) {
    const r = spawnSync(ARRANGER_BIN, ["user", "add", name, "--password-stdin", "--data-dir", dataDir, ...(admin ? ["--admin"] : [])], {
      input: `${PASSWORD}\n`,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`arranger user add ${name}: ${r.stderr || r.error}`);
  }
  /** @type {NodeJS.ProcessEnv} */
  const env = {
    ...process.env,
    ...(llm ? { OPENAI_API_KEY: "sk-e2e", OPENAI_BASE_URL: `${llmUrl}/v1`, ARRANGER_MODEL: "fake-model" } : {}),
    RUST_LOG: process.env.RUST_LOG ?? "warn",
    ...opts.extraEnv,
  };
  delete env.ANTHROPIC_API_KEY;
  if (!llm) for (const k of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ARRANGER_MODEL"]) delete env[k];
  const server = await startUntil(
    ARRANGER_BIN,
    [
      "serve",
      "--multi-user",
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      "--rate-limit",
      "1000",
      ...(process.env.E2E_WEB_DIR ? ["--web-dir", process.env.E2E_WEB_DIR] : []),
    ],
    env,
    /listening on (http:\/\/\S+?)\/?$/m,
  );
  const url = server.match[1];
  const stop = async () => {
    for (const c of [server.child, llm?.child]) {
      if (!c) continue;
      if (c.exitCode === null) {
        const done = new Promise((r) => c.once("exit", r));
        c.kill("SIGTERM");
        await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
        if (c.exitCode === null) c.kill("SIGKILL");
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, dataDir, llmUrl, users: Object.fromEntries(Object.keys(users).map((u) => [u, PASSWORD])), stop };
}

/**
 * Starts a single-user server on a fresh workspace (no language model) and resolves with
 * the address it prints at start, `http://…/?token=…`.
 * @returns {Promise<{ startUrl: string, url: string, token: string, workspace: string, stop: () => Promise<void> }>}
 */
export async function startSingle() {
  const root = mkdtempSync(join(tmpdir(), "arranger-e2e-single-"));
  const workspace = join(root, "workspace");
  const dataDir = join(root, "data");
  mkdirSync(workspace);
  const env = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" };
  for (const k of ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ARRANGER_MODEL", "ARRANGER_TOKEN"]) delete env[k];
  const server = await startUntil(
    ARRANGER_BIN,
    [
      "serve",
      "--workspace",
      workspace,
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      ...(process.env.E2E_WEB_DIR ? ["--web-dir", process.env.E2E_WEB_DIR] : []),
    ],
    env,
    /(http:\/\/\S+?)\/\?token=(\S+)/m,
  );
  const stop = async () => {
    const c = server.child;
    if (c.exitCode === null) {
      const done = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
      if (c.exitCode === null) c.kill("SIGKILL");
    }
    rmSync(root, { recursive: true, force: true });
  };
  return { startUrl: server.match[0], url: server.match[1], token: server.match[2], workspace, stop };
}

/** Chromium flags for this machine: no sandbox as root, no calls home (the network is closed). */
export const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** Launches Debian's Chromium (CHROMIUM_BIN overrides the path). */
export async function launchBrowser() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/**
 * A new English browser context signed in as `name` (the sign-in form, then the
 * `path` asked for).
 * @param {import("playwright-core").Browser} browser @param {string} url @param {string} name
 * @param {{ path?: string, viewport?: { width: number, height: number } }} [opts]
 */
export async function signIn(browser, url, name, opts = {}) {
  const context = await browser.newContext({ locale: "en-US", viewport: opts.viewport ?? { width: 1280, height: 800 } });
  await context.addInitScript(() => localStorage.setItem("arranger.lang", "en"));
  const page = await context.newPage();
  await page.goto(`${url}${opts.path ?? "/"}`);
  await page.getByLabel("User name").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("me").filter({ hasText: name }).waitFor();
  return page;
}

/**
 * Calls a method over a WebSocket the page opens (its login cookie signs it in) and
 * resolves with the result; rejects with the server's error message.
 * @param {import("playwright-core").Page} page @param {string} method @param {object} [params]
 */
export async function rpc(page, method, params = {}) {
  const res = await page.evaluate(
    async ([method, params]) => {
      const ws = new WebSocket(`${location.origin.replace(/^http/, "ws")}/api/v1/ws`);
      await new Promise((ok, fail) => ((ws.onopen = ok), (ws.onerror = fail)));
      const answer = await new Promise((ok) => {
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data);
          if (m.id === 1) ok(m);
        };
        ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }));
      });
      ws.close();
      return answer;
    },
    [method, params],
  );
  if (res.error) throw new Error(`${method}: ${res.error.message}`);
  return res.result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stack = await startStack();
  console.log(`Arranger at ${stack.url}/ (fake LLM at ${stack.llmUrl})`);
  for (const u of Object.keys(stack.users)) console.log(`  user ${u} / password "${PASSWORD}"`);
  const bye = async () => {
    await stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", bye);
  process.on("SIGTERM", bye);
}
