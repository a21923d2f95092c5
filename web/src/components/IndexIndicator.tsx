// The workspace index in the status bar: not started, building (with progress), ready
// (files and symbols; the rest in the tooltip) or failed (the error in the tooltip).

import { useLang, useT, type Key } from "../i18n";
import { navigate } from "../lib/router";
import { useStore } from "../lib/store";
import type { IndexStatus } from "../protocol.gen";
import { duration, locale } from "./tools/format";

/** "rust: 3, python: 2" pairs of `languages`, whatever shape a server sends. */
function languagePairs(s: IndexStatus): [string, number][] {
  return (s.languages ?? []).flatMap((p) => (Array.isArray(p) && typeof p[0] === "string" && typeof p[1] === "number" ? [[p[0], p[1]] as [string, number]] : []));
}

/** The index's state, live from `index.status`; a click opens the Context view. */
export function IndexIndicator() {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const s = useStore((st) => st.index);
  const num = (n: number) => n.toLocaleString(locale(lang));
  let text: string;
  let title = "";
  let progress: number | null = null;
  let dot = "bg-zinc-400";
  switch (s?.state) {
    case "idle":
      text = t("status.index.idle");
      break;
    case "building":
      text = t("status.index.building", { n: num(s.files), total: num(s.files_total) });
      progress = s.files_total > 0 ? Math.min(1, s.files / s.files_total) : 0;
      dot = "bg-sky-500";
      break;
    case "ready": {
      text = t("status.index.ready", { files: num(s.files), symbols: num(s.symbols) });
      const langs = languagePairs(s)
        .map(([l, n]) => {
          const key = `ctx.lang.${l}` as Key;
          const name = t(key) === key ? l : t(key);
          return `${name} ${num(n)}`;
        })
        .join(", ");
      title = [
        t("status.index.chunks", { n: num(s.chunks) }),
        t("status.index.memory", { n: num(s.memory) }),
        langs,
        s.build_ms != null ? t("status.index.builtIn", { d: duration(s.build_ms) }) : "",
        s.skipped ? t("status.index.skipped", { n: num(s.skipped) }) : "",
      ]
        .filter(Boolean)
        .join(" · ");
      // Ready, but not all of it: say so with the colour too.
      dot = s.skipped ? "bg-amber-500" : "bg-emerald-500";
      break;
    }
    case "failed":
      text = t("status.index.failed");
      title = s.error ?? "";
      dot = "bg-red-500";
      break;
    default:
      text = t("status.index.unknown");
  }
  return (
    <button
      type="button"
      data-testid="status-index"
      data-state={s?.state ?? "unknown"}
      title={title || t("status.index.open")}
      onClick={() => navigate("/context")}
      className="flex items-center gap-1 rounded px-1 hover:bg-zinc-200 dark:hover:bg-zinc-800"
    >
      <span className={`inline-block h-2 w-2 rounded-full ${dot}`} aria-hidden />
      {t("status.index")}: {text}
      {progress !== null && (
        <span
          role="progressbar"
          aria-label={t("status.index")}
          aria-valuemin={0}
          aria-valuemax={s?.files_total ?? 0}
          aria-valuenow={s?.files ?? 0}
          className="ml-1 inline-block h-1.5 w-16 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-700"
        >
          <span className="block h-full rounded-full bg-sky-500 transition-[width]" style={{ width: `${Math.round(progress * 100)}%` }} />
        </span>
      )}
    </button>
  );
}
