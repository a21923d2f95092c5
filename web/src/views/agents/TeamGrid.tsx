import { useMemo } from "react";
import { useT } from "../../i18n";
import type { Agent } from "../../protocol.gen";
import { navigate } from "../../lib/router";
import { useStore } from "../../lib/store";
import { Chips, RoleBadge } from "./bits";

/** The Manager first, then the Workers by name. */
export function teamOrder(a: Agent, b: Agent): number {
  return (a.role === "manager" ? 0 : 1) - (b.role === "manager" ? 0 : 1) || a.name.localeCompare(b.name);
}

function AgentCard({ agent, working }: { agent: Agent; working: number }) {
  const t = useT();
  return (
    <li>
      <article
        aria-labelledby={`agent-${agent.id}`}
        className={`flex h-full flex-col gap-3 rounded-xl border bg-white p-4 dark:bg-zinc-900 ${
          agent.enabled ? "border-zinc-200 dark:border-zinc-800" : "border-dashed border-zinc-300 opacity-70 dark:border-zinc-700"
        }`}
      >
        <header className="flex items-start gap-3">
          <span
            aria-hidden
            className="flex h-9 w-9 shrink-0 items-center justify-center rounded-full bg-indigo-100 font-semibold text-indigo-800 dark:bg-indigo-900 dark:text-indigo-200"
          >
            {agent.name.slice(0, 1).toUpperCase()}
          </span>
          <div className="min-w-0 flex-1">
            <h2 id={`agent-${agent.id}`} className="font-semibold">
              {agent.name}
            </h2>
            <RoleBadge agent={agent} />
          </div>
          {working > 0 && (
            <span className="flex items-center gap-1 text-xs text-sky-700 dark:text-sky-300">
              <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-sky-500" aria-hidden />
              {t("agents.working", { n: working })}
            </span>
          )}
        </header>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">{agent.description}</p>
        <div className="grid grid-cols-2 gap-3">
          <Chips label={t("agents.scenes")} items={agent.scenes} />
          <Chips label={t("agents.tags")} items={agent.capabilities} hash />
        </div>
        <footer className="mt-auto flex items-center gap-3 border-t border-zinc-100 pt-3 text-xs text-zinc-500 dark:border-zinc-800">
          <span>
            <span className="font-semibold text-emerald-700 tabular-nums dark:text-emerald-400">{agent.successes}</span> {t("agents.successes")}
          </span>
          <span>
            <span className="font-semibold text-red-700 tabular-nums dark:text-red-400">{agent.failures}</span> {t("agents.failures")}
          </span>
          <button
            type="button"
            onClick={() => navigate(`/agents/${encodeURIComponent(agent.id)}`)}
            className="ml-auto rounded-md bg-indigo-600 px-2.5 py-1 text-sm font-medium text-white hover:bg-indigo-500"
          >
            {t("agents.chatWith", { name: agent.name })}
          </button>
        </footer>
      </article>
    </li>
  );
}

/** The user's team as cards. */
export function TeamGrid() {
  const t = useT();
  const agents = useStore((s) => s.agents);
  const tasks = useStore((s) => s.tasks);
  const list = useMemo(() => Object.values(agents).sort(teamOrder), [agents]);
  const working = useMemo(() => {
    const n: Record<string, number> = {};
    for (const x of Object.values(tasks))
      if (x.assignee && (x.status === "active" || x.status === "needs_confirm" || x.status === "finalizing")) n[x.assignee] = (n[x.assignee] ?? 0) + 1;
    return n;
  }, [tasks]);
  return (
    <div className="min-h-0 flex-1 overflow-y-auto">
      <header className="border-b border-zinc-200 px-5 py-3 dark:border-zinc-800">
        <h1 className="text-lg font-semibold">{t("agents.title")}</h1>
        <p className="text-sm text-zinc-500">{t("agents.subtitle")}</p>
      </header>
      {list.length === 0 ? (
        <p className="p-5 text-sm text-zinc-500">{t("common.loading")}</p>
      ) : (
        <ul className="grid gap-4 p-5 sm:grid-cols-2 xl:grid-cols-3 2xl:grid-cols-4">
          {list.map((a) => (
            <AgentCard key={a.id} agent={a} working={working[a.id] ?? 0} />
          ))}
        </ul>
      )}
    </div>
  );
}
