import { useT } from "../i18n";
import { useStore } from "../lib/store";
import { Markdown } from "./Markdown";
import { Thinking } from "./Thinking";

/**
 * An agent's reply while it streams in (store.streams), for a task or (taskId null) a 1:1
 * chat. Only this row re-renders on each delta. `waiting` shows it before the first piece.
 */
export function StreamingReply({ agentId, taskId, waiting = false }: { agentId: string; taskId: string | null; waiting?: boolean }) {
  const t = useT();
  const stream = useStore((s) => s.streams[agentId]);
  const name = useStore((s) => s.agents[agentId]?.name ?? agentId);
  // A chat (taskId null) shows only the agent's chat replies, not its Blackboard answers.
  const mine = stream && (stream.taskId ?? null) === taskId && (taskId !== null || stream.sessionId === null);
  if (!mine && !waiting) return null;
  return (
    <div className="flex gap-3" data-testid="streaming" aria-busy="true">
      <span
        aria-hidden
        className="flex h-6 w-6 shrink-0 animate-pulse items-center justify-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-800 dark:bg-indigo-900 dark:text-indigo-200"
      >
        {name.slice(0, 1).toUpperCase()}
      </span>
      <div className="min-w-0 flex-1 space-y-2">
        <div className="flex items-center gap-2 text-sm">
          <span className="font-medium">{name}</span>
          <span role="status" className="text-xs text-zinc-500">
            {t(mine && stream.text ? "step.replying" : "step.thinkingNow", { name })}
          </span>
        </div>
        {mine && stream.reasoning && <Thinking text={stream.reasoning} />}
        {mine && stream.text && <Markdown text={stream.text} className="text-sm" />}
        {!(mine && stream.text) && (
          <span aria-hidden className="flex gap-1 py-1">
            {[0, 1, 2].map((i) => (
              <span key={i} className="h-1.5 w-1.5 animate-bounce rounded-full bg-zinc-400" style={{ animationDelay: `${i * 150}ms` }} />
            ))}
          </span>
        )}
      </div>
    </div>
  );
}
