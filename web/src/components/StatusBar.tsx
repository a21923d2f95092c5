import { useMemo } from "react";
import { useT } from "../i18n";
import { useStore } from "../lib/store";
import { IndexIndicator } from "./IndexIndicator";
import { PendingConfirmations } from "./PendingConfirmations";

const ACTIVE = new Set(["active", "needs_confirm", "finalizing", "reassigning"]);

/** Active tasks, the model's health, the workspace index, tokens and cost today, the connection. */
export function StatusBar() {
  const t = useT();
  const tasks = useStore((s) => s.tasks);
  const health = useStore((s) => s.health);
  const configured = useStore((s) => s.llmConfigured);
  const usage = useStore((s) => s.usageToday);
  const connection = useStore((s) => s.connection);
  const active = useMemo(() => Object.values(tasks).filter((x) => ACTIVE.has(x.status)).length, [tasks]);
  const providers = Object.values(health);
  const worst = providers.find((p) => p.state === "open") ?? providers.find((p) => p.state === "half_open") ?? providers[0];
  const llmState = configured === false && providers.length === 0 ? "none" : (worst?.state ?? "closed");
  const dot =
    llmState === "open" || llmState === "none" ? "bg-red-500" : llmState === "half_open" ? "bg-amber-500" : "bg-emerald-500";
  const tokens = (usage?.input_tokens ?? 0) + (usage?.output_tokens ?? 0);
  return (
    <footer
      role="contentinfo"
      aria-label="status"
      className="flex h-7 shrink-0 items-center gap-4 border-t border-zinc-200 bg-zinc-50 px-3 text-xs text-zinc-600 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-400"
    >
      <span data-testid="status-active">{t("status.active", { n: active })}</span>
      <PendingConfirmations />
      <span className="flex items-center gap-1" title={worst?.reason ?? ""}>
        <span className={`inline-block h-2 w-2 rounded-full ${dot}`} aria-hidden />
        {t("status.llm")}: {t(`status.llm.${llmState}` as "status.llm.closed")}
      </span>
      <IndexIndicator />
      <span data-testid="status-tokens">{t("status.tokensToday", { n: tokens.toLocaleString() })}</span>
      <span>{t("status.cost", { n: (usage?.cost_usd ?? 0).toFixed(2) })}</span>
      <span className="ml-auto">{t(`conn.${connection}`)}</span>
    </footer>
  );
}
