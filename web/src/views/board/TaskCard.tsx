import { memo, type MouseEvent } from "react";
import { StatusBadge } from "../../components/StatusBadge";
import { useT } from "../../i18n";
import type { TaskStatus } from "../../protocol.gen";
import { navigate } from "../../lib/router";
import { useStore } from "../../lib/store";

// States whose reason tells the user something the badge does not.
const SHOW_REASON = new Set<TaskStatus>(["needs_confirm", "blocked", "failed", "reassigning"]);

const PRIORITY = ["", "text-zinc-400", "text-zinc-500 dark:text-zinc-400", "text-zinc-600 dark:text-zinc-400", "text-orange-600 dark:text-orange-400", "text-red-600 dark:text-red-400"];

/** Opens a link inside the app on a plain click (new tab, etc. stay the browser's). */
export function openInApp(e: MouseEvent<HTMLAnchorElement>, href: string): void {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(href);
}

/** A task as a live card (title, state, assignee, priority) that opens the task; null if unknown. */
export const TaskCard = memo(function TaskCard({ taskId }: { taskId: string }) {
  const t = useT();
  const task = useStore((s) => s.tasks[taskId]);
  const assignee = useStore((s) => {
    const id = s.tasks[taskId]?.assignee;
    return id ? (s.agents[id]?.name ?? id) : null;
  });
  if (!task) return null;
  const href = `/tasks/${encodeURIComponent(task.id)}`;
  const p = Math.min(5, Math.max(1, task.priority));
  return (
    <a
      href={href}
      onClick={(e) => openInApp(e, href)}
      data-task-id={task.id}
      className="group block w-full max-w-xl rounded-lg border border-zinc-200 bg-white px-3 py-2.5 text-left shadow-sm transition hover:border-indigo-300 hover:shadow-md dark:border-zinc-800 dark:bg-zinc-900 dark:hover:border-indigo-700"
    >
      <span className="flex items-start gap-2">
        <span className="mt-0.5 text-[10px] font-semibold tracking-wider text-zinc-400 uppercase">{t("board.card.task")}</span>
        <span className="min-w-0 flex-1 text-sm font-medium break-words text-zinc-900 group-hover:text-indigo-700 dark:text-zinc-100 dark:group-hover:text-indigo-300">
          {task.title}
        </span>
        <StatusBadge status={task.status} />
      </span>
      <span className="mt-1.5 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-zinc-500 dark:text-zinc-400">
        <span data-testid="task-assignee">{assignee ? t("board.card.assignee", { name: assignee }) : t("board.card.unassigned")}</span>
        <span className={`font-semibold ${PRIORITY[p]}`} title={t("board.card.priorityTitle", { n: p })}>
          <span aria-hidden>{t("board.card.priority", { n: p })}</span>
          <span className="sr-only">{t("board.card.priorityTitle", { n: p })}</span>
        </span>
        {task.status_reason && SHOW_REASON.has(task.status) && (
          <span className="min-w-0 flex-1 truncate" title={task.status_reason}>
            {task.status_reason}
          </span>
        )}
      </span>
    </a>
  );
});
