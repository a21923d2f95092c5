// Modal behaviour for dialogs and drawers: focus moves in on open and back on close, Tab
// cycles inside, Escape closes. Nested modals work: the innermost one handles the key.

import { useEffect, useRef, type KeyboardEvent, type RefObject } from "react";

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** The elements inside `root` that Tab reaches, in order. */
export function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => !el.closest("[inert]") && !el.hasAttribute("hidden") && el.getAttribute("aria-hidden") !== "true",
  );
}

/**
 * Makes the element in `ref` behave as a modal while mounted: focuses `initial` (or the
 * element itself) on mount, restores the previous focus on unmount, and returns the
 * keydown handler to put on the element (Tab trap, Escape → `onEscape`).
 */
export function useModal(
  ref: RefObject<HTMLElement | null>,
  onEscape: () => void,
  initial?: RefObject<HTMLElement | null>,
): (e: KeyboardEvent) => void {
  const escape = useRef(onEscape);
  escape.current = onEscape;
  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    (initial?.current ?? ref.current)?.focus();
    return () => {
      // Give focus back only if it is still inside the modal (or lost to the body).
      const now = document.activeElement;
      if (before && before.isConnected && (!now || now === document.body || ref.current?.contains(now) || !now.isConnected)) {
        before.focus();
      }
    };
    // Runs once per opening: the refs are stable.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      e.preventDefault();
      escape.current();
      return;
    }
    if (e.key !== "Tab" || !ref.current) return;
    e.stopPropagation();
    const list = focusables(ref.current);
    if (list.length === 0) {
      e.preventDefault();
      return;
    }
    const first = list[0];
    const last = list[list.length - 1];
    const active = document.activeElement;
    if (e.shiftKey && (active === first || active === ref.current)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault();
      first.focus();
    } else if (active && !ref.current.contains(active)) {
      e.preventDefault();
      first.focus();
    }
  };
}
