import type { ReactNode } from "react";
import { useLang, useT } from "../../i18n";
import type { Task } from "../../protocol.gen";
import { navigate } from "../../lib/router";
import { useStore } from "../../lib/store";
import { cost, tokens, when } from "../../components/tools/format";
import { Priority } from "./Priority";

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-zinc-500">{label}</dt>
      <dd className="mt-0.5 text-sm break-words">{children}</dd>
    </div>
  );
}

/** A task's facts: assignee, session, priority, difficulty, attempts, spend, needs, times. */
export function TaskMeta({ task }: { task: Task }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const agents = useStore((s) => s.agents);
  const session = useStore((s) => s.sessions[task.session_id]);
  const link = "text-indigo-700 hover:underline dark:text-indigo-300";
  const assignee = task.assignee ? (agents[task.assignee]?.name ?? task.assignee) : null;
  return (
    <dl className="grid grid-cols-2 gap-x-6 gap-y-3 sm:grid-cols-4">
      <Item label={t("task.assignee")}>
        {assignee && task.assignee ? (
          <button type="button" className={link} onClick={() => navigate(`/agents/${encodeURIComponent(task.assignee ?? "")}`)}>
            {assignee}
          </button>
        ) : (
          <span className="text-zinc-500">{t("tasks.unassigned")}</span>
        )}
      </Item>
      <Item label={t("task.session")}>
        <button
          type="button"
          className={link}
          onClick={() => navigate(task.session_id === "default" ? "/" : `/s/${encodeURIComponent(task.session_id)}`)}
        >
          {session?.title ?? task.session_id}
        </button>
      </Item>
      <Item label={t("tasks.filter.priority")}>
        <Priority value={task.priority} />
      </Item>
      <Item label={t("tasks.difficulty")}>{t("task.difficultyOf", { n: task.difficulty })}</Item>
      <Item label={t("task.attempts")}>{task.attempts ?? 0}</Item>
      <Item label={t("task.tokens")}>
        <span title={t("task.tokensSplit", { i: (task.usage?.input_tokens ?? 0).toLocaleString(), o: (task.usage?.output_tokens ?? 0).toLocaleString() })}>
          {tokens(task.usage).toLocaleString()}
        </span>
      </Item>
      <Item label={t("task.cost")}>{cost(task.usage?.cost_usd ?? 0)}</Item>
      <Item label={t("task.needs")}>
        {task.needs?.scene || task.needs?.tags?.length ? (
          <span className="flex flex-wrap gap-1">
            {task.needs.scene && <span className="rounded bg-zinc-100 px-1.5 text-xs dark:bg-zinc-800">{task.needs.scene}</span>}
            {task.needs.tags?.map((x) => (
              <span key={x} className="rounded bg-zinc-100 px-1.5 text-xs text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400">
                #{x}
              </span>
            ))}
          </span>
        ) : (
          "—"
        )}
      </Item>
      <Item label={t("task.created")}>{when(task.created_at, lang)}</Item>
      <Item label={t("task.updated")}>{when(task.updated_at, lang)}</Item>
    </dl>
  );
}
