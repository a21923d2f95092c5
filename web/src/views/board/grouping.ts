// Which messages start a new group (author line shown) and which start a new day.

import type { Author, Message } from "../../protocol.gen";
import { sameDay } from "./time";

/** Consecutive messages of one author within this time share one header. */
export const GROUP_MS = 5 * 60_000;

/** A stable identity of a message's author. */
export function authorKey(a: Author): string {
  return a.kind === "agent" ? `agent:${a.name}` : a.kind;
}

/** Whether `m` opens a new day compared with the message before it. */
export function startsDay(prev: Message | undefined, m: Message): boolean {
  return !prev || !sameDay(prev.created_at, m.created_at);
}

/** Whether `m` shows its author line, or continues the group of the message before it. */
export function startsGroup(prev: Message | undefined, m: Message): boolean {
  if (!prev || m.author.kind === "system" || prev.author.kind === "system") return true;
  if (authorKey(prev.author) !== authorKey(m.author)) return true;
  if (m.created_at - prev.created_at > GROUP_MS) return true;
  return startsDay(prev, m);
}
