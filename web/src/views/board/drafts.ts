// What the user is writing, per session (kept when they switch sessions and come back), and
// the composer's requests to the list.

import { create } from "zustand";

/** Drafts by session id. */
export const useDrafts = create<Record<string, string>>(() => ({}));

/** Sets a session's draft. */
export function setDraft(session: string, text: string): void {
  useDrafts.setState({ [session]: text });
}

/** The id of the composer's text area (one Blackboard is shown at a time). */
export const COMPOSER_ID = "board-composer";

/** Fills the composer (e.g. with an example) and puts the caret at its end. */
export function fillComposer(session: string, text: string): void {
  setDraft(session, text);
  requestAnimationFrame(() => {
    const el = document.getElementById(COMPOSER_ID);
    if (el instanceof HTMLTextAreaElement) {
      el.focus();
      el.setSelectionRange(text.length, text.length);
    }
  });
}

const jumpListeners = new Set<(session: string) => void>();

/** Listens to requests to show a session's latest message; returns the function that stops. */
export function onJumpRequest(l: (session: string) => void): () => void {
  jumpListeners.add(l);
  return () => jumpListeners.delete(l);
}

/** Asks the list to show the latest message (the user just sent one). */
export function requestJump(session: string): void {
  for (const l of jumpListeners) l(session);
}
