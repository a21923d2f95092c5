// What the admin views share: styles, times, error texts.

import { ErrorCode } from "../../protocol.gen";
import type { Lang } from "../../i18n";
import { RpcError } from "../../lib/rpc";
import { errorMessage } from "../../lib/errors";

export const input =
  "w-full rounded-md border border-zinc-300 bg-white px-3 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-950";

const btnBase =
  "inline-flex items-center justify-center rounded-md px-2.5 py-1 text-sm font-medium whitespace-nowrap disabled:cursor-not-allowed disabled:opacity-50";
export const btn = `${btnBase} border border-zinc-300 bg-white text-zinc-800 hover:bg-zinc-100 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200 dark:hover:bg-zinc-800`;
export const btnPrimary = `${btnBase} bg-indigo-600 text-white hover:bg-indigo-500`;
export const btnDanger = `${btnBase} bg-red-600 text-white hover:bg-red-500`;
export const btnDangerQuiet = `${btnBase} border border-red-300 text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950`;

export const errorBox =
  "rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200";
export const okBox =
  "rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-200";

/** The server's message (it says what to do), or what else went wrong. */
export function errorText(e: unknown): string {
  return errorMessage(e);
}

/** Whether the server refused because the caller is not (or no longer) an admin. */
export function isForbidden(e: unknown): boolean {
  return e instanceof RpcError && e.code === ErrorCode.forbidden;
}

/** A time for tables, in the UI's language. */
export function formatTime(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en", { dateStyle: "medium", timeStyle: "short" }).format(ms);
}
