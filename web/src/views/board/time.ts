// Times on the Blackboard: "5 min ago" with the full time as a tooltip, day dividers,
// and one shared clock that ticks while something shows a relative time.

import { useSyncExternalStore } from "react";
import type { Lang, T } from "../../i18n";

const TICK_MS = 30_000;
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;
const listeners = new Set<() => void>();

function subscribe(l: () => void): () => void {
  if (listeners.size === 0) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const f of listeners) f();
    }, TICK_MS);
  }
  listeners.add(l);
  return () => {
    listeners.delete(l);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** The current time, refreshed every 30 s while any component uses it. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now, () => now);
}

function locale(lang: Lang): string {
  return lang === "zh" ? "zh-CN" : "en";
}

const cache = new Map<string, Intl.RelativeTimeFormat | Intl.DateTimeFormat>();
function rtf(lang: Lang): Intl.RelativeTimeFormat {
  const k = `rel:${lang}`;
  let f = cache.get(k) as Intl.RelativeTimeFormat | undefined;
  if (!f) cache.set(k, (f = new Intl.RelativeTimeFormat(locale(lang), { numeric: "auto", style: "short" })));
  return f;
}
function dtf(lang: Lang, kind: "full" | "day" | "dayYear" | "short"): Intl.DateTimeFormat {
  const k = `${kind}:${lang}`;
  let f = cache.get(k) as Intl.DateTimeFormat | undefined;
  if (!f) {
    const opts: Intl.DateTimeFormatOptions =
      kind === "full"
        ? { dateStyle: "full", timeStyle: "medium" }
        : kind === "day"
          ? { weekday: "long", month: "long", day: "numeric" }
          : kind === "dayYear"
            ? { year: "numeric", month: "long", day: "numeric" }
            : { month: "short", day: "numeric" };
    cache.set(k, (f = new Intl.DateTimeFormat(locale(lang), opts)));
  }
  return f;
}

/** "just now", "5 min. ago", "3 hr. ago", "yesterday", then a short date. */
export function relativeTime(at: number, nowMs: number, lang: Lang, t: T): string {
  const s = (nowMs - at) / 1000;
  if (s < 45) return t("board.justNow");
  if (s < 3600) return rtf(lang).format(-Math.max(1, Math.round(s / 60)), "minute");
  if (s < 86_400) return rtf(lang).format(-Math.round(s / 3600), "hour");
  if (s < 7 * 86_400) return rtf(lang).format(-Math.round(s / 86_400), "day");
  return dtf(lang, "short").format(at);
}

/** The full date and time, for tooltips. */
export function fullTime(at: number, lang: Lang): string {
  return dtf(lang, "full").format(at);
}

/** Whether two times fall on the same local day. */
export function sameDay(a: number, b: number): boolean {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
}

/** "Today", "Yesterday", "Monday, March 3" or "March 3, 2025" for a day divider. */
export function dayLabel(at: number, nowMs: number, lang: Lang, t: T): string {
  if (sameDay(at, nowMs)) return t("board.today");
  if (sameDay(at, nowMs - 86_400_000)) return t("board.yesterday");
  const sameYear = new Date(at).getFullYear() === new Date(nowMs).getFullYear();
  return dtf(lang, sameYear ? "day" : "dayYear").format(at);
}
