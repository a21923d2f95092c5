// What a failed call says to a person: the server's message (a sentence), and for a
// reached quota (`quota_exceeded`) when it resets, in the reader's language and time zone.

import { ErrorCode, type QuotaExceeded, type QuotaKind } from "../protocol.gen";
import { translate, useLang, type Lang } from "../i18n";
import { RpcError } from "./rpc";

/** The `data` of a `quota_exceeded` error (generated from the server's type). */
export type QuotaExceededData = QuotaExceeded;

/** The details of a `quota_exceeded` error, or null for any other error (or bad data). */
export function quotaExceeded(e: unknown): QuotaExceededData | null {
  if (!(e instanceof RpcError) || e.code !== ErrorCode.quota_exceeded) return null;
  const d = e.data;
  if (typeof d !== "object" || d === null) return null;
  const r = d as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const scope = r.scope === "task" || r.scope === "server" ? r.scope : "user";
  return {
    // The server names the limit; an unknown name is passed on as it came.
    limit: (typeof r.limit === "string" ? r.limit : "") as QuotaKind,
    scope,
    used: num(r.used) ?? 0,
    max: num(r.max) ?? 0,
    resets_at: num(r.resets_at) ?? null,
  };
}

/** A date and time in the reader's language and time zone, with the zone's name. */
export function formatDateTime(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en", {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
  }).format(ms);
}

/** The message of an error, for showing: a reached quota also says when it resets (local time). */
export function errorMessage(e: unknown, lang: Lang = useLang.getState().lang): string {
  const message = e instanceof Error ? e.message : String(e);
  const q = quotaExceeded(e);
  if (!q?.resets_at) return message;
  return `${message} ${translate(lang, "limits.resetsLocal", { time: formatDateTime(q.resets_at, lang) })}`;
}
