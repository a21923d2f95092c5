// The config center: providers & models, team, risk policy, MCP servers, secrets, usage & limits.

import type { JSX } from "react";
import { useT } from "../i18n";
import { navigate } from "../lib/router";
import { useStore } from "../lib/store";
import { Mcp } from "./config/Mcp";
import { Policy } from "./config/Policy";
import { Providers } from "./config/Providers";
import { Secrets } from "./config/Secrets";
import { panelId, SECTIONS, tabId, Tabs, type Section } from "./config/Tabs";
import { Team } from "./config/Team";
import { Usage } from "./config/Usage";

const VIEWS: Record<Section, () => JSX.Element> = {
  providers: Providers,
  team: Team,
  policy: Policy,
  mcp: Mcp,
  secrets: Secrets,
  usage: Usage,
};

/** Settings, one section per tab; `section` comes from the URL (null: the first). */
export function ConfigCenter({ section }: { section: string | null }) {
  const t = useT();
  const me = useStore((s) => s.me);
  const mode = useStore((s) => s.mode);
  const known = (SECTIONS as readonly string[]).includes(section ?? "");
  const current: Section = known ? (section as Section) : "providers";
  const View = VIEWS[current];
  return (
    <div className="min-h-0 flex-1 overflow-y-auto bg-zinc-50/60 dark:bg-zinc-950">
      <div className="border-b border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900/40">
        <div className="mx-auto max-w-5xl px-6 pt-6 lg:px-8">
          <div className="flex flex-wrap items-start justify-between gap-3">
            <div>
              <h1 className="text-xl font-semibold tracking-tight">{t("cfg.title")}</h1>
              <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{t("cfg.subtitle")}</p>
            </div>
            {me?.is_admin && mode === "multi_user" && (
              <a
                href="/admin"
                onClick={(e) => {
                  e.preventDefault();
                  navigate("/admin");
                }}
                className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium text-zinc-700 hover:bg-zinc-50 dark:border-zinc-700 dark:text-zinc-200 dark:hover:bg-zinc-800"
              >
                {t("cfg.adminLink")} →
              </a>
            )}
          </div>
          <div className="mt-4">
            <Tabs current={current} />
          </div>
        </div>
      </div>
      <div
        role="tabpanel"
        id={panelId(current)}
        aria-labelledby={tabId(current)}
        className="mx-auto max-w-5xl px-6 py-6 lg:px-8"
      >
        {section !== null && !known && (
          <p role="status" className="mb-4 text-sm text-amber-700 dark:text-amber-400">
            {t("cfg.unknownSection", { name: section })}
          </p>
        )}
        <View />
      </div>
    </div>
  );
}
