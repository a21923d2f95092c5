import { beforeEach, describe, expect, it, vi } from "vitest";
import type { IndexStatus } from "../protocol.gen";

// A stand-in Rpc: records handlers, answers calls from `answers`.
const fake = vi.hoisted(() => ({
  instance: null as null | {
    handlers: Map<string, (p: unknown) => void>;
    open: () => void;
    calls: string[];
  },
  answers: {} as Record<string, () => Promise<unknown>>,
}));

vi.mock("./rpc", () => {
  class RpcError extends Error {
    constructor(
      public code: number,
      message: string,
    ) {
      super(message);
    }
  }
  class Rpc {
    handlers = new Map<string, (p: unknown) => void>();
    opens: (() => void)[] = [];
    calls: string[] = [];
    constructor() {
      fake.instance = this as never;
    }
    open() {
      for (const l of this.opens) l();
    }
    on(name: string, h: (p: unknown) => void) {
      this.handlers.set(name, h);
      return () => {};
    }
    onState() {
      return () => {};
    }
    onOpen(l: () => void) {
      this.opens.push(l);
      return () => {};
    }
    start() {}
    stop() {}
    call(method: string) {
      this.calls.push(method);
      const a = fake.answers[method];
      return a ? a() : new Promise(() => {});
    }
  }
  return { Rpc, RpcError };
});

const { connect, disconnect } = await import("./sync");
const { useStore } = await import("./store");

const status = (s: Partial<IndexStatus>): IndexStatus => ({ state: "idle", files: 0, files_total: 0, bytes: 0, symbols: 0, chunks: 0, memory: 0, ...s });

describe("sync of the index status", () => {
  beforeEach(() => {
    disconnect();
    fake.answers = {};
  });

  it("reads index.status at each connect and follows its notifications", async () => {
    fake.answers["index.status"] = () => Promise.resolve(status({ state: "building", files: 1, files_total: 4 }));
    connect();
    const r = fake.instance!;
    r.open();
    expect(r.calls).toContain("index.status");
    await vi.waitFor(() => expect(useStore.getState().index?.state).toBe("building"));
    r.handlers.get("index.status")!(status({ state: "ready", files: 4, files_total: 4 }));
    expect(useStore.getState().index).toMatchObject({ state: "ready", files: 4 });
    // A reconnect reads it again.
    fake.answers["index.status"] = () => Promise.resolve(status({ state: "ready", files: 5, files_total: 5 }));
    r.open();
    await vi.waitFor(() => expect(useStore.getState().index?.files).toBe(5));
  });

  it("drops a read answered after a newer notification", async () => {
    let answer!: (s: IndexStatus) => void;
    fake.answers["index.status"] = () => new Promise((ok) => (answer = ok));
    connect();
    const r = fake.instance!;
    r.open();
    r.handlers.get("index.status")!(status({ state: "ready", files: 9, files_total: 9 }));
    answer(status({ state: "building", files: 2, files_total: 9 }));
    await new Promise((ok) => setTimeout(ok, 0));
    expect(useStore.getState().index).toMatchObject({ state: "ready", files: 9 });
  });

  it("keeps going without an index when the server has none", async () => {
    fake.answers["index.status"] = () => Promise.reject(new Error("method not found"));
    connect();
    fake.instance!.open();
    await new Promise((ok) => setTimeout(ok, 0));
    expect(useStore.getState().index).toBeNull();
    expect(useStore.getState().toasts).toEqual([]);
  });
});
