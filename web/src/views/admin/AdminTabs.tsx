// The Admin sections as tabs; the section is part of the URL (/admin, /admin/limits,
// /admin/audit). Arrows, Home and End move between them.

import { RouteTabs } from "../../components/RouteTabs";
import { useT, type Key } from "../../i18n";

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
  return (
    <RouteTabs
      sections={ADMIN_SECTIONS}
      current={current}
      label={t("admin.tabs")}
      title={(s) => t(LABEL[s])}
      path={adminPath}
      tabId={adminTabId}
      panelId={adminPanelId}
      className="border-b border-zinc-200 dark:border-zinc-800"
    />
  );
}
