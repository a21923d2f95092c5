import { useId, useRef, type KeyboardEvent, type ReactNode } from "react";

/** One tab: its label and its panel's content. */
export interface Tab {
  id: string;
  label: ReactNode;
  panel: () => ReactNode;
}

/** Accessible tabs (arrow keys, Home/End move between tabs; only the selected panel renders). */
export function Tabs({ tabs, selected, onSelect, label }: { tabs: Tab[]; selected: string; onSelect: (id: string) => void; label: string }) {
  const base = useId();
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const current = tabs.find((x) => x.id === selected) ?? tabs[0];
  const onKeyDown = (e: KeyboardEvent) => {
    const i = tabs.findIndex((x) => x.id === current.id);
    const next =
      e.key === "ArrowRight" ? (i + 1) % tabs.length : e.key === "ArrowLeft" ? (i - 1 + tabs.length) % tabs.length : e.key === "Home" ? 0 : e.key === "End" ? tabs.length - 1 : -1;
    if (next < 0) return;
    e.preventDefault();
    onSelect(tabs[next].id);
    refs.current[tabs[next].id]?.focus();
  };
  return (
    <div>
      <div role="tablist" aria-label={label} onKeyDown={onKeyDown} className="flex gap-1 border-b border-zinc-200 px-5 dark:border-zinc-800">
        {tabs.map((x) => {
          const on = x.id === current.id;
          return (
            <button
              key={x.id}
              ref={(el) => {
                refs.current[x.id] = el;
              }}
              type="button"
              role="tab"
              id={`${base}-tab-${x.id}`}
              aria-selected={on}
              aria-controls={`${base}-panel-${x.id}`}
              tabIndex={on ? 0 : -1}
              onClick={() => onSelect(x.id)}
              className={`-mb-px border-b-2 px-2.5 py-2 text-sm font-medium ${
                on
                  ? "border-indigo-600 text-zinc-900 dark:border-indigo-400 dark:text-zinc-100"
                  : "border-transparent text-zinc-500 hover:text-zinc-800 dark:hover:text-zinc-200"
              }`}
            >
              {x.label}
            </button>
          );
        })}
      </div>
      <div role="tabpanel" id={`${base}-panel-${current.id}`} aria-labelledby={`${base}-tab-${current.id}`} className="px-5 py-4">
        {current.panel()}
      </div>
    </div>
  );
}
