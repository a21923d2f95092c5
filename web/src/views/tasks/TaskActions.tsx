import { useState } from "react";
import { useT } from "../../i18n";
import type { Task, TaskStatus } from "../../protocol.gen";
import { api } from "../../lib/sync";
import { errorMessage } from "../../lib/errors";

/** States a user may cancel from (those that can become Failed). */
const CANCELLABLE: TaskStatus[] = ["pending", "active", "needs_confirm", "finalizing", "blocked", "reassigning"];
/** States task.retry accepts. */
const RETRYABLE: TaskStatus[] = ["failed", "blocked"];

/** Cancel (with an optional reason, after a second click) and Retry, each only where it applies. */
export function TaskActions({ task }: { task: Task }) {
  const t = useT();
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const canCancel = CANCELLABLE.includes(task.status);
  const canRetry = RETRYABLE.includes(task.status);

  const run = async (what: "cancel" | "retry") => {
    setBusy(true);
    setError(null);
    try {
      if (what === "cancel") await api().call("task.cancel", { id: task.id, reason: reason.trim() || undefined });
      else await api().call("task.retry", { id: task.id });
      setConfirming(false);
      setReason("");
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const btn =
    "rounded-md border px-2.5 py-1 text-sm font-medium disabled:cursor-not-allowed disabled:border-zinc-200 disabled:text-zinc-400 dark:disabled:border-zinc-800 dark:disabled:text-zinc-600";
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2">
        <button
          type="button"
          disabled={!canRetry || busy}
          title={canRetry ? undefined : t("task.retryWhen")}
          onClick={() => run("retry")}
          className={`${btn} border-zinc-300 hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-800`}
        >
          {t("task.retry")}
        </button>
        <button
          type="button"
          disabled={!canCancel || busy}
          title={canCancel ? undefined : t("task.cancelWhen")}
          aria-expanded={confirming}
          onClick={() => setConfirming((c) => !c)}
          className={`${btn} border-red-300 text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950`}
        >
          {t("task.cancel")}
        </button>
      </div>
      {confirming && canCancel && (
        <form
          className="flex flex-wrap items-end gap-2 rounded-md border border-red-200 bg-red-50/50 p-2 dark:border-red-900 dark:bg-red-950/30"
          onSubmit={(e) => {
            e.preventDefault();
            void run("cancel");
          }}
        >
          <label className="min-w-48 flex-1 text-xs text-zinc-600 dark:text-zinc-400">
            {t("task.cancelReason")}
            <input
              autoFocus
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              className="mt-1 block w-full rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm dark:border-zinc-700 dark:bg-zinc-950"
            />
          </label>
          <button type="submit" disabled={busy} className={`${btn} border-red-600 bg-red-600 text-white hover:bg-red-500`}>
            {t("task.cancelConfirm")}
          </button>
          <button type="button" onClick={() => setConfirming(false)} className={`${btn} border-transparent text-zinc-600 dark:text-zinc-400`}>
            {t("task.keep")}
          </button>
        </form>
      )}
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
          {error}
        </p>
      )}
    </div>
  );
}
