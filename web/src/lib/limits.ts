// Quotas, caps and permissions in the units people use: storage in MiB or GiB, dollars with
// two decimals, counts and tokens as integers. An empty input is "no limit" in the server's
// defaults and "as the default" in a user's override (docs/protocol.md, "Quotas, budgets
// and permissions").

import type { Limits, Permissions, Quotas, ServerCaps } from "../protocol.gen";
import type { Lang } from "../i18n";

export type QuotaKey = keyof Quotas;
export type CapKey = keyof ServerCaps;
export type PermKey = keyof Permissions;

/** What a number means: bytes, a count, tokens or US dollars. */
export type Kind = "bytes" | "count" | "tokens" | "usd";

export const QUOTA_KEYS = [
  "storage_bytes",
  "concurrent_tasks",
  "terminals",
  "mcp_servers",
  "requests_per_second",
  "tokens_per_day",
  "tokens_per_month",
  "cost_per_day_usd",
  "cost_per_month_usd",
  "task_cost_usd",
] as const satisfies readonly QuotaKey[];

export const CAP_KEYS = ["tokens_per_day", "tokens_per_month", "cost_per_day_usd", "cost_per_month_usd"] as const satisfies readonly CapKey[];

export const PERM_KEYS = ["terminals", "mcp", "commands"] as const satisfies readonly PermKey[];

export const KIND: Record<QuotaKey, Kind> = {
  storage_bytes: "bytes",
  concurrent_tasks: "count",
  terminals: "count",
  mcp_servers: "count",
  requests_per_second: "count",
  tokens_per_day: "tokens",
  tokens_per_month: "tokens",
  cost_per_day_usd: "usd",
  cost_per_month_usd: "usd",
  task_cost_usd: "usd",
};

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export type StorageUnit = "MiB" | "GiB";
const UNIT: Record<StorageUnit, number> = { MiB, GiB };

/** Trims a number to at most `digits` decimals, without trailing zeros. */
function trimmed(n: number, digits: number): string {
  return String(Number(n.toFixed(digits)));
}

/** A byte count as an input in the unit that shows it best (GiB when whole, else MiB). */
export function bytesToInput(bytes: number): { value: string; unit: StorageUnit } {
  if (bytes >= GiB && bytes % GiB === 0) return { value: String(bytes / GiB), unit: "GiB" };
  if (bytes >= GiB && bytes % (GiB / 4) === 0) return { value: trimmed(bytes / GiB, 2), unit: "GiB" };
  return { value: trimmed(bytes / MiB, 3), unit: "MiB" };
}

/** An input in MiB or GiB as bytes (whole bytes). */
export function inputToBytes(value: number, unit: StorageUnit): number {
  return Math.round(value * UNIT[unit]);
}

/** Why an input is not a limit. */
export type InputError = "number" | "integer";

/**
 * Parses one input: empty → `undefined` (no limit / as default); otherwise a number of
 * the field's kind, 0 or more — bytes from MiB/GiB, dollars rounded to cents, whole
 * counts and tokens.
 */
export function parseInput(kind: Kind, text: string, unit: StorageUnit = "MiB"): { value?: number; error?: InputError } {
  const s = text.trim().replace(/[,_\s]/g, "");
  if (s === "") return {};
  const n = Number(kind === "usd" ? s.replace(/^\$/, "") : s);
  if (!Number.isFinite(n) || n < 0) return { error: "number" };
  switch (kind) {
    case "bytes":
      return { value: inputToBytes(n, unit) };
    case "usd":
      return { value: Math.round(n * 100) / 100 };
    default:
      return Number.isInteger(n) ? { value: n } : { error: "integer" };
  }
}

/** A value as the text of its input (the inverse of `parseInput`). */
export function toInput(kind: Kind, value: number | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (kind === "usd") return value.toFixed(2);
  if (kind === "bytes") return bytesToInput(value).value;
  return String(value);
}

