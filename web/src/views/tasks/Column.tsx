import { useT } from "../../i18n";
import type { Task, TaskStatus } from "../../protocol.gen";
import { statusDot } from "./states";
import { TaskCard } from "./TaskCard";

/** One state's column: a region named by the state, with its count and cards. */
export function Column({ status, tasks, open }: { status: TaskStatus; tasks: Task[]; open: string | null }) {
  const t = useT();
  const name = t(`task.status.${status}`);
  return (
    <section
      aria-label={name}
      data-column={status}
      className="flex min-h-0 flex-[1_0_12rem] flex-col rounded-xl bg-zinc-100/80 dark:bg-zinc-900/70"
    >
      <header className="flex items-center gap-2 px-3 pt-2.5 pb-2">
        <span className={`h-2 w-2 rounded-full ${statusDot(status)}`} aria-hidden />
        <h2 className="text-xs font-semibold tracking-wide text-zinc-700 uppercase dark:text-zinc-300">{name}</h2>
        <span
          className="ml-auto rounded-full bg-zinc-200 px-1.5 text-xs font-medium text-zinc-700 tabular-nums dark:bg-zinc-800 dark:text-zinc-300"
          data-testid={`count-${status}`}
        >
          <span aria-hidden>{tasks.length}</span>
          <span className="sr-only">{t("tasks.countN", { n: tasks.length })}</span>
        </span>
      </header>
      <ul className="min-h-0 flex-1 space-y-2 overflow-y-auto px-2 pt-1 pb-2">
        {tasks.map((x) => (
          <TaskCard key={x.id} task={x} selected={x.id === open} />
        ))}
        {tasks.length === 0 && <li className="px-1 py-3 text-center text-xs text-zinc-400 dark:text-zinc-600">{t("tasks.none")}</li>}
      </ul>
    </section>
  );
}
