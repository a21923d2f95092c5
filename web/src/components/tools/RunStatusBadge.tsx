import { useT } from "../../i18n";
import type { ToolRunStatus } from "../../protocol.gen";

const STYLE: Record<ToolRunStatus, string> = {
  running: "text-sky-700 dark:text-sky-300",
  ok: "text-emerald-700 dark:text-emerald-400",
  error: "text-red-700 dark:text-red-400",
  interrupted: "text-orange-700 dark:text-orange-400",
  cancelled: "text-zinc-500 dark:text-zinc-400",
  awaiting_decision: "text-amber-700 dark:text-amber-300",
  denied: "text-red-700 dark:text-red-400",
};

const ICON: Record<ToolRunStatus, string> = {
  running: "◌",
  ok: "✓",
  error: "✕",
  interrupted: "⚠",
  cancelled: "–",
  awaiting_decision: "⏸",
  denied: "⊘",
};

/** A tool run's state with an icon and colour. */
export function RunStatusBadge({ status }: { status: ToolRunStatus }) {
  const t = useT();
  return (
    <span data-status={status} className={`inline-flex shrink-0 items-center gap-1 text-xs font-medium ${STYLE[status]}`}>
      <span aria-hidden className={status === "running" ? "animate-spin" : ""}>
        {ICON[status]}
      </span>
      {t(`run.status.${status}`)}
    </span>
  );
}