const locale = (lang: Lang) => (lang === "zh" ? "zh-CN" : "en");

/** Bytes for people: "512 MiB", "1.5 GiB". */
export function formatBytes(n: number, lang: Lang): string {
  const f = (v: number) => new Intl.NumberFormat(locale(lang), { maximumFractionDigits: v < 10 ? 2 : 1 }).format(v);
  if (n >= GiB) return `${f(n / GiB)} GiB`;
  if (n >= MiB) return `${f(n / MiB)} MiB`;
  if (n >= 1024) return `${f(n / 1024)} KiB`;
  return `${n} B`;
}

/** Dollars with two decimals: "$1.50". */
export function formatUsd(n: number, lang: Lang): string {
  return new Intl.NumberFormat(locale(lang), { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n);
}

/** A count or token number with the language's grouping. */
export function formatCount(n: number, lang: Lang): string {
  return new Intl.NumberFormat(locale(lang)).format(n);
}

/** A value of a kind for people. */
export function formatValue(kind: Kind, n: number, lang: Lang): string {
  return kind === "bytes" ? formatBytes(n, lang) : kind === "usd" ? formatUsd(n, lang) : formatCount(n, lang);
}

/** A permission's three states: allowed, denied, or not set (the default). */
export type Tri = "" | "allow" | "deny";

export function triOf(v: boolean | null | undefined): Tri {
  return v === true ? "allow" : v === false ? "deny" : "";
}

/** The inputs of a limits form. */
export interface LimitsDraft {
  quotas: Record<QuotaKey, string>;
  storageUnit: StorageUnit;
  permissions: Record<PermKey, Tri>;
}

/** The inputs of the server's caps. */
export type CapsDraft = Record<CapKey, string>;

export function draftOf(l: Limits): LimitsDraft {
  const q = l.quotas ?? {};
  const p = l.permissions ?? {};
  const quotas = Object.fromEntries(QUOTA_KEYS.map((k) => [k, toInput(KIND[k], q[k])])) as Record<QuotaKey, string>;
  const storageUnit = q.storage_bytes != null ? bytesToInput(q.storage_bytes).unit : "GiB";
  const permissions = Object.fromEntries(PERM_KEYS.map((k) => [k, triOf(p[k])])) as Record<PermKey, Tri>;
  return { quotas, storageUnit, permissions };
}

export function capsDraftOf(c: ServerCaps): CapsDraft {
  return Object.fromEntries(CAP_KEYS.map((k) => [k, toInput(KIND[k], c[k])])) as CapsDraft;
}

/** The limits a draft stands for (only what is set), or the inputs that are not numbers. */
export function limitsOf(d: LimitsDraft): { limits: Limits; errors: Partial<Record<QuotaKey, InputError>> } {
  const quotas: Quotas = {};
  const errors: Partial<Record<QuotaKey, InputError>> = {};
  for (const k of QUOTA_KEYS) {
    const r = parseInput(KIND[k], d.quotas[k], d.storageUnit);
    if (r.error) errors[k] = r.error;
    else if (r.value !== undefined) quotas[k] = r.value;
  }
  const permissions: Permissions = {};
  for (const k of PERM_KEYS) if (d.permissions[k] !== "") permissions[k] = d.permissions[k] === "allow";
  return { limits: { quotas, permissions }, errors };
}

export function capsOf(d: CapsDraft): { caps: ServerCaps; errors: Partial<Record<CapKey, InputError>> } {
  const caps: ServerCaps = {};
  const errors: Partial<Record<CapKey, InputError>> = {};
  for (const k of CAP_KEYS) {
    const r = parseInput(KIND[k], d[k]);
    if (r.error) errors[k] = r.error;
    else if (r.value !== undefined) caps[k] = r.value;
  }
  return { caps, errors };
}

/** The capabilities a user's effective limits deny. */
export function denied(l: Limits): PermKey[] {
  return PERM_KEYS.filter((k) => l.permissions?.[k] === false);
}
