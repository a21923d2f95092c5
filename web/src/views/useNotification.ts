// Listens to a server notification for as long as a component is mounted, from the
// moment the connection exists (a view can mount before App has connected).

import { useEffect, useRef } from "react";
import type { NotificationName } from "../lib/rpc";
import { useStore } from "../lib/store";
import { api } from "../lib/sync";
import type { Notifications } from "../protocol.gen";

/** Calls `handler` with every `name` notification (the latest handler; no re-subscribing). */
export function useNotification<N extends NotificationName>(name: N, handler: (params: Notifications[N]) => void): void {
  const connection = useStore((s) => s.connection);
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    let rpc;
    try {
      rpc = api();
    } catch {
      return; // not connected yet: the connection state changes once it is
    }
    return rpc.on(name, (p) => ref.current(p));
  }, [name, connection]);
}
