// One terminal's output as this tab sees it: notifications in byte-offset order, gaps and
// reconnects caught up with terminal.read, nothing written twice (protocol: Terminals).

import type { TerminalOutputParams, TerminalReadResult } from "../../protocol.gen";

const encoder = new TextEncoder();
/** Length of `s` in UTF-8 bytes (offsets count bytes). */
export const utf8Length = (s: string): number => encoder.encode(s).length;

export interface StreamSink {
  /** Reads the scrollback after `since` (all of it when undefined). */
  read: (since: number | undefined) => Promise<TerminalReadResult>;
  /** Writes output to the screen; `replay` for output read back from the scrollback. */
  write: (data: string, replay: boolean) => void;
  /** Some output was lost from the scrollback before it could be read. */
  onTruncated: () => void;
  /** The shell has exited (seen in a read). */
  onExit: (code: number) => void;
  /** A read failed. */
  onError: (e: unknown) => void;
}

/** Orders a terminal's output: writes each byte once, reads what notifications missed. */
export class TerminalStream {
  /** The offset just past what was written; -1 until the first read. */
  end = -1;
  private reading = false;
  private again = false;
  private queue: TerminalOutputParams[] = [];
  private closed = false;

  constructor(private sink: StreamSink) {}

  /** A `terminal.output` notification of this terminal. */
  push(p: TerminalOutputParams): void {
    if (this.closed) return;
    if (this.reading || this.end < 0) {
      this.queue.push(p);
      return;
    }
    // Already contained in what was written (the protocol: ignore offsets below `end`).
    if (p.offset < this.end) return;
    if (p.offset > this.end) {
      // A gap: some chunks were missed. Read them, then go on.
      this.queue.push(p);
      void this.catchUp();
      return;
    }
    this.sink.write(p.data, false);
    this.end = p.offset + utf8Length(p.data);
  }

  /** Reads everything after `end` (at start, after a reconnect, after a gap). */
  async catchUp(): Promise<void> {
    if (this.closed) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    let failed = false;
    try {
      const r = await this.sink.read(this.end < 0 ? undefined : this.end);
      if (this.closed) return;
      if (r.truncated && this.end >= 0) this.sink.onTruncated();
      if (r.end > this.end) {
        this.sink.write(r.data, true);
        this.end = r.end;
      }
      if (r.exited) this.sink.onExit(r.exited.code);
    } catch (e) {
      failed = true;
      this.sink.onError(e);
    } finally {
      this.reading = false;
    }
    const queued = this.queue;
    this.queue = [];
    // After a failed read, a later catchUp (on reconnect) reads from `end` again.
    if (failed) return;
    for (const p of queued) this.push(p);
    if (this.again) {
      this.again = false;
      await this.catchUp();
    }
  }

  /** Stops writing (the view is gone). */
  close(): void {
    this.closed = true;
    this.queue = [];
  }
}

/** Sends keystrokes one call at a time, in order, coalescing what is typed meanwhile. */
export class InputQueue {
  private pending = "";
  private sending = false;

  constructor(private send: (data: string) => Promise<unknown>, private onError: (e: unknown) => void) {}

  /** Queues `data` to be typed. */
  type(data: string): void {
    this.pending += data;
    this.flush();
  }

  private flush(): void {
    if (this.sending || !this.pending) return;
    // At most 16 Ki UTF-16 units per call: under the 64 KiB limit, never splitting a pair.
    let n = Math.min(this.pending.length, 16384);
    const last = this.pending.charCodeAt(n - 1);
    if (n < this.pending.length && last >= 0xd800 && last <= 0xdbff) n -= 1;
    const data = this.pending.slice(0, n);
    this.pending = this.pending.slice(n);
    this.sending = true;
    this.send(data)
      .catch((e: unknown) => {
        this.pending = "";
        this.onError(e);
      })
      .finally(() => {
        this.sending = false;
        this.flush();
      });
  }
}
