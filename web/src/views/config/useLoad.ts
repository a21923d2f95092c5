// Loads what a section shows when it opens, and again after a reconnect.

import { useCallback, useEffect, useRef, useState } from "react";
import { useStore } from "../../lib/store";
import { errorMessage } from "../../lib/errors";

/** Runs `load` whenever the connection (re)opens; returns its error and a retry. */
export function useLoad(load: () => Promise<void>): { error: string | null; loading: boolean; retry: () => void } {
  const connection = useStore((s) => s.connection);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const ref = useRef(load);
  ref.current = load;
  const run = useCallback(() => {
    setLoading(true);
    ref
      .current()
      .then(() => setError(null))
      .catch((e: unknown) => setError(errorMessage(e)))
      .finally(() => setLoading(false));
  }, []);
  useEffect(() => {
    if (connection === "open") run();
  }, [connection, run]);
  return { error, loading, retry: run };
}

/** Runs calls for a form: `busy`, the last error, and whether the last run succeeded. */
export function useAction(): {
  busy: boolean;
  error: string | null;
  done: boolean;
  run: (fn: () => Promise<unknown>) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await fn();
      if (mounted.current) setDone(true);
      return true;
    } catch (e) {
      if (mounted.current) setError(errorMessage(e));
      return false;
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setError(null);
    setDone(false);
  }, []);
  return { busy, error, done, run, clear };
}
