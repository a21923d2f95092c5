// Team: every agent's name, description, capability tags, scenes, model and whether it works.

import { useMemo } from "react";
import { useT } from "../../i18n";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import { AgentCard } from "./AgentCard";
import { useLoad } from "./useLoad";
import { InlineError } from "./ui";

/** The Team section: one card per agent, the Manager first. */
export function Team() {
  const t = useT();
  const agents = useStore((s) => s.agents);
  const config = useStore((s) => s.config);
  const load = useLoad(async () => {
    const [list, c] = await Promise.all([api().call("agent.list"), api().call("config.get")]);
    useStore.setState({ agents: Object.fromEntries(list.agents.map((a) => [a.id, a])), config: c });
  });
  const list = useMemo(
    () =>
      Object.values(agents).sort((a, b) =>
        a.role !== b.role ? (a.role === "manager" ? -1 : 1) : a.name.localeCompare(b.name),
      ),
    [agents],
  );
  return (
    <div className="space-y-4">
      <p className="text-sm text-zinc-600 dark:text-zinc-400">{t("cfg.team.desc")}</p>
      {load.error && <InlineError message={load.error} />}
      {list.length === 0 && !load.error && <p className="text-sm text-zinc-500">{t("common.loading")}</p>}
      {list.map((a) => (
        <AgentCard key={a.id} agent={a} providers={config?.providers ?? []} />
      ))}
    </div>
  );
}
