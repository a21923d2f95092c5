import { useT } from "../i18n";
import type { TaskStatus } from "../protocol.gen";

const STYLE: Record<TaskStatus, { badge: string; dot: string }> = {
  pending: { badge: "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300", dot: "bg-zinc-400" },
  active: { badge: "bg-sky-50 text-sky-800 dark:bg-sky-950 dark:text-sky-300", dot: "bg-sky-500" },
  needs_confirm: { badge: "bg-amber-50 text-amber-900 dark:bg-amber-950 dark:text-amber-300", dot: "bg-amber-500" },
  finalizing: { badge: "bg-violet-50 text-violet-800 dark:bg-violet-950 dark:text-violet-300", dot: "bg-violet-500" },
  done: { badge: "bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300", dot: "bg-emerald-500" },
  blocked: { badge: "bg-orange-50 text-orange-800 dark:bg-orange-950 dark:text-orange-300", dot: "bg-orange-500" },
  reassigning: { badge: "bg-indigo-50 text-indigo-800 dark:bg-indigo-950 dark:text-indigo-300", dot: "bg-indigo-500" },
  failed: { badge: "bg-red-50 text-red-800 dark:bg-red-950 dark:text-red-300", dot: "bg-red-500" },
};

/** A task's state as a coloured, localized badge. */
export function StatusBadge({ status }: { status: TaskStatus }) {
  const t = useT();
  const s = STYLE[status];
  return (
    <span data-status={status} className={`inline-flex shrink-0 items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ${s.badge}`}>
      <span className={`h-1.5 w-1.5 rounded-full ${s.dot}`} aria-hidden />
      {t(`task.status.${status}`)}
    </span>
  );
}
