import { useLang, useT } from "../../i18n";
import type { ToolRun } from "../../protocol.gen";
import { when } from "./format";

/** Who let a run go or stopped it, why and when. */
export function DecisionLine({ run }: { run: ToolRun }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const d = run.decision;
  if (!d) {
    return run.status === "awaiting_decision" ? (
      <span className="text-xs font-medium text-amber-700 dark:text-amber-300">{t("run.decision.waiting")}</span>
    ) : null;
  }
  const by = d.by === "user" ? t("run.decision.you") : d.by;
  const text = d.kind === "policy" ? t("run.decision.policy") : t(`run.decision.${d.kind}`, { by });
  const tone =
    d.kind === "deny"
      ? "text-red-700 dark:text-red-400"
      : d.kind === "policy"
        ? "text-zinc-500 dark:text-zinc-400"
        : "text-emerald-700 dark:text-emerald-400";
  return (
    <span className="text-xs" data-decision={d.kind}>
      <span className={`font-medium ${tone}`}>{text}</span>
      <span className="text-zinc-500"> · {when(d.at, lang)}</span>
      {d.reason && <span className="text-zinc-600 dark:text-zinc-400"> · {t("run.decision.reason", { reason: d.reason })}</span>}
    </span>
  );
}
