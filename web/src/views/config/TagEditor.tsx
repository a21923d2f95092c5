// A list of short tags: type and press Enter (or a comma) to add, × or Backspace to remove.

import { useId, useState, type KeyboardEvent } from "react";
import { useT } from "../../i18n";

/** Splits typed text into clean tags, without blanks or duplicates of `existing`. */
export function addTags(existing: string[], text: string): string[] {
  const out = [...existing];
  for (const raw of text.split(/[,\s]+/)) {
    const tag = raw.trim();
    if (tag && !out.includes(tag)) out.push(tag);
  }
  return out;
}

/** Edits a list of tags; `suggestions` are offered while typing. */
export function TagEditor({
  label,
  tags,
  onChange,
  suggestions = [],
  placeholder,
}: {
  label: string;
  tags: string[];
  onChange: (tags: string[]) => void;
  suggestions?: string[];
  placeholder?: string;
}) {
  const t = useT();
  const id = useId();
  const [text, setText] = useState("");
  const commit = () => {
    if (!text.trim()) return;
    onChange(addTags(tags, text));
    setText("");
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter" || e.key === ",") {
      e.preventDefault();
      commit();
    } else if (e.key === "Backspace" && text === "" && tags.length > 0) {
      onChange(tags.slice(0, -1));
    }
  };
  const offered = suggestions.filter((s) => !tags.includes(s));
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-zinc-800 dark:text-zinc-200">
        {label}
      </label>
      <div className="flex min-h-[34px] flex-wrap items-center gap-1.5 rounded-md border border-zinc-300 bg-white px-2 py-1 shadow-xs focus-within:border-indigo-500 focus-within:ring-2 focus-within:ring-indigo-500/30 dark:border-zinc-700 dark:bg-zinc-900">
        <ul className="contents" aria-label={label}>
          {tags.map((tag) => (
            <li
              key={tag}
              className="inline-flex items-center gap-0.5 rounded bg-zinc-100 py-0.5 pr-0.5 pl-2 font-mono text-xs text-zinc-800 dark:bg-zinc-800 dark:text-zinc-200"
            >
              {tag}
              <button
                type="button"
                className="rounded px-1 text-zinc-500 hover:bg-zinc-200 hover:text-zinc-900 dark:hover:bg-zinc-700 dark:hover:text-white"
                aria-label={t("cfg.tags.remove", { tag })}
                onClick={() => onChange(tags.filter((x) => x !== tag))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
        <input
          id={id}
          list={offered.length ? `${id}-list` : undefined}
          className="min-w-[8rem] flex-1 bg-transparent py-0.5 text-sm outline-none placeholder:text-zinc-400 focus-visible:outline-none"
          value={text}
          placeholder={placeholder ?? t("cfg.tags.placeholder")}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={commit}
          autoComplete="off"
          spellCheck={false}
        />
        {offered.length > 0 && (
          <datalist id={`${id}-list`}>
            {offered.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
        )}
      </div>
    </div>
  );
}
