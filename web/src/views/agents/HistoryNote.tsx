import { useT } from "../../i18n";
import { HISTORY_MAX, openChat, useChatState } from "./chatState";

/** Above a chat: loading, "show earlier", or why earlier messages are missing. */
export function HistoryNote({ agentId }: { agentId: string }) {
  const t = useT();
  const h = useChatState((s) => s.history[agentId]);
  const note = "rounded-md bg-zinc-50 px-3 py-2 text-xs text-zinc-500 dark:bg-zinc-900 dark:text-zinc-400";
  if (!h) return null;
  switch (h.state) {
    case "loading":
      return <p className={note}>{t("common.loading")}</p>;
    case "unavailable":
      return <p className={note}>{t("chat.historyNote")}</p>;
    case "error":
      return (
        <p role="alert" className="flex items-center gap-2 rounded-md bg-red-50 px-3 py-2 text-xs text-red-800 dark:bg-red-950 dark:text-red-200">
          {t("chat.historyFailed", { error: h.error })}
          <button type="button" className="font-medium underline" onClick={() => void openChat(agentId)}>
            {t("common.retry")}
          </button>
        </p>
      );
    case "loaded":
      if (!h.hasMore) return null;
      return h.limit < HISTORY_MAX ? (
        <div className="text-center">
          <button
            type="button"
            onClick={() => void openChat(agentId, HISTORY_MAX)}
            className="rounded-md px-2 py-1 text-xs font-medium text-indigo-700 hover:bg-indigo-50 dark:text-indigo-300 dark:hover:bg-indigo-950"
          >
            {t("chat.earlier")}
          </button>
        </div>
      ) : (
        <p className={note}>{t("chat.newestOnly", { n: HISTORY_MAX })}</p>
      );
  }
}
