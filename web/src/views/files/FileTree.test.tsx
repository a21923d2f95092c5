import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { resetStore, useStore } from "../../lib/store";
import type { DirEntry } from "../../protocol.gen";
import { useFakeApi, type FakeApi } from "../testing/fakeApi";
import { Files } from "../Files";
import { affected } from "./useTree";

vi.mock("../../lib/sync", async () => (await import("../testing/fakeApi")).syncMock);

const file = (name: string, size = 10): DirEntry => ({ name, kind: "file", size, modified: 1_700_000_000_000 });
const dir = (name: string): DirEntry => ({ name, kind: "dir", size: 0, modified: 1_700_000_000_000 });

let fs: Record<string, DirEntry[]>;
let fake: FakeApi;

beforeEach(() => {
  resetStore();
  useStore.setState({ connection: "open" });
  history.replaceState(null, "", "/files");
  fs = { "": [file("README.md"), dir("src")], src: [file("main.rs")] };
  fake = useFakeApi({
    "fs.list": ({ path }) => ({ entries: fs[path ?? ""] ?? [] }),
    "fs.stat": ({ path }) => ({ path: path ?? "", kind: fs[path ?? ""] ? "dir" : "file", size: 12 }),
    "fs.read": () => ({ content: "fn main() {}\n", encoding: "utf8", size: 13 }),
  });
});

const tree = () => screen.getByRole("tree", { name: "Workspace files" });
const item = (name: string) => within(tree()).getByRole("treeitem", { name });

describe("file tree", () => {
  it("lists the root, folders first, and expands folders lazily", async () => {
    render(<Files path="" />);
    await within(tree()).findByRole("treeitem", { name: "src" });
    expect(within(tree()).getAllByRole("treeitem").map((e) => e.textContent)).toEqual(["src", "README.md"]);
    expect(fake.paramsOf("fs.list")).toEqual([{ path: "" }]);
    expect(item("src").getAttribute("aria-expanded")).toBe("false");

    fireEvent.click(item("src"));
    await within(tree()).findByRole("treeitem", { name: "main.rs" });
    expect(fake.paramsOf("fs.list")).toContainEqual({ path: "src" });
    expect(item("src").getAttribute("aria-expanded")).toBe("true");
    expect(item("main.rs").getAttribute("aria-level")).toBe("2");
  });

  it("moves and expands with the keyboard", async () => {
    render(<Files path="" />);
    const src = await within(tree()).findByRole("treeitem", { name: "src" });
    src.focus();
    fireEvent.keyDown(src, { key: "ArrowRight" });
    await within(tree()).findByRole("treeitem", { name: "main.rs" });
    fireEvent.keyDown(src, { key: "ArrowDown" });
    expect(document.activeElement).toBe(item("main.rs"));
    fireEvent.keyDown(item("main.rs"), { key: "ArrowLeft" });
    expect(document.activeElement).toBe(item("src"));
    fireEvent.keyDown(item("src"), { key: "ArrowLeft" });
    expect(within(tree()).queryByRole("treeitem", { name: "main.rs" })).toBeNull();
  });

  it("re-lists a folder when fs.changed says a file appeared in it", async () => {
    render(<Files path="" />);
    fireEvent.click(await within(tree()).findByRole("treeitem", { name: "src" }));
    await within(tree()).findByRole("treeitem", { name: "main.rs" });
    fs.src = [file("lib.rs"), file("main.rs")];
    act(() => fake.emit("fs.changed", { changes: [{ path: "src/lib.rs", kind: "created" }] }));
    await within(tree()).findByRole("treeitem", { name: "lib.rs" });
  });

  it("opens a file from the tree into the viewer", async () => {
    render(<Files path="src/main.rs" />);
    await within(tree()).findByRole("treeitem", { name: "main.rs" });
    expect(item("main.rs").getAttribute("aria-selected")).toBe("true");
    const content = await screen.findByTestId("file-content");
    await waitFor(() => expect(content.textContent).toContain("fn main() {}"));
    expect(content.querySelector(".hljs-keyword")?.textContent).toBe("fn");
  });
});

describe("affected folders", () => {
  it("re-lists the parent of a modified file, and every listed folder above a new one", () => {
    expect([...affected([{ path: "a/b.txt", kind: "modified" }], ["", "a"]).reload]).toEqual(["a"]);
    expect([...affected([{ path: "a/new/c.txt", kind: "created" }], ["", "a"]).reload].sort()).toEqual(["", "a"]);
    const r = affected([{ path: "a", kind: "removed" }], ["", "a", "a/x"]);
    expect([...r.reload]).toEqual([""]);
    expect([...r.gone].sort()).toEqual(["a", "a/x"]);
  });
});
