// Usage & limits: what the signed-in user may use (their effective limits) and how much of
// it they use now, from `quota.get`, read each time the section opens.

import { useState, type ReactNode } from "react";
import { useLang, useT, type Key } from "../../i18n";
import { formatDateTime } from "../../lib/errors";
import { denied, formatValue, KIND, type QuotaKey } from "../../lib/limits";
import { api } from "../../lib/sync";
import type { QuotaGetResult } from "../../protocol.gen";
import { PERM_LABEL, QUOTA_LABEL } from "../admin/LimitsFields";
import { useLoad } from "./useLoad";
import { btn, Card, InlineError } from "./ui";

/** A used / max bar (no bar without a max). */
function Bar({ used, max, label }: { used: number; max: number; label: string }) {
  const pct = max > 0 ? Math.min(100, Math.round((used / max) * 100)) : 100;
  const color = pct >= 100 ? "bg-red-500" : pct >= 80 ? "bg-amber-500" : "bg-indigo-500";
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      className="mt-1.5 h-2 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
    >
      <div className={`h-full ${color}`} style={{ width: `${pct}%` }} />
    </div>
  );
}

function Row({ label, value, note, children, testId }: { label: string; value: string; note?: string; children?: ReactNode; testId?: string }) {
  return (
    <div data-testid={testId} className="border-b border-zinc-100 py-2 last:border-0 dark:border-zinc-800">
      <div className="flex flex-wrap items-baseline justify-between gap-x-3">
        <dt className="text-sm text-zinc-700 dark:text-zinc-300">{label}</dt>
        <dd className="text-sm font-medium tabular-nums">{value}</dd>
      </div>
      {children}
      {note && <p className="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400">{note}</p>}
    </div>
  );
}

/** The Usage & limits section. */
export function Usage() {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const [data, setData] = useState<QuotaGetResult | null>(null);
  const load = useLoad(async () => setData(await api().call("quota.get")));

  const q = data?.limits.quotas ?? {};
  const u = data?.usage;
  /** "used of max", "used (no limit)", or just the max for limits without a count. */
  const usedOf = (k: QuotaKey, used: number | null) => {
    const max = q[k];
    const kind = KIND[k];
    if (used === null) return max == null ? t("limits.noLimit") : formatValue(kind, max, lang);
    const usedText = formatValue(kind, used, lang);
    return max == null ? t("usage.usedNoLimit", { used: usedText }) : t("usage.usedOf", { used: usedText, max: formatValue(kind, max, lang) });
  };
  const row = (k: QuotaKey, used: number | null, label: Key = QUOTA_LABEL[k], note?: string, bar = false) => (
    <Row key={`${k}-${label}`} testId={`usage-${k}`} label={t(label)} value={usedOf(k, used)} note={note}>
      {bar && used !== null && q[k] != null && <Bar used={used} max={q[k] ?? 0} label={t(label)} />}
    </Row>
  );
  const deniedList = data ? denied(data.limits) : [];

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <p className="text-sm text-zinc-600 dark:text-zinc-400">{t("usage.desc")}</p>
        <button type="button" className={btn()} onClick={load.retry} disabled={load.loading}>
          {t("admin.refresh")}
        </button>
      </div>
      {load.error && <InlineError message={load.error} />}
      {!data && !load.error && <p className="text-sm text-zinc-500">{t("common.loading")}</p>}
      {data && u && (
        <>
          <Card title={t("usage.resources")}>
            <dl>
              {row("storage_bytes", u.storage_bytes, QUOTA_LABEL.storage_bytes, undefined, true)}
              {row("terminals", u.terminals, "usage.terminals", undefined, true)}
              {row("concurrent_tasks", null)}
              {row("mcp_servers", null)}
              {row("requests_per_second", null)}
            </dl>
          </Card>
          <Card title={t("usage.llm")} description={t("usage.llmDesc")}>
            <dl>
              {row("tokens_per_day", u.today.tokens, "usage.tokensToday", t("usage.resets", { time: formatDateTime(u.day_resets_at, lang) }), true)}
              {row("cost_per_day_usd", u.today.cost_usd, "usage.costToday", t("usage.resets", { time: formatDateTime(u.day_resets_at, lang) }), true)}
              {row("tokens_per_month", u.month.tokens, "usage.tokensMonth", t("usage.resets", { time: formatDateTime(u.month_resets_at, lang) }), true)}
              {row("cost_per_month_usd", u.month.cost_usd, "usage.costMonth", t("usage.resets", { time: formatDateTime(u.month_resets_at, lang) }), true)}
              {row("task_cost_usd", null)}
            </dl>
          </Card>
          <Card title={t("usage.capabilities")}>
            <p data-testid="usage-denied" className="text-sm">
              {deniedList.length === 0
                ? t("usage.allAllowed")
                : t("usage.denied", { list: deniedList.map((k) => t(PERM_LABEL[k])).join(t("usage.listSep")) })}
            </p>
          </Card>
        </>
      )}
    </div>
  );
}
