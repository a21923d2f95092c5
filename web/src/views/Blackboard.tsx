// The Blackboard: a session's group chat with the team, its tasks as live cards.

import { useT } from "../i18n";
import { useStore } from "../lib/store";
import { Composer } from "./board/Composer";
import { EmptyState } from "./board/EmptyState";
import { MessageList } from "./board/MessageList";
import { useTyping } from "./board/Typing";
import { retryBoard, useBoard } from "./board/useBoard";

/** A session's Blackboard: its messages (virtualized), streamed replies and the composer. */
export function Blackboard({ session }: { session: string }) {
  // A fresh view per session: scroll position and list state do not carry over.
  return <Board key={session} session={session} />;
}

function Board({ session }: { session: string }) {
  const t = useT();
  const info = useStore((s) => s.sessions[session]);
  const { board, status } = useBoard(session);
  const typing = useTyping(session);
  const title = info?.title ?? session;
  const archived = info?.archived ?? false;

  let body;
  if (status.error) {
    body = (
      <div className="flex flex-1 items-center justify-center p-8">
        <div role="alert" className="max-w-md text-center text-sm text-zinc-600 dark:text-zinc-400">
          <p>{t("board.loadError", { error: status.error })}</p>
          <button
            type="button"
            onClick={() => retryBoard(session)}
            className="mt-3 rounded-md bg-indigo-600 px-3 py-1.5 text-white hover:bg-indigo-500"
          >
            {t("common.retry")}
          </button>
        </div>
      </div>
    );
  } else if (!board || status.loading) {
    body = (
      <div role="status" className="flex flex-1 items-center justify-center gap-2 text-sm text-zinc-500">
        <span aria-hidden className="h-4 w-4 animate-spin rounded-full border-2 border-zinc-300 border-t-indigo-500" />
        {t("board.loading")}
      </div>
    );
  } else if (board.messages.length === 0 && typing.length === 0) {
    body = <EmptyState session={session} archived={archived} />;
  } else {
    body = <MessageList session={session} title={title} messages={board.messages} hasMore={board.hasMore} older={status.older} />;
  }

  return (
    <section aria-labelledby="board-title" className="flex min-h-0 flex-1 flex-col bg-white dark:bg-zinc-950">
      <header className="flex h-12 shrink-0 items-center gap-3 border-b border-zinc-200 px-4 sm:px-6 dark:border-zinc-800">
        <h1 id="board-title" className="truncate text-[15px] font-semibold text-zinc-900 dark:text-zinc-100">
          {title}
        </h1>
        {archived && (
          <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800 dark:bg-amber-950 dark:text-amber-300">
            {t("board.archived")}
          </span>
        )}
        <span className="ml-auto text-xs text-zinc-400 dark:text-zinc-500">{t("board.label")}</span>
      </header>
      {body}
      <Composer session={session} title={title} archived={archived} />
    </section>
  );
}
