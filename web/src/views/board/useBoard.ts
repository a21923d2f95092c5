// Reading a session's Blackboard: the newest page once, older pages on demand. The
// messages live in the shared store (`boards`), where `message_added` events extend them.

import { useEffect } from "react";
import { create } from "zustand";
import type { Message } from "../../protocol.gen";
import { mergeMessages, useStore, type Board } from "../../lib/store";
import { api, report } from "../../lib/sync";
import { errorMessage } from "../../lib/errors";

/** Messages read per page. */
export const PAGE = 100;

/** Where the reading of one board stands. */
export interface BoardStatus {
  loading: boolean;
  older: boolean;
  error: string | null;
}

const IDLE: BoardStatus = { loading: false, older: false, error: null };

/** Loading flags per session (kept beside the store: they are this view's, not the server's). */
export const useBoardStatus = create<Record<string, BoardStatus>>(() => ({}));

function setStatus(session: string, patch: Partial<BoardStatus>): void {
  useBoardStatus.setState((s) => ({ [session]: { ...(s[session] ?? IDLE), ...patch } }));
}

function setBoard(session: string, f: (b: Board) => Board): void {
  useStore.setState((s) => {
    const b = s.boards[session];
    // A board dropped meanwhile (a fresh snapshot after reconnecting) is read again instead.
    return b ? { boards: { ...s.boards, [session]: f(b) } } : {};
  });
}

/** Reads the newest page of a session's Blackboard into the store, unless it is there. */
export async function loadNewest(session: string): Promise<void> {
  if (useStore.getState().boards[session] || useBoardStatus.getState()[session]?.loading) return;
  // An empty board first, so messages posted while the page is read are not missed.
  useStore.setState((s) => ({ boards: { ...s.boards, [session]: { messages: [], hasMore: true } } }));
  setStatus(session, { loading: true, error: null });
  try {
    const r = await api().call("blackboard.history", { session, limit: PAGE });
    setBoard(session, (b) => ({ messages: mergeMessages(b.messages, r.messages), hasMore: r.has_more }));
    setStatus(session, { loading: false });
  } catch (e) {
    useStore.setState((s) => {
      const boards = { ...s.boards };
      delete boards[session];
      return { boards };
    });
    setStatus(session, { loading: false, error: errorMessage(e) });
  }
}

/** Reads the page before the oldest message shown (no-op while one is being read or none is left). */
export async function loadOlder(session: string): Promise<void> {
  const b = useStore.getState().boards[session];
  const st = useBoardStatus.getState()[session] ?? IDLE;
  if (!b || !b.hasMore || st.loading || st.older || b.messages.length === 0) return;
  setStatus(session, { older: true });
  try {
    const r = await api().call("blackboard.history", { session, limit: PAGE, before: b.messages[0].id });
    setBoard(session, (cur) => ({ messages: mergeMessages(cur.messages, r.messages), hasMore: r.has_more }));
  } catch (e) {
    report(e);
  } finally {
    setStatus(session, { older: false });
  }
}

/** Forgets a failed read so it is tried again. */
export function retryBoard(session: string): void {
  setStatus(session, { error: null });
}

/** The session's board (read when the connection is synced) and how its reading stands. */
export function useBoard(session: string): { board: Board | undefined; status: BoardStatus } {
  const board = useStore((s) => s.boards[session]);
  // Once the snapshot is in (it resets the boards); the subscription need not be: messages
  // committed before the page is read are in it, later ones reach the placeholder board.
  const synced = useStore((s) => s.connection === "open" && s.lastSeq > 0);
  const status = useBoardStatus((s) => s[session]) ?? IDLE;
  const missing = !board && !status.loading && !status.error;
  useEffect(() => {
    if (synced && missing) void loadNewest(session);
  }, [synced, missing, session]);
  return { board, status };
}

/** Shows a message the user just posted at once (its event, arriving later, changes nothing). */
export function addMessage(session: string, message: Message): void {
  setBoard(session, (b) => ({ ...b, messages: mergeMessages(b.messages, [message]) }));
}
