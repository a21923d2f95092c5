import { describe, expect, it, vi } from "vitest";
import type { TerminalReadResult } from "../../protocol.gen";
import { InputQueue, TerminalStream, utf8Length } from "./stream";

/** A terminal whose whole output is `out`; reads return what is after `since`. */
function setup(out: { text: string }, opts: { truncated?: boolean } = {}) {
  const written: string[] = [];
  const replayed: boolean[] = [];
  const reads: (number | undefined)[] = [];
  let release: (() => void) | null = null;
  let hold = false;
  const read = async (since: number | undefined): Promise<TerminalReadResult> => {
    reads.push(since);
    const snapshot = out.text;
    if (hold) await new Promise<void>((r) => (release = r));
    const bytes = new TextEncoder().encode(snapshot);
    const from = since ?? 0;
    return { data: new TextDecoder().decode(bytes.slice(from)), offset: from, end: bytes.length, truncated: !!opts.truncated };
  };
  const sink = { read, write: (d: string, replay: boolean) => {
      written.push(d);
      replayed.push(replay);
    }, onTruncated: vi.fn(), onExit: vi.fn(), onError: vi.fn() };
  const stream = new TerminalStream(sink);
  return {
    stream,
    sink,
    written,
    replayed,
    reads,
    holdReads: () => (hold = true),
    releaseRead: () => {
      hold = false;
      release?.();
    },
  };
}

describe("terminal output stream", () => {
  it("counts offsets in UTF-8 bytes", () => {
    expect(utf8Length("héllo→")).toBe(9);
  });

  it("writes the scrollback, then notifications past it, each byte once", async () => {
    const out = { text: "$ " };
    const s = setup(out);
    await s.stream.catchUp();
    // A notification already contained in the read is ignored; the next one is written.
    s.stream.push({ id: "t", offset: 0, data: "$ " });
    s.stream.push({ id: "t", offset: 2, data: "é" });
    s.stream.push({ id: "t", offset: 4, data: "x\r\n" });
    expect(s.written.join("")).toBe("$ éx\r\n");
    // Only the scrollback read is a replay (xterm's answers to queries in it are dropped).
    expect(s.replayed).toEqual([true, false, false]);
    expect(s.stream.end).toBe(7);
  });

  it("queues notifications that arrive during the first read", async () => {
    const out = { text: "abc" };
    const s = setup(out);
    s.holdReads();
    const p = s.stream.catchUp();
    out.text = "abcdef";
    s.stream.push({ id: "t", offset: 0, data: "abc" });
    s.stream.push({ id: "t", offset: 3, data: "def" });
    s.releaseRead();
    await p;
    expect(s.written.join("")).toBe("abcdef");
  });

  it("reads a gap instead of writing out of order", async () => {
    const out = { text: "ab" };
    const s = setup(out);
    await s.stream.catchUp();
    out.text = "abcdef";
    s.stream.push({ id: "t", offset: 4, data: "ef" }); // "cd" was missed
    await vi.waitFor(() => expect(s.written.join("")).toBe("abcdef"));
    expect(s.reads).toEqual([undefined, 2]);
  });

  it("says when output was lost from the scrollback", async () => {
    const s = setup({ text: "x" }, { truncated: true });
    await s.stream.catchUp();
    expect(s.sink.onTruncated).not.toHaveBeenCalled(); // the first read may start anywhere
    await s.stream.catchUp();
    expect(s.sink.onTruncated).toHaveBeenCalled();
  });
});

describe("input queue", () => {
  it("sends one call at a time, in order, coalescing keystrokes typed meanwhile", async () => {
    const sent: string[] = [];
    let finish: (() => void)[] = [];
    const q = new InputQueue(
      (d) => {
        sent.push(d);
        return new Promise<void>((r) => finish.push(r));
      },
      () => {},
    );
    q.type("e");
    q.type("c");
    q.type("h");
    q.type("o\r");
    expect(sent).toEqual(["e"]);
    finish.shift()?.();
    await vi.waitFor(() => expect(sent).toEqual(["e", "cho\r"]));
    finish.shift()?.();
    finish = [];
  });
});
