// The inputs of a limits form: quotas in human units (storage in MiB/GiB, dollars), the
// three permissions as allowed / denied / not set, and the server's caps. Empty means "no
// limit" in the server's defaults and "as the default" in a user's override.

import { useId } from "react";
import { useLang, useT, type Key, type Lang, type T } from "../../i18n";
import {
  CAP_KEYS,
  KIND,
  PERM_KEYS,
  QUOTA_KEYS,
  formatValue,
  type CapKey,
  type CapsDraft,
  type InputError,
  type LimitsDraft,
  type PermKey,
  type QuotaKey,
  type StorageUnit,
  type Tri,
} from "../../lib/limits";
import type { Limits } from "../../protocol.gen";
import { inputClass } from "../config/ui";

const RESOURCES: QuotaKey[] = ["storage_bytes", "concurrent_tasks", "terminals", "mcp_servers", "requests_per_second"];
const BUDGETS: QuotaKey[] = ["tokens_per_day", "tokens_per_month", "cost_per_day_usd", "cost_per_month_usd", "task_cost_usd"];

export const QUOTA_LABEL: Record<QuotaKey, Key> = {
  storage_bytes: "limits.q.storage_bytes",
  concurrent_tasks: "limits.q.concurrent_tasks",
  terminals: "limits.q.terminals",
  mcp_servers: "limits.q.mcp_servers",
  requests_per_second: "limits.q.requests_per_second",
  tokens_per_day: "limits.q.tokens_per_day",
  tokens_per_month: "limits.q.tokens_per_month",
  cost_per_day_usd: "limits.q.cost_per_day_usd",
  cost_per_month_usd: "limits.q.cost_per_month_usd",
  task_cost_usd: "limits.q.task_cost_usd",
};

export const PERM_LABEL: Record<PermKey, Key> = {
  terminals: "limits.p.terminals",
  mcp: "limits.p.mcp",
  commands: "limits.p.commands",
};

const ERROR: Record<InputError, Key> = { number: "limits.err.number", integer: "limits.err.integer" };

/** The placeholder of an empty input: no limit, or (in an override) the default's value. */
function placeholder(t: T, lang: Lang, kind: (typeof KIND)[QuotaKey], fallback: number | null | undefined, override: boolean, none: Key): string {
  if (!override) return t(none);
  if (fallback == null) return t("limits.asDefaultNone");
  return t("limits.asDefault", { value: formatValue(kind, fallback, lang) });
}

