import { useMemo } from "react";
import { useT } from "../../i18n";
import type { Agent } from "../../protocol.gen";
import { navigate } from "../../lib/router";
import { useStore } from "../../lib/store";
import { StatusBadge } from "../../components/StatusBadge";
import { Chips, RoleBadge } from "./bits";

/** An agent's profile beside the chat: what it is for, its tags and scenes, record, current tasks. */
export function AgentInfo({ agent }: { agent: Agent }) {
  const t = useT();
  const tasks = useStore((s) => s.tasks);
  const current = useMemo(
    () => Object.values(tasks).filter((x) => x.assignee === agent.id && x.status !== "done" && x.status !== "failed"),
    [tasks, agent.id],
  );
  const model = [agent.model.provider, agent.model.model].filter(Boolean).join(" / ");
  return (
    <aside aria-label={t("agents.profile", { name: agent.name })} className="space-y-5 text-sm">
      <div className="space-y-2">
        <RoleBadge agent={agent} />
        <p className="text-zinc-600 dark:text-zinc-400">{agent.description}</p>
      </div>
      <Chips label={t("agents.scenes")} items={agent.scenes} />
      <Chips label={t("agents.tags")} items={agent.capabilities} hash />
      <dl className="grid grid-cols-2 gap-3">
        <div>
          <dt className="text-xs text-zinc-500">{t("agents.successes")}</dt>
          <dd className="text-lg font-semibold text-emerald-700 tabular-nums dark:text-emerald-400">{agent.successes}</dd>
        </div>
        <div>
          <dt className="text-xs text-zinc-500">{t("agents.failures")}</dt>
          <dd className="text-lg font-semibold text-red-700 tabular-nums dark:text-red-400">{agent.failures}</dd>
        </div>
        <div className="col-span-2">
          <dt className="text-xs text-zinc-500">{t("agents.model")}</dt>
          <dd className="font-mono text-xs">{model || t("agents.defaultModel")}</dd>
        </div>
      </dl>
      <div>
        <h3 className="mb-1.5 text-xs font-semibold tracking-wide text-zinc-500 uppercase">{t("agents.current")}</h3>
        {current.length === 0 ? (
          <p className="text-zinc-500">{t("agents.idle")}</p>
        ) : (
          <ul className="space-y-1.5">
            {current.map((x) => (
              <li key={x.id}>
                <button
                  type="button"
                  onClick={() => navigate(`/tasks/${encodeURIComponent(x.id)}`)}
                  className="flex w-full items-center gap-2 rounded-md px-1 py-0.5 text-left hover:bg-zinc-100 dark:hover:bg-zinc-800"
                >
                  <StatusBadge status={x.status} />
                  <span className="truncate">{x.title}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </aside>
  );
}
