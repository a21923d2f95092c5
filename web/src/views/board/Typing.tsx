import { memo } from "react";
import { useShallow } from "zustand/react/shallow";
import { Markdown } from "../../components/Markdown";
import { useT } from "../../i18n";
import { useStore } from "../../lib/store";
import { Avatar } from "./Avatar";

const NONE: string[] = [];

/** Agents streaming an answer to this board (the Manager, or an agent summoned with @Name). */
export function useTyping(session: string): string[] {
  return useStore(
    useShallow((s) => {
      const ids = Object.keys(s.streams).filter((id) => s.streams[id].sessionId === session);
      return ids.length === 0 ? NONE : ids.sort();
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
