// Runs the Context view's search: debounced while typing, at once on demand, answers of
// older queries dropped, and again when a partial answer's index has finished building.

import { useCallback, useEffect, useRef, useState } from "react";
import type { ContextSearch } from "../../lib/store";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import type { IndexSearchResult, IndexSymbolsResult } from "../../protocol.gen";
import { errorMessage } from "../../lib/errors";

/** Typing pauses this long before a search starts. */
export const DEBOUNCE_MS = 250;

export type Outcome =
  | { status: "idle" }
  | { status: "loading"; previous: Answer | null }
  | { status: "done"; answer: Answer }
  | { status: "error"; message: string };

export type Answer =
  | { mode: "ranked"; query: string; result: IndexSearchResult }
  | { mode: "symbols"; query: string; result: IndexSymbolsResult };

function answerOf(o: Outcome): Answer | null {
  return o.status === "done" ? o.answer : o.status === "loading" ? o.previous : null;
}

/** The outcome of searching `search`, and `now()` to search without waiting. */
export function useContextSearch(search: ContextSearch): { outcome: Outcome; now: () => void } {
  const connection = useStore((s) => s.connection);
  const indexState = useStore((s) => s.index?.state);
  const [outcome, setOutcome] = useState<Outcome>({ status: "idle" });
  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(search);
  latest.current = search;

  const run = useCallback(async () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    const { query, mode, match } = latest.current;
    const q = query.trim();
    const mine = ++seq.current;
    if (!q) {
      setOutcome({ status: "idle" });
      return;
    }
    setOutcome((o) => ({ status: "loading", previous: answerOf(o) }));
    try {
      const answer: Answer =
        mode === "ranked"
          ? { mode, query: q, result: await api().call("index.search", { query: q, k: 20, budget_tokens: 8000 }) }
          : { mode, query: q, result: await api().call("index.symbols", { query: q, match, limit: 100 }) };
      if (mine === seq.current) setOutcome({ status: "done", answer });
    } catch (e) {
      if (mine === seq.current) setOutcome({ status: "error", message: errorMessage(e) });
    }
  }, []);

  // Typing (and switching modes) searches after a pause; clearing the box clears at once.
  useEffect(() => {
    if (connection !== "open") return;
    if (!search.query.trim()) {
      void run();
      return;
    }
    timer.current = setTimeout(() => void run(), DEBOUNCE_MS);
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [search.query, search.mode, search.match, connection, run]);

  // A partial answer is asked again once the index is ready.
  const partial = outcome.status === "done" && outcome.answer.mode === "ranked" && outcome.answer.result.partial;
  useEffect(() => {
    if (partial && indexState === "ready") void run();
  }, [partial, indexState, run]);

  useEffect(
    () => () => {
      seq.current++;
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  return { outcome, now: run };
}
