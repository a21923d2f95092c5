// Admin → Audit log: admin actions and High-risk decisions, newest first, filtered by
// actor and action prefix, paged back with "Load older" (`before` = the oldest id shown).

import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import type { AdminAuditListParams, AuditRecord } from "../../protocol.gen";
import { useLang, useT } from "../../i18n";
import { formatDateTime } from "../../lib/errors";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import { btn, btnPrimary, errorBox, errorText, input } from "./ui";

/** How many records one page asks for. */
export const AUDIT_PAGE = 50;

const ACTIONS = ["user.", "token.", "limits.", "toolrun."];

/** A detail in one line: `key=value` pairs (values as JSON), at most `max` characters. */
export function compactDetail(detail: unknown, max = 140): string {
  if (detail === null || detail === undefined) return "";
  let s: string;
  if (typeof detail === "object" && !Array.isArray(detail)) {
    s = Object.entries(detail as Record<string, unknown>)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
  } else s = typeof detail === "string" ? detail : JSON.stringify(detail);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

interface Filter {
  actor: string;
  action: string;
}

function params(f: Filter, before?: number): AdminAuditListParams {
  return {
    limit: AUDIT_PAGE,
    ...(f.actor.trim() ? { actor: f.actor.trim() } : {}),
    ...(f.action.trim() ? { action: f.action.trim() } : {}),
    ...(before !== undefined ? { before } : {}),
  };
}

export function AuditLog({ onError }: { onError?: (e: unknown) => void }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const connection = useStore((s) => s.connection);
  const id = useId();
  const [form, setForm] = useState<Filter>({ actor: "", action: "" });
  const [filter, setFilter] = useState<Filter>({ actor: "", action: "" });
  const [records, setRecords] = useState<AuditRecord[] | null>(null);
  const [more, setMore] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (f: Filter, older: AuditRecord[] | null) => {
      setBusy(true);
      setError(null);
      try {
        const before = older && older.length > 0 ? older[older.length - 1].id : undefined;
        const r = await api().call("admin.audit.list", params(f, before));
        setRecords([...(older ?? []), ...r.records]);
        setMore(r.records.length === AUDIT_PAGE);
      } catch (e) {
        setError(errorText(e));
        onError?.(e);
      } finally {
        setBusy(false);
      }
    },
    [onError],
  );

  useEffect(() => {
    if (connection === "open") void load(filter, null);
  }, [connection, filter, load]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilter({ ...form });
  };
  const filtered = filter.actor !== "" || filter.action !== "";

  return (
    <div className="space-y-4">
      <header className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 className="text-lg font-semibold">{t("audit.title")}</h1>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">{t("audit.intro")}</p>
        </div>
        <button type="button" className={btn} onClick={() => void load(filter, null)}>
          {t("admin.refresh")}
        </button>
      </header>
      <form onSubmit={apply} role="search" aria-label={t("audit.filters")} className="flex flex-wrap items-end gap-3">
        <label className="min-w-40 text-sm">
          <span className="mb-1 block font-medium">{t("audit.actor")}</span>
          <input
            className={input}
            value={form.actor}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setForm({ ...form, actor: e.target.value })}
          />
        </label>
        <label className="min-w-40 text-sm">
          <span className="mb-1 block font-medium">{t("audit.action")}</span>
          <input
            className={input}
            list={`${id}-actions`}
            value={form.action}
            autoComplete="off"
            spellCheck={false}
            placeholder="limits."
            onChange={(e) => setForm({ ...form, action: e.target.value })}
          />
          <datalist id={`${id}-actions`}>
            {ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <button type="submit" className={`${btnPrimary} py-1.5`}>
          {t("audit.apply")}
        </button>
        {filtered && (
          <button
            type="button"
            className={`${btn} py-1.5`}
            onClick={() => {
              setForm({ actor: "", action: "" });
              setFilter({ actor: "", action: "" });
            }}
          >
            {t("audit.clear")}
          </button>
        )}
      </form>
      {error && (
        <p role="alert" className={errorBox}>
          {error}
        </p>
      )}
      {records === null ? (
        <p className="text-sm text-zinc-500">{connection === "open" ? t("common.loading") : t("admin.notConnected")}</p>
      ) : records.length === 0 ? (
        <p className="text-sm text-zinc-500">{t("audit.empty")}</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{t("audit.title")}</caption>
            <thead className="bg-zinc-50 text-xs text-zinc-500 dark:bg-zinc-900 dark:text-zinc-400">
              <tr>
                {(["audit.col.time", "audit.col.actor", "audit.col.action", "audit.col.target", "audit.col.detail"] as const).map((k) => (
                  <th key={k} scope="col" className="px-3 py-2 font-medium">
                    {t(k)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {records.map((r) => {
                const full = r.detail === null || r.detail === undefined ? "" : JSON.stringify(r.detail, null, 2);
                const short = compactDetail(r.detail);
                return (
                  <tr key={r.id} data-testid={`audit-${r.id}`} className="border-t border-zinc-100 align-top dark:border-zinc-800">
                    <td className="px-3 py-2 whitespace-nowrap text-zinc-600 tabular-nums dark:text-zinc-400">
                      <time dateTime={new Date(r.at).toISOString()}>{formatDateTime(r.at, lang)}</time>
                    </td>
                    <td className="px-3 py-2">{r.actor}</td>
                    <td className="px-3 py-2 font-mono text-xs">{r.action}</td>
                    <td className="px-3 py-2">{r.target}</td>
                    <td className="max-w-md px-3 py-2 font-mono text-xs break-all text-zinc-600 dark:text-zinc-400">
                      {short.endsWith("…") ? (
                        <details>
                          <summary className="cursor-pointer">{short}</summary>
                          <pre className="mt-1 whitespace-pre-wrap">{full}</pre>
                        </details>
                      ) : (
                        short
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {records !== null && records.length > 0 && (
        <div className="flex items-center gap-3">
          {more ? (
            <button type="button" className={btn} disabled={busy} onClick={() => void load(filter, records)}>
              {busy ? t("common.loading") : t("audit.older")}
            </button>
          ) : (
            <span className="text-xs text-zinc-500">{t("audit.end")}</span>
          )}
          <span role="status" className="text-xs text-zinc-500">
            {t("audit.count", { n: records.length })}
          </span>
        </div>
      )}
    </div>
  );
}
