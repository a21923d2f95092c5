// The agent workspace: the team (`/agents`) and a 1:1 chat with one agent (`/agents/:id`).

import { useMemo } from "react";
import { useT } from "../i18n";
import { navigate } from "../lib/router";
import { useStore } from "../lib/store";
import { AgentChat } from "./agents/AgentChat";
import { AgentInfo } from "./agents/AgentInfo";
import { RoleBadge } from "./agents/bits";
import { TeamGrid } from "./agents/TeamGrid";

/** The team, or the chat with `agent` (an id or a name). */
export function AgentWorkspace({ agent }: { agent: string | null }) {
  const t = useT();
  const agents = useStore((s) => s.agents);
  const found = useMemo(
    () => (agent ? (agents[agent] ?? Object.values(agents).find((a) => a.name.toLowerCase() === agent.toLowerCase())) : undefined),
    [agents, agent],
  );
  if (!agent) return <TeamGrid />;
  if (!found) {
    return (
      <div className="p-6 text-sm text-zinc-500">
        {Object.keys(agents).length ? t("agents.notFound") : t("common.loading")}{" "}
        <button type="button" className="text-indigo-700 hover:underline dark:text-indigo-300" onClick={() => navigate("/agents")}>
          {t("agents.back")}
        </button>
      </div>
    );
  }
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <header className="flex items-center gap-3 border-b border-zinc-200 px-5 py-3 dark:border-zinc-800">
        <button
          type="button"
          onClick={() => navigate("/agents")}
          className="rounded-md px-2 py-1 text-sm text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800"
        >
          ← {t("agents.back")}
        </button>
        <h1 className="text-lg font-semibold">{t("chat.title", { name: found.name })}</h1>
        <RoleBadge agent={found} />
        <span className="hidden truncate text-sm text-zinc-500 md:block">{found.description}</span>
      </header>
      <div className="flex min-h-0 flex-1">
        <AgentChat key={found.id} agent={found} />
        <div className="hidden w-72 shrink-0 overflow-y-auto border-l border-zinc-200 p-5 xl:block dark:border-zinc-800">
          <AgentInfo agent={found} />
        </div>
      </div>
    </div>
  );
}
