// The config sections as tabs; the section is part of the URL (/config/<section>).

import { RouteTabs } from "../../components/RouteTabs";
import { useT, type Key } from "../../i18n";

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
  return (
    <RouteTabs
      sections={SECTIONS}
      current={current}
      label={t("cfg.sections")}
      title={(s) => t(LABEL[s])}
      path={(s) => `/config/${s}`}
      tabId={tabId}
      panelId={panelId}
    />
  );
}
