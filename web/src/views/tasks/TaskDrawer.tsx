import { useId, useRef } from "react";
import { useT } from "../../i18n";
import { useStore } from "../../lib/store";
import { useModal } from "../../lib/useModal";
import { TaskDetail } from "./TaskDetail";

/** The task view: a modal drawer over the board (Escape, the Close button or the backdrop close it). */
export function TaskDrawer({ id, onClose }: { id: string; onClose: () => void }) {
  const t = useT();
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const onKeyDown = useModal(ref, onClose);
  const task = useStore((s) => s.tasks[id]);
  const connected = useStore((s) => s.connection === "open");
  return (
    <div className="fixed inset-0 z-30 flex justify-end bg-zinc-950/30 dark:bg-black/50" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={ref}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
        className="flex h-full w-full max-w-[min(52rem,calc(100vw-4rem))] flex-col border-l border-zinc-200 bg-white shadow-2xl outline-none dark:border-zinc-800 dark:bg-zinc-950"
      >
        {task ? (
          <TaskDetail key={id} task={task} titleId={titleId} onClose={onClose} />
        ) : (
          <div className="flex items-start gap-3 p-5">
            <h2 id={titleId} className="flex-1 text-sm text-zinc-500">
              {connected ? t("task.notFound") : t("common.loading")}
            </h2>
            <button type="button" onClick={onClose} className="rounded-md border border-zinc-300 px-2.5 py-1 text-sm dark:border-zinc-700">
              {t("common.close")}
            </button>
          </div>
        )}
      </div>
    </div>
  );
}
