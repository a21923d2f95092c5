// 1:1 chats: their earlier steps (agent.history) loaded into store.chats when a chat is
// opened, and the turns in flight per agent (kept outside the view so leaving and coming
// back still shows that an answer is on its way).

import { create } from "zustand";
import { ErrorCode, type Step } from "../../protocol.gen";
import { RpcError } from "../../lib/rpc";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import { errorMessage } from "../../lib/errors";

/** Steps asked for at first, and at most (the server's limit). */
export const HISTORY_FIRST = 200;
export const HISTORY_MAX = 2000;

/** What is known of a chat's earlier steps. */
export type History =
  | { state: "loading" }
  | { state: "loaded"; hasMore: boolean; limit: number }
  /** The server has no agent.history: only this visit's turns are shown. */
  | { state: "unavailable" }
  | { state: "error"; error: string };

interface ChatState {
  /** Agents whose answer is awaited. */
  pending: Record<string, boolean>;
  /** The last failed turn per agent: its error and the text, to send again. */
  failed: Record<string, { error: string; text: string } | undefined>;
  history: Record<string, History | undefined>;
}

export const useChatState = create<ChatState>(() => ({ pending: {}, failed: {}, history: {} }));

function setHistory(agentId: string, h: History): void {
  useChatState.setState((s) => ({ history: { ...s.history, [agentId]: h } }));
}

/** The earlier steps merged with those events added meanwhile, in record order. */
export function mergeChat(earlier: Step[], seen: Step[]): Step[] {
  const have = new Set(earlier.map((s) => s.index));
  return [...earlier, ...seen.filter((s) => !have.has(s.index))].sort((a, b) => a.index - b.index);
}

/**
 * Starts collecting an agent's chat steps from the event stream (store.chats) and reads
 * the newest `limit` earlier ones with agent.history.
 */
export async function openChat(agentId: string, limit = HISTORY_FIRST): Promise<void> {
  useStore.setState((s) => (s.chats[agentId] ? {} : { chats: { ...s.chats, [agentId]: [] } }));
  setHistory(agentId, { state: "loading" });
  try {
    const r = await api().call("agent.history", { agent: agentId, limit });
    useStore.setState((s) => ({ chats: { ...s.chats, [agentId]: mergeChat(r.steps, s.chats[agentId] ?? []) } }));
    setHistory(agentId, { state: "loaded", hasMore: r.has_more, limit });
  } catch (e) {
    if (e instanceof RpcError && e.code === ErrorCode.method_not_found) setHistory(agentId, { state: "unavailable" });
    else setHistory(agentId, { state: "error", error: errorMessage(e) });
  }
}

/**
 * Sends one message; resolves when the agent has answered (its steps arrive as events).
 * `onFailed` runs when it could not be sent, in the same update that shows the error.
 */
export async function sendChat(agentId: string, text: string, onFailed?: () => void): Promise<boolean> {
  useChatState.setState((s) => ({ pending: { ...s.pending, [agentId]: true }, failed: { ...s.failed, [agentId]: undefined } }));
  try {
    await api().call("agent.chat", { agent: agentId, text });
    return true;
  } catch (e) {
    const error = errorMessage(e);
    // In the same update as the error, so the two show together.
    onFailed?.();
    useChatState.setState((s) => ({ failed: { ...s.failed, [agentId]: { error, text } } }));
    return false;
  } finally {
    useChatState.setState((s) => ({ pending: { ...s.pending, [agentId]: false } }));
  }
}

// Another user (or a sign-out) in this tab: forget the previous user's chats in flight.
useStore.subscribe((s, prev) => {
  if (s.me?.id !== prev.me?.id) useChatState.setState({ pending: {}, failed: {}, history: {} });
});
