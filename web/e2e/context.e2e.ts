// The context engine against the real server: files written into alice's workspace are
// indexed live (the status bar follows), ranked search finds the Rust definition with its
// reason, symbol lookup by prefix finds it too, and a result opens its file at its lines.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, rpc, signIn as signInAs, startStack, type Stack } from "./harness.mjs";

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  // No model: nothing but the index works on the workspace.
  stack = await startStack({ llm: false });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const signIn = (name: string): Promise<Page> => signInAs(browser, stack.url, name, { viewport: { width: 1440, height: 900 } });

const RUST = `use std::collections::HashMap;

/// Parses \`key = value\` lines into a config map.
pub fn parse_config(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}
`;

const PYTHON = `import json


def load_settings(path):
    """Reads the settings file as JSON."""
    with open(path) as f:
        return json.load(f)
`;

interface IndexStatus {
  state: string;
  files: number;
  symbols: number;
}

describe("context", () => {
  it("indexes written files, finds them ranked and by symbol, and the status bar says Ready", async () => {
    const alice = await signIn("alice");
    await rpc(alice, "fs.write", { path: "src/config.rs", content: RUST, create_parents: true });
    await rpc(alice, "fs.write", { path: "tools/settings.py", content: PYTHON, create_parents: true });

    // The watcher brings both files into the index.
    await expect
      .poll(async () => {
        const s = await rpc<IndexStatus>(alice, "index.status");
        return s.state === "ready" && s.files >= 2 && s.symbols >= 2;
      }, { timeout: 60_000, interval: 500 })
      .toBe(true);

    // The status bar heard it live.
    const status = alice.getByTestId("status-index");
    await expect.poll(() => status.getAttribute("data-state"), { timeout: 20_000 }).toBe("ready");
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toMatch(/^Index: [\d,]+ files · [\d,]+ symbols$/);

    // Ranked search: the Rust definition, with why it was chosen.
    await alice.getByRole("navigation", { name: "Main navigation" }).getByRole("button", { name: "Context", exact: true }).click();
    const box = alice.getByRole("searchbox", { name: "Search the workspace" });
    await box.fill("parse config");
    const card = alice.getByTestId("snippet").filter({ has: alice.getByRole("button", { name: /^src\/config\.rs:\d+/ }) }).first();
    await card.waitFor({ timeout: 20_000 });
    expect(await card.textContent()).toContain("parse_config");
    const reason = (await card.getByTestId("snippet-reason").textContent()) ?? "";
    expect(reason.trim().length).toBeGreaterThan(0);
    expect(reason).toMatch(/parse|config/i);
    await alice.getByTestId("ctx-footer").waitFor();
    expect(await alice.getByRole("main").getByRole("alert").count()).toBe(0);

    // Symbols, by prefix: the definition, its kind and where it is.
    await alice.getByRole("button", { name: "Symbols", exact: true }).click();
    await alice.getByRole("button", { name: "Prefix", exact: true }).click();
    await box.fill("parse_con");
    const row = alice.getByRole("row").filter({ hasText: "parse_config" }).first();
    await row.waitFor({ timeout: 20_000 });
    const rowText = (await row.textContent()) ?? "";
    expect(rowText).toContain("function");
    expect(rowText).toContain("pub fn parse_config");
    // Line 4 (3 when the doc comment counts as part of the definition).
    expect(rowText).toMatch(/src\/config\.rs:[34]/);

    // Esc clears the query; the explanation comes back.
    await box.press("Escape");
    await alice.getByText(/indexes your workspace's code/).waitFor();

    // A result opens its file, its lines marked.
    await box.fill("parse_con");
    await row.getByRole("button", { name: /^src\/config\.rs:[34]/ }).click();
    await alice.waitForURL(/\/files\/src\/config\.rs#L[34]/);
    await alice.getByTestId("file-content").filter({ hasText: "pub fn parse_config" }).waitFor();
    await alice.getByTestId("marked-lines").waitFor();

    // Still ready after all that.
    expect(await status.getAttribute("data-state")).toBe("ready");
    await alice.context().close();
  });
});
