// A tablist whose tabs are addresses: the selected tab is the current section, a click or
// the arrow keys (Home, End too) navigate to another section's path and focus its tab.

import { useRef, type KeyboardEvent } from "react";
import { navigate } from "../lib/router";

export interface RouteTabsProps<S extends string> {
  /** The sections, in order. */
  sections: readonly S[];
  /** The section shown now. */
  current: S;
  /** The tablist's accessible name. */
  label: string;
  /** A section's tab text. */
  title: (s: S) => string;
  /** A section's address. */
  path: (s: S) => string;
  /** The id of a section's tab (its panel is labelled by it). */
  tabId: (s: S) => string;
  /** The id of a section's panel. */
  panelId: (s: S) => string;
  /** Extra classes of the tablist. */
  className?: string;
}

export function RouteTabs<S extends string>({ sections, current, label, title, path, tabId, panelId, className = "" }: RouteTabsProps<S>) {
  const refs = useRef<Partial<Record<S, HTMLButtonElement | null>>>({});
  const go = (s: S) => {
    navigate(path(s));
    refs.current[s]?.focus();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const n = sections.length;
    const i = sections.indexOf(current);
    const next =
      e.key === "ArrowRight" ? (i + 1) % n
      : e.key === "ArrowLeft" ? (i - 1 + n) % n
      : e.key === "Home" ? 0
      : e.key === "End" ? n - 1
      : -1;
    if (next < 0) return;
    e.preventDefault();
    go(sections[next]);
  };
  return (
    <div role="tablist" aria-label={label} onKeyDown={onKeyDown} className={`-mb-px flex gap-1 overflow-x-auto ${className}`}>
      {sections.map((s) => {
        const selected = s === current;
        return (
          <button
            key={s}
            ref={(el) => {
              refs.current[s] = el;
            }}
            id={tabId(s)}
            type="button"
            role="tab"
            aria-selected={selected}
            aria-controls={panelId(s)}
            tabIndex={selected ? 0 : -1}
            onClick={() => navigate(path(s))}
            className={`border-b-2 px-3 py-2 text-sm font-medium whitespace-nowrap transition-colors ${
              selected
                ? "border-indigo-600 text-indigo-700 dark:border-indigo-400 dark:text-indigo-300"
                : "border-transparent text-zinc-600 hover:border-zinc-300 hover:text-zinc-900 dark:text-zinc-400 dark:hover:border-zinc-600 dark:hover:text-zinc-100"
            }`}
          >
            {title(s)}
          </button>
        );
      })}
    </div>
  );
}
