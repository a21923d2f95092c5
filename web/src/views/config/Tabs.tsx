// The config sections as tabs; the section is part of the URL (/config/<section>).

import { useRef, type KeyboardEvent } from "react";
import { useT, type Key } from "../../i18n";
import { navigate } from "../../lib/router";

export const SECTIONS = ["providers", "team", "policy", "mcp", "secrets", "usage"] as const;
export type Section = (typeof SECTIONS)[number];

const LABEL: Record<Section, Key> = {
  providers: "cfg.tab.providers",
  team: "cfg.tab.team",
  policy: "cfg.tab.policy",
  mcp: "cfg.tab.mcp",
  secrets: "cfg.tab.secrets",
  usage: "cfg.tab.usage",
};

/** The id of a section's tab (its panel is labelled by it). */
export const tabId = (s: Section): string => `config-tab-${s}`;
/** The id of a section's panel. */
export const panelId = (s: Section): string => `config-panel-${s}`;

/** A tablist of the sections; arrows, Home and End move between them. */
export function Tabs({ current }: { current: Section }) {
  const t = useT();
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const go = (s: Section) => {
    navigate(`/config/${s}`);
    refs.current[s]?.focus();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const i = SECTIONS.indexOf(current);
    const next =
      e.key === "ArrowRight" ? (i + 1) % SECTIONS.length
      : e.key === "ArrowLeft" ? (i - 1 + SECTIONS.length) % SECTIONS.length
      : e.key === "Home" ? 0
      : e.key === "End" ? SECTIONS.length - 1
      : -1;
    if (next < 0) return;
    e.preventDefault();
    go(SECTIONS[next]);
  };
  return (
    <div role="tablist" aria-label={t("cfg.sections")} onKeyDown={onKeyDown} className="-mb-px flex gap-1 overflow-x-auto">
      {SECTIONS.map((s) => {
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
            onClick={() => navigate(`/config/${s}`)}
            className={`border-b-2 px-3 py-2 text-sm font-medium whitespace-nowrap transition-colors ${
              selected
                ? "border-indigo-600 text-indigo-700 dark:border-indigo-400 dark:text-indigo-300"
                : "border-transparent text-zinc-600 hover:border-zinc-300 hover:text-zinc-900 dark:text-zinc-400 dark:hover:border-zinc-600 dark:hover:text-zinc-100"
            }`}
          >
            {t(LABEL[s])}
          </button>
        );
      })}
    </div>
  );
}
