import { memo, useId } from "react";
import { useLang, useT } from "../../i18n";
import type { Task } from "../../protocol.gen";
import { navigate } from "../../lib/router";
import { useStore } from "../../lib/store";
import { compact, cost, tokens } from "../../components/tools/format";
import { Priority } from "./Priority";

const REASON_TONE: Partial<Record<Task["status"], string>> = {
  needs_confirm: "text-amber-800 dark:text-amber-300",
  blocked: "text-orange-800 dark:text-orange-300",
  failed: "text-red-700 dark:text-red-400",
  reassigning: "text-indigo-700 dark:text-indigo-300",
};

/** A task on the board: a button named by its title, with assignee, priority, difficulty and spend. */
export const TaskCard = memo(function TaskCard({ task, selected }: { task: Task; selected: boolean }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const assignee = useStore((s) => (task.assignee ? (s.agents[task.assignee]?.name ?? task.assignee) : null));
  const titleId = useId();
  const metaId = useId();
  const spent = tokens(task.usage);
  const reasonTone = REASON_TONE[task.status];
  return (
    <li>
      <button
        type="button"
        data-task={task.id}
        aria-labelledby={titleId}
        aria-describedby={metaId}
        aria-current={selected ? "true" : undefined}
        onClick={() => navigate(`/tasks/${encodeURIComponent(task.id)}`)}
        className={`task-card block w-full rounded-lg border bg-white p-2.5 text-left shadow-xs transition-colors hover:border-indigo-300 dark:bg-zinc-900 dark:hover:border-indigo-700 ${
          selected ? "border-indigo-500 ring-1 ring-indigo-500 dark:border-indigo-400" : "border-zinc-200 dark:border-zinc-800"
        }`}
      >
        <span id={titleId} className="line-clamp-3 block text-sm leading-snug font-medium text-zinc-900 dark:text-zinc-100">
          {task.title}
        </span>
        {reasonTone && task.status_reason && (
          <span className={`mt-1 line-clamp-2 block text-xs ${reasonTone}`}>{task.status_reason}</span>
        )}
        <span id={metaId} className="mt-2 flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-zinc-500 dark:text-zinc-400">
          <Priority value={task.priority} />
          <span title={t("tasks.difficulty")}>
            <span aria-hidden>D{task.difficulty}</span>
            <span className="sr-only">{t("tasks.difficultyN", { n: task.difficulty })}</span>
          </span>
          <span className="flex min-w-0 items-center gap-1">
            <span
              aria-hidden
              className={`flex h-4 w-4 shrink-0 items-center justify-center rounded-full text-[10px] font-semibold ${
                assignee ? "bg-indigo-100 text-indigo-800 dark:bg-indigo-900 dark:text-indigo-200" : "border border-dashed border-zinc-400"
              }`}
            >
              {assignee?.slice(0, 1).toUpperCase()}
            </span>
            <span className="truncate">{assignee ?? t("tasks.unassigned")}</span>
          </span>
          {spent > 0 && (
            <span className="ml-auto tabular-nums" title={t("tasks.tokensN", { n: spent.toLocaleString() })}>
              <span aria-hidden>
                {compact(spent, lang)} · {cost(task.usage?.cost_usd ?? 0)}
              </span>
              <span className="sr-only">
                {t("tasks.tokensN", { n: spent.toLocaleString() })}, {cost(task.usage?.cost_usd ?? 0)}
              </span>
            </span>
          )}
        </span>
      </button>
    </li>
  );
});
