// Whether the confirmation dialog is hidden: Escape hides the calls waiting at that
// moment ("decide later"); a new waiting call, or the status-bar button, shows it again.

import { create } from "zustand";

interface ConfirmState {
  /** Waiting runs the user put aside with Escape. */
  dismissed: string[];
  /** The run the dialog should show first (from a "Decide…" button), if any. */
  focus: string | null;
}

export const useConfirmState = create<ConfirmState>(() => ({ dismissed: [], focus: null }));

/** Hides the dialog for the runs waiting now. */
export function hideConfirm(ids: string[]): void {
  useConfirmState.setState({ dismissed: ids, focus: null });
}

/** Shows the dialog again, on `runId` if given. */
export function reopenConfirm(runId: string | null = null): void {
  useConfirmState.setState({ dismissed: [], focus: runId });
}
