// Keeps the store in step with the server: snapshots at connect, then the event stream
// from the last seq seen (replayed after a reconnect, so nothing is missed).

import type { Session, Task } from "../protocol.gen";
import { storedToken } from "./auth";
import { Rpc, RpcError } from "./rpc";
import { applyDelta, applyEvent, resetStore, toast, useStore } from "./store";
import { errorMessage } from "./errors";

let rpc: Rpc | null = null;

/** The connection of this tab (after `connect`). */
export function api(): Rpc {
  if (!rpc) throw new Error("not connected");
  return rpc;
}

/** Says what went wrong with a call, as a notification. */
export function report(e: unknown): void {
  toast("error", errorMessage(e));
}

function byId<T extends { id: string }>(list: T[]): Record<string, T> {
  return Object.fromEntries(list.map((x) => [x.id, x]));
}

async function resync(r: Rpc): Promise<void> {
  const s = useStore.getState();
  const info = await r.call("server.info");
  let since = s.lastSeq;
  if (since === 0 || info.last_seq < since) {
    // First connection (or a server whose log is not the one we saw): read the state,
    // then stream from the seq it was read at.
    since = info.last_seq;
    const [sessions, tasks, agents, pending, llm, usage] = await Promise.all([
      r.call("session.list", { include_archived: true }),
      r.call("task.list", {}),
      r.call("agent.list"),
      r.call("toolrun.pending"),
      r.call("llm.status"),
      r.call("usage.get", { days: 1 }),
    ]);
    useStore.setState({
      sessions: byId<Session>(sessions.sessions),
      tasks: byId<Task>(tasks.tasks),
      agents: byId(agents.agents),
      runs: byId(pending.runs),
      health: Object.fromEntries(llm.providers.map((p) => [p.provider, p])),
      llmConfigured: llm.configured,
      usageToday: usage.today,
      lastSeq: since,
      boards: {},
    });
  }
  const sub = await r.call("events.subscribe", { since, files: true });
  useStore.setState({ liveFrom: sub.last_seq });
}

// Counts index.status notifications, so a read answered after a newer one is dropped.
let indexNotices = 0;

/** Reads the index's state once (after each (re)connect); notifications keep it current. */
async function readIndex(r: Rpc): Promise<void> {
  const before = indexNotices;
  const status = await r.call("index.status");
  if (indexNotices === before) useStore.setState({ index: status });
}

/** Opens the connection and keeps it synced. `token` is null when the cookie signs in. */
export function connect(): Rpc {
  if (rpc) rpc.stop();
  resetStore();
  const r = new Rpc(storedToken());
  rpc = r;
  r.on("event", (p) => applyEvent(p.event));
  r.on("agent.delta", (d) => applyDelta(d));
  r.on("agent_health", (h) => useStore.setState((s) => ({ health: { ...s.health, [h.provider]: h } })));
  r.on("index.status", (status) => {
    indexNotices++;
    useStore.setState({ index: status });
  });
  r.onState((c) => useStore.setState({ connection: c }));
  r.onOpen(() => {
    resync(r).catch((e) => {
      if (!(e instanceof RpcError && e.code === -32008)) report(e);
    });
    // Not part of resync: a server without the index still syncs; the status bar then says so.
    readIndex(r).catch(() => {});
  });
  r.start();
  return r;
}

export function disconnect(): void {
  rpc?.stop();
  rpc = null;
  resetStore();
}
