// A stand-in for the connection in component tests: scripted methods, recorded calls,
// and notifications the test can emit. Use with
//   vi.mock("<path>/lib/sync", async () => (await import("<path>/views/testing/fakeApi")).syncMock);

import type { Methods, Notifications } from "../../protocol.gen";
import { RpcError, type MethodName, type NotificationName, type Params, type Result } from "../../lib/rpc";

type Impl = { [M in MethodName]?: (params: Params<M>) => Result<M> | Promise<Result<M>> };

/** A call the component made. */
export interface Call {
  method: MethodName;
  params: unknown;
}

/** The fake connection. */
export class FakeApi {
  calls: Call[] = [];
  private handlers = new Map<string, Set<(p: never) => void>>();
  constructor(public impl: Impl) {}

  call<M extends MethodName>(method: M, params?: Params<M>): Promise<Result<M>> {
    this.calls.push({ method, params: params ?? {} });
    const f = this.impl[method] as ((p: Params<M>) => Result<M> | Promise<Result<M>>) | undefined;
    if (!f) return Promise.reject(new RpcError(-32601, `no such method: ${method}`));
    try {
      return Promise.resolve(f((params ?? {}) as Params<M>));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  on<N extends NotificationName>(name: N, handler: (params: Notifications[N]) => void): () => void {
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(handler as (p: never) => void);
    return () => set.delete(handler as (p: never) => void);
  }

  onOpen(): () => void {
    return () => {};
  }

  /** Delivers a notification to the component. */
  emit<N extends NotificationName>(name: N, params: Notifications[N]): void {
    for (const h of this.handlers.get(name) ?? []) (h as (p: Notifications[N]) => void)(params);
  }

  /** The parameters of every call of `method`. */
  paramsOf<M extends keyof Methods>(method: M): Params<M>[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.params as Params<M>);
  }
}

let current: FakeApi | null = null;

/** Makes `impl` the connection the components use. */
export function useFakeApi(impl: Impl): FakeApi {
  current = new FakeApi(impl);
  return current;
}

/** The module replacing lib/sync in tests. */
export const syncMock = {
  api: () => {
    if (!current) throw new Error("no fake api");
    return current;
  },
  report: () => {},
};
