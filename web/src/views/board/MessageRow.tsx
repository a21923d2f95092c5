import { memo } from "react";
import { MessageText } from "./MessageText";
import { useLang, useT } from "../../i18n";
import type { Message } from "../../protocol.gen";
import { useStore } from "../../lib/store";
import { Avatar } from "./Avatar";
import { RelTime } from "./RelTime";
import { TaskCard } from "./TaskCard";
import { dayLabel, useNow } from "./time";
import { noticeText } from "./notice";

/** What a row of the list needs; `first` shows the author line, `newDay` a day divider. */
export interface RowProps {
  message: Message;
  first: boolean;
  newDay: boolean;
}

/** One Blackboard message (memoized: a new message or a streamed piece leaves other rows alone). */
export const MessageRow = memo(function MessageRow({ message, first, newDay }: RowProps) {
  return (
    <div role="article" data-message-id={message.id} data-author={message.author.kind}>
      {newDay && <DayDivider at={message.created_at} />}
      {message.author.kind === "system" ? <SystemMessage message={message} /> : <ChatMessage message={message} first={first} />}
    </div>
  );
});

function DayDivider({ at }: { at: number }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const now = useNow();
  const label = dayLabel(at, now, lang, t);
  return (
    <div role="separator" aria-label={label} className="flex items-center gap-3 px-4 pt-4 pb-1 sm:px-6">
      <span className="h-px flex-1 bg-zinc-200 dark:bg-zinc-800" />
      <span className="rounded-full border border-zinc-200 px-2.5 py-0.5 text-xs font-medium text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
        {label}
      </span>
      <span className="h-px flex-1 bg-zinc-200 dark:bg-zinc-800" />
    </div>
  );
}

/** Broadcasts ("Assigned … to Coder"): small, centred, muted; details below the headline; a task as a card. */
function SystemMessage({ message }: { message: Message }) {
  const t = useT();
  const localized = noticeText(message.notice, t);
  const [head, ...rest] = localized
    ? [localized.head, ...(localized.body ? [localized.body] : [])]
    : message.text.split(/\n\s*\n/);
  return (
    <div className="flex flex-col items-center gap-1.5 px-4 py-1.5 sm:px-6">
      <div className="max-w-3xl text-center text-xs leading-5 text-zinc-500 dark:text-zinc-400">
        <MessageText
          text={head}
          className="inline [&_p]:inline [&_strong]:font-medium [&_strong]:text-zinc-700 dark:[&_strong]:text-zinc-300"
        />
        <RelTime at={message.created_at} className="ml-2 whitespace-nowrap text-zinc-400 dark:text-zinc-500" />
      </div>
      {rest.length > 0 && (
        <MessageText
          text={rest.join("\n\n")}
          className="max-w-2xl rounded-md bg-zinc-50 px-3 py-1.5 text-xs text-zinc-600 dark:bg-zinc-900 dark:text-zinc-400"
        />
      )}
      {message.task_id && <TaskCard taskId={message.task_id} />}
    </div>
  );
}

function useAuthor(message: Message): { name: string; kind: "user" | "agent" | "manager"; role: string | null } {
  const t = useT();
  const me = useStore((s) => s.me?.name ?? null);
  const agentName = message.author.kind === "agent" ? message.author.name : null;
  const role = useStore((s) => {
    if (!agentName) return null;
    for (const a of Object.values(s.agents)) if (a.name === agentName) return a.role;
    return null;
  });
  if (agentName) return { name: agentName, kind: role === "manager" ? "manager" : "agent", role };
  return { name: me ?? t("board.you"), kind: "user", role: null };
}

function ChatMessage({ message, first }: { message: Message; first: boolean }) {
  const t = useT();
  const author = useAuthor(message);
  // A task is announced by a system message right after the user's `/task`: the card is there.
  const card = message.task_id && message.author.kind !== "user" ? message.task_id : null;
  return (
    <div
      className={`group flex gap-3 px-4 hover:bg-zinc-50 sm:px-6 dark:hover:bg-zinc-900/60 ${first ? "pt-2.5 pb-0.5" : "py-0.5"}`}
    >
      <div className="w-9 shrink-0">
        {first ? (
          <Avatar name={author.name} kind={author.kind} />
        ) : (
          <RelTime
            at={message.created_at}
            className="invisible block pt-1 text-right text-[10px] leading-5 whitespace-nowrap text-zinc-400 group-focus-within:visible group-hover:visible"
          />
        )}
      </div>
      <div className="min-w-0 flex-1">
        {first && (
          <div className="flex items-baseline gap-2">
            <span className="text-sm font-semibold text-zinc-900 dark:text-zinc-100" data-testid="author">
              {author.name}
            </span>
            {author.role && (
              <span className="rounded bg-zinc-100 px-1.5 text-[10px] font-medium tracking-wide text-zinc-500 uppercase dark:bg-zinc-800 dark:text-zinc-400">
                {t(author.role === "manager" ? "board.role.manager" : "board.role.worker")}
              </span>
            )}
            <RelTime at={message.created_at} className="text-xs text-zinc-500 dark:text-zinc-400" />
          </div>
        )}
        <MessageText text={message.text} className="text-sm text-zinc-800 dark:text-zinc-200" />
        {card && (
          <div className="mt-1.5">
            <TaskCard taskId={card} />
          </div>
        )}
      </div>
    </div>
  );
}
