// What the user is writing, per session: kept when they switch sessions and come back.

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
