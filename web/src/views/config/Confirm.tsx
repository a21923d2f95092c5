// A modal confirmation for destructive actions (remove a provider, a secret, an MCP server).

import { useId, useRef, type ReactNode } from "react";
import { useModal } from "../../lib/useModal";
import { useT } from "../../i18n";
import { btn, InlineError } from "./ui";

/** Asks before a destructive action; Escape or Cancel closes it, focus stays inside. */
export function Confirm({
  title,
  body,
  confirmLabel,
  busy,
  error,
  onConfirm,
  onCancel,
}: {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const t = useT();
  const titleId = useId();
  const bodyId = useId();
  const box = useRef<HTMLDivElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);

  const onKeyDown = useModal(box, onCancel, cancel);

  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-zinc-950/40 p-4 backdrop-blur-[1px]" onMouseDown={onCancel}>
      <div
        ref={box}
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        onKeyDown={onKeyDown}
        onMouseDown={(e) => e.stopPropagation()}
        className="w-full max-w-md rounded-lg border border-zinc-200 bg-white p-5 shadow-xl dark:border-zinc-700 dark:bg-zinc-900"
      >
        <h2 id={titleId} className="text-base font-semibold">
          {title}
        </h2>
        <div id={bodyId} className="mt-2 text-sm text-zinc-600 dark:text-zinc-300">
          {body}
        </div>
        {error && <InlineError message={error} />}
        <div className="mt-5 flex justify-end gap-2">
          <button ref={cancel} type="button" className={btn("secondary")} onClick={onCancel}>
            {t("common.cancel")}
          </button>
          <button type="button" className={btn("dangerSolid")} disabled={busy} onClick={onConfirm}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
