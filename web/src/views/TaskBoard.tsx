// The task board: one column per state in lifecycle order, cards moving live as
// task_updated events arrive; /tasks/:id opens the task view over it.

import { useMemo } from "react";
import { useT } from "../i18n";
import type { Task, TaskStatus } from "../protocol.gen";
import { navigate } from "../lib/router";
import { useStore } from "../lib/store";
import { Column } from "./tasks/Column";
import { Filters } from "./tasks/Filters";
import { applyFilters, byPriority, useTaskFilters } from "./tasks/filters";
import { TASK_STATES } from "./tasks/states";
import { TaskDrawer } from "./tasks/TaskDrawer";

/** The board (`/tasks`), with the task `task` open over it (`/tasks/:id`) when given. */
export function TaskBoard({ task }: { task: string | null }) {
  const t = useT();
  const tasks = useStore((s) => s.tasks);
  const filters = useTaskFilters();
  const { columns, shown, total } = useMemo(() => {
    const all = Object.values(tasks);
    const list = applyFilters(all, filters);
    const columns = Object.fromEntries(TASK_STATES.map((s) => [s, [] as Task[]])) as Record<TaskStatus, Task[]>;
    for (const x of list) columns[x.status]?.push(x);
    for (const s of TASK_STATES) columns[s].sort(byPriority);
    return { columns, shown: list.length, total: all.length };
  }, [tasks, filters]);

  const close = () => {
    const id = task;
    navigate("/tasks");
    // Give focus back to the card when the drawer's own restore had nothing to return to.
    requestAnimationFrame(() => {
      if (id && (document.activeElement === document.body || !document.activeElement)) {
        document.querySelector<HTMLElement>(`[data-task="${CSS.escape(id)}"]`)?.focus();
      }
    });
  };

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <header className="flex flex-wrap items-center gap-x-4 gap-y-2 border-b border-zinc-200 px-5 py-3 dark:border-zinc-800">
        <h1 className="text-lg font-semibold">{t("nav.tasks")}</h1>
        <span className="text-sm text-zinc-500" data-testid="task-count">
          {shown === total ? t("tasks.total", { n: total }) : t("tasks.shown", { n: shown, total })}
        </span>
        <div className="ml-auto">
          <Filters />
        </div>
      </header>
      {total === 0 && <p className="px-5 pt-3 text-sm text-zinc-500">{t("tasks.emptyHint")}</p>}
      <div className="flex min-h-0 flex-1 gap-2 overflow-x-auto p-3" data-testid="board">
        {TASK_STATES.map((s) => (
          <Column key={s} status={s} tasks={columns[s]} open={task} />
        ))}
      </div>
      {task && <TaskDrawer id={task} onClose={close} />}
    </div>
  );
}
