import { act, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { setLang } from "../i18n";
import { resetStore, useStore } from "../lib/store";
import type { IndexStatus } from "../protocol.gen";
import { StatusBar } from "./StatusBar";

const base: IndexStatus = { state: "idle", files: 0, files_total: 0, bytes: 0, symbols: 0, chunks: 0, memory: 0, languages: [] };
const index = () => screen.getByTestId("status-index");
const show = (s: Partial<IndexStatus>) => act(() => useStore.setState({ index: { ...base, ...s } }));

describe("StatusBar's index", () => {
  beforeEach(() => {
    resetStore();
    setLang("en");
  });

  it("says unknown until the state is read, then not started", () => {
    render(<StatusBar />);
    expect(index().textContent).toBe("Index: unknown");
    show({ state: "idle" });
    expect(index().textContent).toBe("Index: not started");
  });

  it("shows building progress with a progress bar, live as notifications arrive", () => {
    render(<StatusBar />);
    show({ state: "building", files: 1234, files_total: 5000 });
    expect(index().textContent).toBe("Index: indexing 1,234 / 5,000 files");
    const bar = screen.getByRole("progressbar");
    expect(bar.getAttribute("aria-valuenow")).toBe("1234");
    expect(bar.getAttribute("aria-valuemax")).toBe("5000");
    expect((bar.firstElementChild as HTMLElement).style.width).toBe("25%");
    show({ state: "building", files: 2500, files_total: 5000 });
    expect(index().textContent).toBe("Index: indexing 2,500 / 5,000 files");
  });

  it("shows files and symbols when ready, the rest in the tooltip", () => {
    render(<StatusBar />);
    show({
      state: "ready",
      files: 5000,
      files_total: 5000,
      symbols: 42000,
      chunks: 61234,
      memory: 17,
      languages: [
        ["rust", 3000],
        ["python", 2000],
      ],
      build_ms: 2400,
    });
    expect(index().textContent).toBe("Index: 5,000 files · 42,000 symbols");
    expect(index().getAttribute("title")).toBe("61,234 chunks · 17 memory items · Rust 3,000, Python 2,000 · built in 2.4 s");
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(index().dataset.state).toBe("ready");
  });

  it("says in the tooltip how many files the index's budget left out", () => {
    render(<StatusBar />);
    show({ state: "ready", files: 900, files_total: 900, symbols: 10, chunks: 5, memory: 0, skipped: 1200 });
    expect(index().textContent).toBe("Index: 900 files · 10 symbols");
    expect(index().getAttribute("title")).toContain("1,200 files left out: the workspace is larger than the index's budget");
  });

  it("says failed with the error in the tooltip", () => {
    render(<StatusBar />);
    show({ state: "failed", error: "cannot read the workspace: permission denied" });
    expect(index().textContent).toBe("Index: failed");
    expect(index().getAttribute("title")).toBe("cannot read the workspace: permission denied");
  });

  it("speaks Chinese", () => {
    setLang("zh");
    render(<StatusBar />);
    show({ state: "building", files: 3, files_total: 10 });
    expect(index().textContent).toBe("索引: 正在索引 3 / 10 个文件");
    show({ state: "ready", files: 10, files_total: 10, symbols: 99 });
    expect(index().textContent).toBe("索引: 10 个文件 · 99 个符号");
  });

  it("opens the Context view when clicked", () => {
    render(<StatusBar />);
    show({ state: "idle" });
    act(() => index().click());
    expect(location.pathname).toBe("/context");
  });
});
