import { useT } from "../../i18n";
import type { Agent } from "../../protocol.gen";

/** Manager / Worker, and "Disabled" when it is. */
export function RoleBadge({ agent }: { agent: Agent }) {
  const t = useT();
  return (
    <span className="flex flex-wrap gap-1.5">
      <span
        className={`rounded-full px-2 py-0.5 text-xs font-medium ${
          agent.role === "manager"
            ? "bg-violet-50 text-violet-800 dark:bg-violet-950 dark:text-violet-300"
            : "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300"
        }`}
      >
        {t(agent.role === "manager" ? "agents.role.manager" : "agents.role.worker")}
      </span>
      {!agent.enabled && (
        <span className="rounded-full bg-red-50 px-2 py-0.5 text-xs font-medium text-red-800 dark:bg-red-950 dark:text-red-300">
          {t("agents.disabled")}
        </span>
      )}
    </span>
  );
}

/** A labelled list of small chips (scenes, tags). */
export function Chips({ label, items, hash = false }: { label: string; items: string[]; hash?: boolean }) {
  const t = useT();
  return (
    <div>
      <h3 className="mb-1 text-xs font-semibold tracking-wide text-zinc-500 uppercase">{label}</h3>
      {items.length === 0 ? (
        <p className="text-xs text-zinc-400">{t("agents.none")}</p>
      ) : (
        <ul className="flex flex-wrap gap-1" aria-label={label}>
          {items.map((x) => (
            <li key={x} className="rounded bg-zinc-100 px-1.5 py-px text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
              {hash ? `#${x}` : x}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
