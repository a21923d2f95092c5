import { useMemo } from "react";
import { useT } from "../../i18n";
import { useStore } from "../../lib/store";
import { filtering, setTaskFilters, useTaskFilters } from "./filters";

const SELECT =
  "rounded-md border border-zinc-300 bg-white py-1 pr-7 pl-2 text-sm text-zinc-800 hover:border-zinc-400 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200";

/** The board's filters: agent, priority and session. */
export function Filters() {
  const t = useT();
  const f = useTaskFilters();
  const agents = useStore((s) => s.agents);
  const sessions = useStore((s) => s.sessions);
  const agentList = useMemo(() => Object.values(agents).sort((a, b) => a.name.localeCompare(b.name)), [agents]);
  const sessionList = useMemo(() => Object.values(sessions).sort((a, b) => b.updated_at - a.updated_at), [sessions]);
  return (
    <div role="group" aria-label={t("tasks.filters")} className="flex flex-wrap items-center gap-2">
      <label className="flex items-center gap-1.5 text-xs text-zinc-500">
        {t("tasks.filter.agent")}
        <select className={SELECT} value={f.agent} onChange={(e) => setTaskFilters({ agent: e.target.value })}>
          <option value="">{t("tasks.filter.allAgents")}</option>
          <option value="none">{t("tasks.unassigned")}</option>
          {agentList.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-1.5 text-xs text-zinc-500">
        {t("tasks.filter.priority")}
        <select className={SELECT} value={f.priority} onChange={(e) => setTaskFilters({ priority: e.target.value })}>
          <option value="">{t("tasks.filter.allPriorities")}</option>
          {[5, 4, 3, 2, 1].map((p) => (
            <option key={p} value={String(p)}>
              {t("tasks.priorityN", { n: p })}
            </option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-1.5 text-xs text-zinc-500">
        {t("tasks.filter.session")}
        <select className={SELECT} value={f.session} onChange={(e) => setTaskFilters({ session: e.target.value })}>
          <option value="">{t("tasks.filter.allSessions")}</option>
          {sessionList.map((s) => (
            <option key={s.id} value={s.id}>
              {s.title}
              {s.archived ? ` (${t("sessions.archived")})` : ""}
            </option>
          ))}
        </select>
      </label>
      {filtering(f) && (
        <button
          type="button"
          onClick={() => setTaskFilters({ agent: "", priority: "", session: "" })}
          className="rounded-md px-2 py-1 text-sm text-indigo-700 hover:bg-indigo-50 dark:text-indigo-300 dark:hover:bg-indigo-950"
        >
          {t("tasks.filter.clear")}
        </button>
      )}
    </div>
  );
}
