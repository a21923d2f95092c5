// 1:1 chat turns in flight, per agent (kept outside the view so leaving and coming back
// still shows that an answer is on its way).

import { create } from "zustand";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";

interface ChatState {
  /** Agents whose answer is awaited. */
  pending: Record<string, boolean>;
  /** The last failed turn per agent: its error and the text, to send again. */
  failed: Record<string, { error: string; text: string } | undefined>;
}

export const useChatState = create<ChatState>(() => ({ pending: {}, failed: {} }));

/** Starts collecting an agent's chat steps from the event stream (store.chats). */
export function openChat(agentId: string): void {
  useStore.setState((s) => (s.chats[agentId] ? {} : { chats: { ...s.chats, [agentId]: [] } }));
}

/** Sends one message; resolves when the agent has answered (its steps arrive as events). */
export async function sendChat(agentId: string, text: string): Promise<boolean> {
  useChatState.setState((s) => ({ pending: { ...s.pending, [agentId]: true }, failed: { ...s.failed, [agentId]: undefined } }));
  try {
    await api().call("agent.chat", { agent: agentId, text });
    return true;
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    useChatState.setState((s) => ({ failed: { ...s.failed, [agentId]: { error, text } } }));
    return false;
  } finally {
    useChatState.setState((s) => ({ pending: { ...s.pending, [agentId]: false } }));
  }
}
