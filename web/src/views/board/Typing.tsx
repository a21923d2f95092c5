import { memo } from "react";
import { useShallow } from "zustand/react/shallow";
import { Markdown } from "../../components/Markdown";
import { useT } from "../../i18n";
import { useStore, type State } from "../../lib/store";
import { Avatar } from "./Avatar";

const NONE: string[] = [];

/** A board's reply is owed this long after the user's last post there. */
const REPLY_WINDOW_MS = 10 * 60_000;

// Streamed pieces name no session. The Manager answers the board the user last posted to,
// so its reply streams there — while that post is recent (a 1:1 chat with the Manager, long
// after, stays in the chat view).
function lastPostedBoard(s: State): { session: string; at: number } | null {
  let best: { session: string; at: number } | null = null;
  for (const [session, b] of Object.entries(s.boards)) {
    for (let i = b.messages.length - 1; i >= 0; i--) {
      const m = b.messages[i];
      if (m.author.kind !== "user") continue;
      if (!best || m.created_at > best.at) best = { session, at: m.created_at };
      break;
    }
  }
  return best;
}

/** Agents streaming a reply on this board (replies not tied to a task, from a Manager). */
export function useTyping(session: string): string[] {
  return useStore(
    useShallow((s) => {
      const ids = Object.keys(s.streams).filter((id) => s.streams[id].taskId === null && s.agents[id]?.role === "manager");
      if (ids.length === 0) return NONE;
      const last = lastPostedBoard(s);
      return last && last.session === session && Date.now() - last.at < REPLY_WINDOW_MS ? ids.sort() : NONE;
    }),
  );
}

/** An agent's reply as it streams in, at the bottom of the list. */
export const TypingRow = memo(function TypingRow({ agentId }: { agentId: string }) {
  const t = useT();
  const text = useStore((s) => s.streams[agentId]?.text ?? "");
  const name = useStore((s) => s.agents[agentId]?.name ?? agentId);
  return (
    <div className="flex gap-3 px-4 pt-2.5 pb-1 sm:px-6" data-testid="typing">
      <Avatar name={name} kind="manager" />
      <div className="min-w-0 flex-1">
        <div className="flex items-baseline gap-2">
          <span className="text-sm font-semibold text-zinc-900 dark:text-zinc-100">{name}</span>
          <span className="flex items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400">
            {t("board.typing")}
            <span aria-hidden className="flex gap-0.5">
              {[0, 150, 300].map((d) => (
                <span key={d} className="h-1 w-1 animate-bounce rounded-full bg-zinc-400" style={{ animationDelay: `${d}ms` }} />
              ))}
            </span>
          </span>
        </div>
        {text && <Markdown text={text} className="text-sm text-zinc-600 dark:text-zinc-300" />}
      </div>
    </div>
  );
});
