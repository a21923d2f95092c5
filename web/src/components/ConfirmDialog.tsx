// The confirmation dialog for risky tool calls: it opens whenever a call waits for the
// user (oldest first), says who wants to run what and why it asks, and sends the
// decision with toolrun.decide. Escape puts it aside; the status bar brings it back.

import { useEffect, useId, useMemo, useRef, useState } from "react";
import { useT } from "../i18n";
import type { ToolRun, UserDecision } from "../protocol.gen";
import { useStore } from "../lib/store";
import { api } from "../lib/sync";
import { useModal } from "../lib/useModal";
import { hideConfirm, useConfirmState } from "./tools/confirmState";
import { commandOf, waitingRuns } from "./tools/format";
import { Reasons } from "./tools/Reasons";
import { RiskBadge } from "./tools/RiskBadge";
import { errorMessage } from "../lib/errors";

/** The confirmation dialog, shown while tool calls wait for a decision (mounted once by Shell). */
export function ConfirmDialog() {
  const runs = useStore((s) => s.runs);
  const { dismissed, focus } = useConfirmState();
  // Runs decided here whose tool_run_updated event has not arrived yet.
  const [sent, setSent] = useState<string[]>([]);
  const waiting = useMemo(() => waitingRuns(runs).filter((r) => !sent.includes(r.id)), [runs, sent]);
  useEffect(() => {
    // Forget decided runs once their event moved them out of the waiting set.
    setSent((s) => {
      const next = s.filter((id) => runs[id]?.status === "awaiting_decision");
      return next.length === s.length ? s : next;
    });
  }, [runs]);
  const open = waiting.some((r) => !dismissed.includes(r.id));
  if (!open) return null;
  return <Panel waiting={waiting} focus={focus} onSent={(id) => setSent((s) => [...s, id])} />;
}

