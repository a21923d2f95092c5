import { useEffect, useState } from "react";
import { useLang, useT } from "../../i18n";
import type { Task, TaskTransition } from "../../protocol.gen";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import { StatusBadge } from "../../components/StatusBadge";
import { when } from "../../components/tools/format";
import { errorMessage } from "../../lib/errors";

/** A task's state changes (task.get), read again whenever its state changes. */
export function Timeline({ task }: { task: Task }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const connected = useStore((s) => s.connection === "open");
  const [history, setHistory] = useState<TaskTransition[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!connected) return;
    let live = true;
    api()
      .call("task.get", { id: task.id })
      .then((r) => live && setHistory(r.history))
      .catch((e: unknown) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [task.id, task.status, connected]);
  if (error)
    return (
      <p role="alert" className="text-sm text-red-700 dark:text-red-400">
        {error}
      </p>
    );
  if (!history) return <p className="text-sm text-zinc-500">{t("common.loading")}</p>;
  return (
    <ol className="relative space-y-3 border-l border-zinc-200 pl-5 dark:border-zinc-800">
      <li className="text-sm">
        <span className="absolute -left-1 mt-1.5 h-2 w-2 rounded-full bg-zinc-300 dark:bg-zinc-600" aria-hidden />
        <span className="text-zinc-600 dark:text-zinc-400">{t("timeline.created")}</span>{" "}
        <span className="text-xs text-zinc-400">{when(task.created_at, lang)}</span>
      </li>
      {history.map((h) => (
        <li key={h.seq} className="text-sm">
          <span className="absolute -left-1 mt-1.5 h-2 w-2 rounded-full bg-indigo-400" aria-hidden />
          <span className="flex flex-wrap items-center gap-1.5">
            <StatusBadge status={h.from} />
            <span aria-hidden>→</span>
            <span className="sr-only">{t("timeline.to")}</span>
            <StatusBadge status={h.to} />
            <span className="text-xs text-zinc-400">{when(h.at, lang)}</span>
          </span>
          {h.reason && <span className="mt-0.5 block text-zinc-600 dark:text-zinc-400">{h.reason}</span>}
        </li>
      ))}
    </ol>
  );
}
