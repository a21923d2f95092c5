// The Admin sections as tabs; the section is part of the URL (/admin, /admin/limits,
// /admin/audit). Arrows, Home and End move between them.

import { useRef, type KeyboardEvent } from "react";
import { useT, type Key } from "../../i18n";
import { navigate } from "../../lib/router";

export const ADMIN_SECTIONS = ["users", "limits", "audit"] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number];

const LABEL: Record<AdminSection, Key> = {
  users: "admin.tab.users",
  limits: "admin.tab.limits",
  audit: "admin.tab.audit",
};

export const adminPath = (s: AdminSection): string => (s === "users" ? "/admin" : `/admin/${s}`);
export const adminTabId = (s: AdminSection): string => `admin-tab-${s}`;
export const adminPanelId = (s: AdminSection): string => `admin-panel-${s}`;

export function AdminTabs({ current }: { current: AdminSection }) {
  const t = useT();
  const refs = useRef<Partial<Record<AdminSection, HTMLButtonElement | null>>>({});
  const onKeyDown = (e: KeyboardEvent) => {
    const n = ADMIN_SECTIONS.length;
    const i = ADMIN_SECTIONS.indexOf(current);
    const next =
      e.key === "ArrowRight" ? (i + 1) % n
      : e.key === "ArrowLeft" ? (i - 1 + n) % n
      : e.key === "Home" ? 0
      : e.key === "End" ? n - 1
      : -1;
    if (next < 0) return;
    e.preventDefault();
    const s = ADMIN_SECTIONS[next];
    navigate(adminPath(s));
    refs.current[s]?.focus();
  };
  return (
    <div
      role="tablist"
      aria-label={t("admin.tabs")}
      onKeyDown={onKeyDown}
      className="-mb-px flex gap-1 overflow-x-auto border-b border-zinc-200 dark:border-zinc-800"
    >
      {ADMIN_SECTIONS.map((s) => {
        const selected = s === current;
        return (
          <button
            key={s}
            ref={(el) => {
              refs.current[s] = el;
            }}
            id={adminTabId(s)}
            type="button"
            role="tab"
            aria-selected={selected}
            aria-controls={adminPanelId(s)}
            tabIndex={selected ? 0 : -1}
            onClick={() => navigate(adminPath(s))}
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
