// A modal dialog: focus moves in and is kept in while it is open, Escape closes it, and
// focus goes back to where it was when it closes.

import { useEffect, useId, useRef, type ReactNode } from "react";
import { focusables, useModal } from "../../lib/useModal";

export function Dialog({
  title,
  onClose,
  children,
  role = "dialog",
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** `alertdialog` for confirmations and warnings. */
  role?: "dialog" | "alertdialog";
}) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const onKeyDown = useModal(ref, onClose);
  // Focus starts on the field marked `data-autofocus`, else on the first control.
  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    (box.querySelector<HTMLElement>("[data-autofocus]") ?? focusables(box)[0])?.focus();
  }, []);

  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-zinc-950/50 p-4">
      <div
        ref={ref}
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
        className="w-full max-w-md rounded-xl border border-zinc-200 bg-white p-6 shadow-xl dark:border-zinc-700 dark:bg-zinc-900"
      >
        <h2 id={titleId} className="mb-4 text-base font-semibold">
          {title}
        </h2>
        {children}
      </div>
    </div>
  );
}
