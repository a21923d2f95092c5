import { useMemo } from "react";
import { useT } from "../i18n";
import { useStore } from "../lib/store";
import { reopenConfirm } from "./tools/confirmState";
import { waitingRuns } from "./tools/format";

/** The status bar's "N waiting for confirmation" button; it reopens the confirmation dialog. */
export function PendingConfirmations() {
  const t = useT();
  const runs = useStore((s) => s.runs);
  const n = useMemo(() => waitingRuns(runs).length, [runs]);
  if (n === 0) return null;
  return (
    <button
      type="button"
      onClick={() => reopenConfirm()}
      className="flex items-center gap-1 rounded bg-amber-100 px-2 py-px font-medium text-amber-900 hover:bg-amber-200 dark:bg-amber-900 dark:text-amber-100 dark:hover:bg-amber-800"
    >
      <span className="h-1.5 w-1.5 rounded-full bg-amber-500" aria-hidden />
      {n === 1 ? t("confirm.waitingOne") : t("confirm.waiting", { n })}
    </button>
  );
}