/** One numeric input, with its unit. */
function NumberField({
  label,
  kind,
  value,
  onChange,
  placeholder,
  error,
  unit,
  onUnit,
}: {
  label: string;
  kind: (typeof KIND)[QuotaKey];
  value: string;
  onChange: (v: string) => void;
  placeholder: string;
  error?: InputError;
  unit?: StorageUnit;
  onUnit?: (u: StorageUnit) => void;
}) {
  const t = useT();
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-zinc-800 dark:text-zinc-200">
        {label}
      </label>
      <div className="flex items-center gap-1.5">
        {kind === "usd" && (
          <span aria-hidden className="text-sm text-zinc-500">
            $
          </span>
        )}
        <input
          id={id}
          className={inputClass}
          type="text"
          inputMode={kind === "usd" || kind === "bytes" ? "decimal" : "numeric"}
          autoComplete="off"
          value={value}
          placeholder={placeholder}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-err` : undefined}
          onChange={(e) => onChange(e.target.value)}
        />
        {kind === "bytes" && onUnit && (
          <select
            aria-label={t("limits.unit", { field: label })}
            className={`${inputClass.replace("w-full ", "")} w-20 shrink-0`}
            value={unit}
            onChange={(e) => onUnit(e.target.value as StorageUnit)}
          >
            <option value="MiB">MiB</option>
            <option value="GiB">GiB</option>
          </select>
        )}
      </div>
      {error && (
        <p id={`${id}-err`} role="alert" className="mt-1 text-xs text-red-700 dark:text-red-400">
          {t(ERROR[error])}
        </p>
      )}
    </div>
  );
}

/** Allowed / denied / not set, as a group of radio buttons. */
function TriState({
  label,
  value,
  onChange,
  unsetLabel,
}: {
  label: string;
  value: Tri;
  onChange: (v: Tri) => void;
  unsetLabel: string;
}) {
  const t = useT();
  const name = useId();
  const options: [Tri, string][] = [
    ["allow", t("limits.tri.allow")],
    ["deny", t("limits.tri.deny")],
    ["", unsetLabel],
  ];
  return (
    <fieldset className="min-w-0">
      <legend className="mb-1 text-sm font-medium text-zinc-800 dark:text-zinc-200">{label}</legend>
      <div className="flex flex-wrap gap-x-4 gap-y-1">
        {options.map(([v, text]) => (
          <label key={v || "unset"} className="inline-flex items-center gap-1.5 text-sm">
            <input type="radio" name={name} value={v} checked={value === v} onChange={() => onChange(v)} />
            {text}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/**
 * The quotas and permissions of a draft. `defaults` (for an override) are what an empty
 * input or an unset permission falls back to; without it the inputs are the defaults.
 */
export function LimitsFields({
  draft,
  onChange,
  errors,
  defaults,
}: {
  draft: LimitsDraft;
  onChange: (d: LimitsDraft) => void;
  errors: Partial<Record<QuotaKey, InputError>>;
  defaults?: Limits;
}) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const override = defaults !== undefined;
  const setQuota = (k: QuotaKey, v: string) => onChange({ ...draft, quotas: { ...draft.quotas, [k]: v } });
  const group = (title: Key, keys: QuotaKey[]) => (
    <fieldset className="min-w-0">
      <legend className="mb-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase dark:text-zinc-400">{t(title)}</legend>
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {keys.map((k) => (
          <NumberField
            key={k}
            label={t(QUOTA_LABEL[k])}
            kind={KIND[k]}
            value={draft.quotas[k]}
            onChange={(v) => setQuota(k, v)}
            placeholder={placeholder(t, lang, KIND[k], defaults?.quotas?.[k], override, "limits.noLimit")}
            error={errors[k]}
            unit={draft.storageUnit}
            onUnit={(u) => onChange({ ...draft, storageUnit: u })}
          />
        ))}
      </div>
    </fieldset>
  );
  return (
    <div className="space-y-5">
      {group("limits.group.resources", RESOURCES)}
      {group("limits.group.llm", BUDGETS)}
      <fieldset className="min-w-0">
        <legend className="mb-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase dark:text-zinc-400">
          {t("limits.group.permissions")}
        </legend>
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          {PERM_KEYS.map((k) => (
            <TriState
              key={k}
              label={t(PERM_LABEL[k])}
              value={draft.permissions[k]}
              onChange={(v) => onChange({ ...draft, permissions: { ...draft.permissions, [k]: v } })}
              unsetLabel={
                override
                  ? t("limits.tri.asDefault", {
                      value: t(defaults?.permissions?.[k] === false ? "limits.tri.deniedWord" : "limits.tri.allowedWord"),
                    })
                  : t("limits.tri.unsetDefaults")
              }
            />
          ))}
        </div>
      </fieldset>
    </div>
  );
}

/** The server's caps (tokens and dollars per day and month, all users together). */
export function CapsFields({
  draft,
  onChange,
  errors,
}: {
  draft: CapsDraft;
  onChange: (d: CapsDraft) => void;
  errors: Partial<Record<CapKey, InputError>>;
}) {
  const t = useT();
  return (
    <div className="grid gap-3 sm:grid-cols-2">
      {CAP_KEYS.map((k) => (
        <NumberField
          key={k}
          label={t(QUOTA_LABEL[k])}
          kind={KIND[k]}
          value={draft[k]}
          onChange={(v) => onChange({ ...draft, [k]: v })}
          placeholder={t("limits.noCap")}
          error={errors[k]}
        />
      ))}
    </div>
  );
}

/** Effective limits, read-only: each quota's value or "no limit", and the permissions. */
export function LimitsSummary({ limits }: { limits: Limits }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  return (
    <dl className="grid gap-x-6 gap-y-1.5 text-sm sm:grid-cols-2">
      {QUOTA_KEYS.map((k) => {
        const v = limits.quotas?.[k];
        return (
          <div key={k} className="flex justify-between gap-3 border-b border-zinc-100 py-1 dark:border-zinc-800">
            <dt className="text-zinc-600 dark:text-zinc-400">{t(QUOTA_LABEL[k])}</dt>
            <dd className="font-medium tabular-nums">{v == null ? t("limits.noLimit") : formatValue(KIND[k], v, lang)}</dd>
          </div>
        );
      })}
      {PERM_KEYS.map((k) => (
        <div key={k} className="flex justify-between gap-3 border-b border-zinc-100 py-1 dark:border-zinc-800">
          <dt className="text-zinc-600 dark:text-zinc-400">{t(PERM_LABEL[k])}</dt>
          <dd className={`font-medium ${limits.permissions?.[k] === false ? "text-red-700 dark:text-red-400" : ""}`}>
            {t(limits.permissions?.[k] === false ? "limits.tri.deny" : "limits.tri.allow")}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Spending: tokens and dollars. */
export function spendText(t: T, lang: Lang, s: { tokens: number; cost_usd: number }): string {
  return t("limits.spend.value", { tokens: formatValue("tokens", s.tokens, lang), cost: formatValue("usd", s.cost_usd, lang) });
}
