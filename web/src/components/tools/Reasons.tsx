import { useT } from "../../i18n";
import type { Part } from "../../protocol.gen";
import { RiskBadge } from "./RiskBadge";

/** The policy's judged parts of a call: each command, its risk and why (worst first). */
export function Reasons({ parts, open = true, className = "" }: { parts: Part[]; open?: boolean; className?: string }) {
  const t = useT();
  return (
    <details open={open} className={className}>
      <summary className="cursor-pointer text-xs font-medium text-zinc-600 select-none hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-200">
        {t("run.why")}
      </summary>
      <ul className="mt-1 space-y-1">
        {parts.map((p, i) => (
          <li key={i} className="flex flex-wrap items-baseline gap-x-2 gap-y-0.5 text-xs">
            <RiskBadge risk={p.risk} short />
            <code className="font-mono text-zinc-800 dark:text-zinc-200">{p.command}</code>
            <span className="text-zinc-600 dark:text-zinc-400">{p.reason}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}