function Panel({ waiting, focus, onSent }: { waiting: ToolRun[]; focus: string | null; onSent: (id: string) => void }) {
  const t = useT();
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const hintId = useId();
  const [current, setCurrent] = useState<string | null>(focus);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const onKeyDown = useModal(ref, () => hideConfirm(waiting.map((r) => r.id)));
  const index = Math.max(
    0,
    waiting.findIndex((r) => r.id === current),
  );
  const run = waiting[index];
  const agents = useStore((s) => s.agents);
  const task = useStore((s) => (run.task_id ? s.tasks[run.task_id] : undefined));

  useEffect(() => {
    if (focus) setCurrent(focus);
  }, [focus]);
  useEffect(() => {
    setReason("");
    setError(null);
  }, [run.id]);

  const go = (i: number) => setCurrent(waiting[(i + waiting.length) % waiting.length].id);

  const decide = async (decision: UserDecision) => {
    setBusy(true);
    setError(null);
    try {
      const r = reason.trim();
      await api().call("toolrun.decide", { id: run.id, decision, reason: decision === "deny" && r ? r : undefined });
      onSent(run.id);
      setCurrent(null);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      ref.current?.focus();
    }
  };

  const agent = (run.agent_id && agents[run.agent_id]?.name) || t("confirm.someone");
  const command = commandOf(run.tool, run.args);
  const risk = run.risk ?? "medium";
  const high = risk === "high";
  const mediumParts = (run.reasons ?? []).filter((p) => p.risk === "medium").map((p) => p.command);
  const alwaysHint = high
    ? t("confirm.highNoRule")
    : run.tool === "run_command"
      ? mediumParts.length
        ? t("confirm.allowAlwaysRules", { rules: mediumParts.join(", ") })
        : null
      : t("confirm.allowAlwaysTool", { tool: run.tool });
  const btn = "rounded-md px-3 py-1.5 text-sm font-medium disabled:cursor-not-allowed disabled:opacity-50";

  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-zinc-950/50 p-4">
      <div
        ref={ref}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
        data-risk={risk}
        className={`w-full max-w-2xl overflow-hidden rounded-xl border bg-white shadow-2xl outline-none dark:bg-zinc-900 ${
          high ? "border-red-300 dark:border-red-800" : "border-zinc-200 dark:border-zinc-700"
        }`}
      >
        <div className={`h-1 ${high ? "bg-red-500" : risk === "medium" ? "bg-amber-500" : "bg-emerald-500"}`} aria-hidden />
        <header className="flex items-center gap-3 px-5 pt-4">
          <h2 id={titleId} className="text-base font-semibold">
            {t("confirm.title")}
          </h2>
          {waiting.length > 1 && (
            <div className="ml-auto flex items-center gap-1 text-xs text-zinc-500">
              <button type="button" aria-label={t("confirm.prev")} onClick={() => go(index - 1)} className="rounded px-1.5 py-0.5 hover:bg-zinc-100 dark:hover:bg-zinc-800">
                ‹
              </button>
              <span data-testid="confirm-position">{t("confirm.of", { n: index + 1, total: waiting.length })}</span>
              <button type="button" aria-label={t("confirm.next")} onClick={() => go(index + 1)} className="rounded px-1.5 py-0.5 hover:bg-zinc-100 dark:hover:bg-zinc-800">
                ›
              </button>
            </div>
          )}
        </header>
        <div className="space-y-4 px-5 pt-1 pb-4">
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            {task ? t("confirm.agentTask", { agent, task: task.title }) : t("confirm.agentOnly", { agent })}
          </p>
          <dl className="grid grid-cols-[max-content_1fr] items-start gap-x-4 gap-y-3 text-sm">
            <dt className="pt-0.5 text-zinc-500">{t("confirm.tool")}</dt>
            <dd className="font-mono">{run.tool}</dd>
            <dt className="pt-2 text-zinc-500">{command !== null ? t("confirm.command") : t("confirm.arguments")}</dt>
            <dd className="min-w-0">
              <pre
                data-testid="confirm-command"
                className="max-h-64 overflow-auto rounded-md bg-zinc-900 px-3 py-2 font-mono text-sm leading-6 whitespace-pre-wrap break-all text-zinc-50 dark:bg-black"
              >
                {command ?? JSON.stringify(run.args, null, 2)}
              </pre>
            </dd>
            <dt className="pt-0.5 text-zinc-500">{t("confirm.risk")}</dt>
            <dd className="space-y-2">
              <RiskBadge risk={risk} />
              {run.reasons && run.reasons.length > 0 && <Reasons parts={run.reasons} />}
            </dd>
          </dl>
          <label className="block text-sm">
            <span className="text-zinc-600 dark:text-zinc-400">{t("confirm.denyReason")}</span>
            <input
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              maxLength={4000}
              className="mt-1 block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-950"
            />
          </label>
          {error && (
            <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
              {error}
            </p>
          )}
        </div>
        <footer className="flex flex-wrap items-center gap-2 border-t border-zinc-200 bg-zinc-50 px-5 py-3 dark:border-zinc-800 dark:bg-zinc-950/40">
          <button
            type="button"
            disabled={busy}
            onClick={() => decide("deny")}
            className={`${btn} border border-red-300 text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950`}
          >
            {t("confirm.deny")}
          </button>
          <button
            type="button"
            onClick={() => hideConfirm(waiting.map((r) => r.id))}
            className={`${btn} text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800`}
          >
            {t("confirm.later")}
          </button>
          <span className="ml-auto" />
          <button
            type="button"
            disabled={busy || high}
            aria-describedby={alwaysHint ? hintId : undefined}
            onClick={() => decide("allow_always")}
            className={`${btn} border border-zinc-300 hover:bg-white dark:border-zinc-700 dark:hover:bg-zinc-800`}
          >
            {t("confirm.allowAlways")}
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={() => decide("allow_once")}
            className={`${btn} bg-indigo-600 text-white hover:bg-indigo-500`}
          >
            {busy ? t("confirm.busy") : t("confirm.allowOnce")}
          </button>
          {alwaysHint && (
            <p id={hintId} className={`basis-full text-right text-xs ${high ? "text-red-700 dark:text-red-400" : "text-zinc-500"}`}>
              {alwaysHint}
            </p>
          )}
        </footer>
      </div>
    </div>
  );
}
