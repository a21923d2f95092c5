import { useEffect } from "react";
import type { Completion } from "./completions";

/** The id of option `i` of listbox `id` (for aria-activedescendant). */
export function optionId(id: string, i: number): string {
  return `${id}-opt-${i}`;
}

/** The completion popup: an ARIA listbox driven by the composer's combobox (focus stays there). */
export function CompletionList({
  id,
  label,
  items,
  active,
  onPick,
  onHover,
}: {
  id: string;
  label: string;
  items: Completion[];
  active: number;
  onPick: (i: number) => void;
  onHover: (i: number) => void;
}) {
  useEffect(() => {
    document.getElementById(optionId(id, active))?.scrollIntoView?.({ block: "nearest" });
  }, [id, active]);
  return (
    <ul
      role="listbox"
      id={id}
      aria-label={label}
      className="absolute bottom-full left-0 z-20 mb-2 max-h-72 w-full max-w-lg overflow-y-auto rounded-lg border border-zinc-200 bg-white p-1 shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
    >
      {items.map((c, i) => (
        <li
          key={c.key}
          id={optionId(id, i)}
          role="option"
          aria-selected={i === active}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => onPick(i)}
          onMouseMove={() => i !== active && onHover(i)}
          className={`flex cursor-pointer items-baseline gap-2 rounded-md px-2.5 py-1.5 text-sm ${
            i === active ? "bg-indigo-50 text-indigo-900 dark:bg-indigo-950 dark:text-indigo-100" : "text-zinc-800 dark:text-zinc-200"
          }`}
        >
          <span className="font-mono font-medium whitespace-nowrap">{c.label}</span>
          {c.arg && <span className="font-mono text-xs whitespace-nowrap text-zinc-400">&lt;{c.arg}&gt;</span>}
          <span className="min-w-0 flex-1 truncate text-xs text-zinc-500 dark:text-zinc-400">{c.detail}</span>
        </li>
      ))}
    </ul>
  );
}
