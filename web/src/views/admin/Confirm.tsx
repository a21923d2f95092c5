// "Are you sure?" for actions that cannot be taken back quietly (disable, revoke).

import { useState } from "react";
import { useT } from "../../i18n";
import { Dialog } from "./Dialog";
import { btn, btnDanger, errorBox, errorText } from "./ui";

export function Confirm({
  title,
  body,
  confirm,
  onConfirm,
  onClose,
}: {
  title: string;
  body: string;
  confirm: string;
  /** Runs the action; a rejection is shown in the dialog, which then stays open. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={onClose} role="alertdialog">
      <p className="mb-4 text-sm text-zinc-700 dark:text-zinc-300">{body}</p>
      {error && (
        <p role="alert" className={`${errorBox} mb-4`}>
          {error}
        </p>
      )}
      <div className="flex justify-end gap-2">
        <button type="button" className={btn} onClick={onClose} data-autofocus>
          {t("common.cancel")}
        </button>
        <button type="button" className={btnDanger} disabled={busy} onClick={run}>
          {confirm}
        </button>
      </div>
    </Dialog>
  );
}
