import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../i18n";
import { RpcError } from "../lib/rpc";
import { resetStore, useStore } from "../lib/store";
import type { IndexSearchResult, Snippet } from "../protocol.gen";
import { makeTask } from "../testing/tasks";
import Context from "./Context";
import { useFakeApi, type FakeApi } from "./testing/fakeApi";

vi.mock("../lib/sync", async () => (await import("./testing/fakeApi")).syncMock);

const rust: Snippet = {
  source: "code",
  path: "src/config.rs",
  start_line: 3,
  end_line: 5,
  symbol: "parse_config",
  text: "pub fn parse_config(text: &str) -> Config {\n    toml::from_str(text).unwrap()\n}\n",
  score: 2.5,
  reason: "defines `parse_config`; BM25 on parse, config",
  tokens: 24,
};
const memory: Snippet = {
  source: "task",
  path: "task:t7",
  start_line: 1,
  end_line: 1,
  text: "Read the config file at start",
  score: 1.1,
  reason: "earlier task: BM25 on config",
  tokens: 9,
};
const ranked = (over: Partial<IndexSearchResult> = {}): IndexSearchResult => ({ snippets: [rust, memory], tokens: 33, truncated: false, partial: false, ...over });

let fake: FakeApi;
const box = () => screen.getByRole("searchbox", { name: "Search the workspace" });
const type = (text: string) => fireEvent.change(box(), { target: { value: text } });

describe("Context view", () => {
  beforeEach(() => {
    resetStore();
    setLang("en");
    history.replaceState(null, "", "/context");
    useStore.setState({ connection: "open", tasks: { t7: makeTask("t7", { title: "Load the config" }) } });
    fake = useFakeApi({
      "index.search": () => ranked({ truncated: true }),
      "index.symbols": () => ({
        symbols: [
          { name: "parse_config", kind: "function", path: "src/config.rs", start_line: 3, end_line: 5, signature: "pub fn parse_config(text: &str) -> Config" },
          { name: "parse_args", kind: "method", path: "app/cli.py", start_line: 10, end_line: 20, scope: "class Cli", signature: "def parse_args(self)" },
        ],
      }),
    });
  });

  it("explains itself before anything is searched", () => {
    render(<Context />);
    expect(screen.getByText(/indexes your workspace's code/)).toBeTruthy();
    expect(fake.calls).toEqual([]);
  });

  it("searches once typing pauses and shows snippets as cards with their reasons", async () => {
    render(<Context />);
    type("p");
    type("parse");
    type("parse config");
    const card = await screen.findByRole("article", { name: "src/config.rs:3–5" });
    expect(fake.paramsOf("index.search")).toEqual([{ query: "parse config", k: 20, budget_tokens: 8000 }]);
    expect(within(card).getByText("parse_config", { selector: "header code" })).toBeTruthy();
    expect(within(card).getByTestId("snippet-reason").textContent).toBe("defines `parse_config`; BM25 on parse, config");
    expect(within(card).getByText("24 tokens")).toBeTruthy();
    // Highlighted as Rust, numbered from the snippet's first line.
    expect(card.querySelector(".hljs-keyword")?.textContent).toBe("pub");
    expect(card.querySelector("pre[aria-hidden]")?.textContent).toBe("3\n4\n5");
    // Memory: a badge and a link to the task, by its title.
    const task = screen.getByRole("article", { name: "task:t7" });
    expect(within(task).getByText("Task")).toBeTruthy();
    expect(within(task).getByText("Read the config file at start")).toBeTruthy();
    expect(screen.getByTestId("ctx-footer").textContent).toBe("2 snippets · 33 tokensMore results did not fit.");
    expect(screen.queryByTestId("ctx-partial")).toBeNull();

    fireEvent.click(within(task).getByRole("button", { name: "Load the config" }));
    expect(location.pathname).toBe("/tasks/t7");
  });

  it("opens a snippet's file at its lines", async () => {
    render(<Context />);
    type("parse config");
    fireEvent.click(await screen.findByRole("button", { name: "src/config.rs:3–5" }));
    expect(location.pathname).toBe("/files/src/config.rs");
    expect(location.hash).toBe("#L3-L5");
  });

  it("searches at once on Enter, clears on Escape", async () => {
    render(<Context />);
    type("parse");
    fireEvent.keyDown(box(), { key: "Enter" });
    expect(fake.paramsOf("index.search")).toHaveLength(1);
    await screen.findByRole("article", { name: "src/config.rs:3–5" });
    await new Promise((ok) => setTimeout(ok, 350));
    expect(fake.paramsOf("index.search")).toHaveLength(1);
    fireEvent.keyDown(box(), { key: "Escape" });
    expect((box() as HTMLInputElement).value).toBe("");
    expect(screen.queryByRole("article")).toBeNull();
    expect(screen.getByText(/indexes your workspace's code/)).toBeTruthy();
  });

  it("says when the index is still building", async () => {
    fake.impl["index.search"] = () => ranked({ partial: true });
    render(<Context />);
    type("config");
    expect((await screen.findByTestId("ctx-partial")).textContent).toBe("The index is still being built: these results may be incomplete.");
    expect(screen.getByTestId("ctx-footer").textContent).toBe("2 snippets · 33 tokens");
  });

  it("shows the server's error plainly", async () => {
    fake.impl["index.search"] = () => {
      throw new RpcError(-32602, "invalid params: query must not be empty");
    };
    render(<Context />);
    type("   x");
    expect((await screen.findByRole("alert")).textContent).toBe("invalid params: query must not be empty");
  });

  it("looks symbols up by name with the chosen match", async () => {
    render(<Context />);
    fireEvent.click(screen.getByRole("button", { name: "Symbols" }));
    expect(screen.getByRole("button", { name: "Prefix" }).getAttribute("aria-pressed")).toBe("true");
    fireEvent.click(screen.getByRole("button", { name: "Fuzzy" }));
    type("prsarg");
    const table = await screen.findByRole("table");
    expect(fake.paramsOf("index.symbols")).toEqual([{ query: "prsarg", match: "fuzzy", limit: 100 }]);
    expect(fake.paramsOf("index.search")).toEqual([]);
    const rows = within(table).getAllByRole("row");
    expect(rows.map((r) => Array.from(r.querySelectorAll("th,td")).map((c) => c.textContent))).toEqual([
      ["Kind", "Name", "Scope", "Signature", "Location"],
      ["function", "parse_config", "—", "pub fn parse_config(text: &str) -> Config", "src/config.rs:3–5"],
      ["method", "parse_args", "class Cli", "def parse_args(self)", "app/cli.py:10–20"],
    ]);
    fireEvent.click(within(table).getByRole("button", { name: "app/cli.py:10–20" }));
    expect(location.pathname).toBe("/files/app/cli.py");
  });

  it("drops the answer of an older query", async () => {
    const answers: ((r: IndexSearchResult) => void)[] = [];
    fake.impl["index.search"] = () => new Promise((ok) => answers.push(ok));
    render(<Context />);
    type("old");
    fireEvent.keyDown(box(), { key: "Enter" });
    type("new");
    fireEvent.keyDown(box(), { key: "Enter" });
    await act(async () => {
      answers[1](ranked({ snippets: [rust] }));
      answers[0](ranked({ snippets: [memory] }));
    });
    await waitFor(() => expect(screen.getAllByRole("article")).toHaveLength(1));
    expect(screen.getByRole("article", { name: "src/config.rs:3–5" })).toBeTruthy();
  });
});
