import { useT } from "../i18n";
import { navigate } from "../lib/router";
import { dismissToast, useStore } from "../lib/store";

const STYLE = {
  done: "border-emerald-300 dark:border-emerald-800",
  failed: "border-red-300 dark:border-red-800",
  error: "border-red-300 dark:border-red-800",
  assist: "border-indigo-300 dark:border-indigo-800",
  info: "border-zinc-300 dark:border-zinc-700",
};

/** Notifications: tasks done or failed, assist requests, errors. */
export function Toasts() {
  const t = useT();
  const toasts = useStore((s) => s.toasts);
  return (
    <div aria-live="polite" className="pointer-events-none fixed right-4 bottom-28 z-40 flex w-80 flex-col gap-2">
      {toasts.map((x) => (
        <div
          key={x.id}
          role={x.kind === "error" || x.kind === "failed" ? "alert" : "status"}
          className={`pointer-events-auto rounded-lg border bg-white p-3 text-sm shadow-lg dark:bg-zinc-900 ${STYLE[x.kind]}`}
        >
          <div className="flex items-start gap-2">
            <button
              type="button"
              className="min-w-0 flex-1 text-left break-words"
              onClick={() => x.taskId && navigate(`/tasks/${encodeURIComponent(x.taskId)}`)}
            >
              {x.kind === "done"
                ? t("toast.done", { title: x.text })
                : x.kind === "failed"
                  ? t("toast.failed", { title: x.text })
                  : x.kind === "assist"
                    ? t("toast.assist", { text: x.text })
                    : x.text}
            </button>
            <button type="button" aria-label={t("common.dismiss")} onClick={() => dismissToast(x.id)} className="text-zinc-400">
              ×
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
