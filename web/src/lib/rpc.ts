// The JSON-RPC 2.0 client over the server's WebSocket, typed by the generated protocol.
//
// One connection per tab. It reconnects with backoff after a drop; whoever owns the
// connection (sync.ts) re-reads and re-subscribes from the last event `seq` it saw.

import type { Methods, Notifications } from "../protocol.gen";

export type MethodName = keyof Methods;
export type Params<M extends MethodName> = Methods[M]["params"];
export type Result<M extends MethodName> = Methods[M]["result"];
export type NotificationName = keyof Notifications;

/** A JSON-RPC error from the server, with its code and (sometimes) data. */
export class RpcError extends Error {
  code: number;
  data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

export type ConnectionState = "connecting" | "open" | "closed" | "unauthorized";

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

type Handler = (params: never) => void;

/** Where the API lives: the page's own origin (the server serves the UI). */
export function wsUrl(): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/api/v1/ws`;
}

export class Rpc {
  private ws: WebSocket | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private handlers = new Map<string, Set<Handler>>();
  private stateListeners = new Set<(s: ConnectionState) => void>();
  private openListeners = new Set<() => void>();
  private attempt = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  state: ConnectionState = "closed";

  /** `token` is sent as the `bearer.<token>` subprotocol; without it the cookie is used. */
  constructor(
    private token: string | null,
    private url: string = wsUrl(),
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000);
    this.ws = null;
    this.setState("closed");
  }

  private setState(s: ConnectionState) {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }

  private open() {
    this.setState("connecting");
    const ws = this.token ? new WebSocket(this.url, [`bearer.${this.token}`]) : new WebSocket(this.url);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.setState("open");
      for (const l of this.openListeners) l();
    };
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const p of this.pending.values()) p.reject(new RpcError(-32008, "the connection to the server was lost"));
      this.pending.clear();
      if (this.stopped) return;
      // 4001: credentials revoked. A refused upgrade never opens: ask the server why.
      if (e.code === 4001) {
        this.setState("unauthorized");
        return;
      }
      if (!opened) {
        void this.checkAuth().then((ok) => (ok ? this.retry() : this.setState("unauthorized")));
        return;
      }
      this.retry();
    };
  }

  private async checkAuth(): Promise<boolean> {
    try {
      const headers: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {};
      const r = await fetch("/api/v1/whoami", { headers, credentials: "same-origin" });
      return r.status !== 401;
    } catch {
      return true;
    }
  }

  private retry() {
    this.setState("closed");
    const delay = Math.min(10_000, 250 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt = Math.min(this.attempt + 1, 8);
    this.timer = setTimeout(() => this.open(), delay);
  }

  /** Reconnects now (after the network came back, say). */
  reconnectNow(): void {
    if (this.state === "closed" && !this.stopped) {
      if (this.timer) clearTimeout(this.timer);
      this.open();
    }
  }

  private receive(data: unknown) {
    if (typeof data !== "string") return;
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    const all = Array.isArray(msg) ? msg : [msg];
    for (const m of all as Record<string, unknown>[]) {
      if (m && typeof m === "object" && "id" in m && m.id !== null && ("result" in m || "error" in m)) {
        const p = this.pending.get(m.id as number);
        if (!p) continue;
        this.pending.delete(m.id as number);
        if ("error" in m && m.error) {
          const e = m.error as { code: number; message: string; data?: unknown };
          p.reject(new RpcError(e.code, e.message, e.data));
        } else {
          p.resolve(m.result);
        }
      } else if (m && typeof m.method === "string") {
        const hs = this.handlers.get(m.method);
        if (hs) for (const h of hs) (h as (p: unknown) => void)(m.params);
      }
    }
  }

  /** Calls a method; rejects with an RpcError (or a lost connection, code -32008). */
  call<M extends MethodName>(method: M, params?: Params<M>): Promise<Result<M>> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new RpcError(-32008, "not connected to the server"));
    }
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params: params ?? {} }));
    });
  }

  /** Listens to one notification; returns the function that stops listening. */
  on<N extends NotificationName>(name: N, handler: (params: Notifications[N]) => void): () => void {
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
    }
    set.add(handler as Handler);
    return () => set.delete(handler as Handler);
  }

  onState(l: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(l);
    return () => this.stateListeners.delete(l);
  }

  /** Called each time a connection opens (the first time and after every reconnect). */
  onOpen(l: () => void): () => void {
    this.openListeners.add(l);
    return () => this.openListeners.delete(l);
  }
}
