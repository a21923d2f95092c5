import { useEffect, useLayoutEffect, useMemo, useRef } from "react";
import { useT } from "../../i18n";
import type { Agent, Step } from "../../protocol.gen";
import { useStore } from "../../lib/store";
import { shownWithCall, stepContext, StepView } from "../../components/StepView";
import { StreamingReply } from "../../components/StreamingReply";
import { openChat, useChatState } from "./chatState";
import { Composer } from "./Composer";
import { HistoryNote } from "./HistoryNote";

const NO_STEPS: Step[] = [];

/** Keeps a scroll container at the bottom while its content grows, unless the user scrolled up. */
function useStickToBottom(scroller: React.RefObject<HTMLDivElement | null>, content: React.RefObject<HTMLDivElement | null>) {
  const stuck = useRef(true);
  useLayoutEffect(() => {
    const el = scroller.current;
    const inner = content.current;
    if (!el || !inner) return;
    const onScroll = () => {
      stuck.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    };
    el.addEventListener("scroll", onScroll);
    el.scrollTop = el.scrollHeight;
    if (typeof ResizeObserver === "undefined") return () => el.removeEventListener("scroll", onScroll);
    const ro = new ResizeObserver(() => {
      if (stuck.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(inner);
    return () => {
      el.removeEventListener("scroll", onScroll);
      ro.disconnect();
    };
  }, [scroller, content]);
}

/** A 1:1 chat with one agent: earlier turns, the reply streaming in, the composer. */
export function AgentChat({ agent }: { agent: Agent }) {
  const t = useT();
  const steps = useStore((s) => s.chats[agent.id]) ?? NO_STEPS;
  const runs = useStore((s) => s.runs);
  const pending = useChatState((s) => s.pending[agent.id] ?? false);
  const loading = useChatState((s) => s.history[agent.id]?.state === "loading");
  const connected = useStore((s) => s.connection === "open");
  const scroller = useRef<HTMLDivElement>(null);
  const content = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (connected) void openChat(agent.id);
  }, [agent.id, connected]);
  useStickToBottom(scroller, content);
  const chatRuns = useMemo(() => Object.values(runs).filter((r) => r.agent_id === agent.id && !r.task_id), [runs, agent.id]);
  const ctx = useMemo(() => stepContext(steps, chatRuns), [steps, chatRuns]);
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div ref={scroller} className="min-h-0 flex-1 overflow-y-auto">
        <div ref={content} className="mx-auto max-w-3xl space-y-5 px-5 py-5">
          <HistoryNote agentId={agent.id} />
          {steps.length === 0 && !pending && !loading && (
            <p className="py-8 text-center text-sm text-zinc-500">{t("chat.empty", { name: agent.name })}</p>
          )}
          <ol role="log" aria-label={t("chat.log", { name: agent.name })} className="space-y-5">
            {steps
              .filter((s) => !shownWithCall(s, ctx))
              .map((s) => (
                <li key={s.index}>
                  <StepView step={s} ctx={ctx} chat />
                </li>
              ))}
          </ol>
          <StreamingReply agentId={agent.id} taskId={null} waiting={pending} />
        </div>
      </div>
      <div className="mx-auto w-full max-w-3xl">
        <Composer agent={agent} />
      </div>
    </div>
  );
}
