import { useT } from "../../i18n";
import { fillComposer } from "./drafts";

/** A fresh session: what the Blackboard is for, and an example request that fills the composer. */
export function EmptyState({ session, archived }: { session: string; archived: boolean }) {
  const t = useT();
  const example = t("board.empty.example");
  return (
    <div className="flex min-h-0 flex-1 items-center justify-center overflow-y-auto p-8">
      <div className="max-w-lg text-center">
        <div
          aria-hidden
          className="mx-auto mb-4 flex h-12 w-12 items-center justify-center rounded-2xl bg-indigo-50 text-indigo-600 dark:bg-indigo-950 dark:text-indigo-300"
        >
          <svg viewBox="0 0 24 24" className="h-6 w-6" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
            <path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12Z" />
            <path d="M8.5 10.5h7M8.5 13.5h4" />
          </svg>
        </div>
        <h2 className="text-lg font-semibold text-zinc-900 dark:text-zinc-100">{t("board.empty.title")}</h2>
        <p className="mt-2 text-sm leading-relaxed text-zinc-600 dark:text-zinc-400">{t("board.empty.body")}</p>
        {!archived && (
          <>
            <p className="mt-6 text-xs font-medium tracking-wide text-zinc-400 uppercase">{t("board.empty.try")}</p>
            <button
              type="button"
              onClick={() => fillComposer(session, example)}
              className="mt-2 rounded-lg border border-zinc-200 bg-white px-4 py-2 text-sm text-zinc-700 shadow-sm transition hover:border-indigo-400 hover:text-indigo-700 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-300 dark:hover:border-indigo-500 dark:hover:text-indigo-300"
            >
              “{example}”
            </button>
          </>
        )}
      </div>
    </div>
  );
}
