import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { useT } from "../../i18n";
import type { Message } from "../../protocol.gen";
import { COMPOSER_ID, onJumpRequest } from "./drafts";
import { startsDay, startsGroup } from "./grouping";
import { MessageRow } from "./MessageRow";
import { TypingRow, useTyping } from "./Typing";
import { loadOlder } from "./useBoard";

/** How close to the bottom (px) counts as "at the latest message". */
const AT_END = 80;
/** How close to the top (px) starts reading the page before. */
const NEAR_TOP = 600;
/** The height of the list's head (above the rows, outside the virtualizer: a row there would be
 *  the item kept in place when older messages are read in, and they would push the view away). */
const HEAD = 56;

/** How many messages come after the one with id `seen` (ids sort in creation order). */
export function countAfter(messages: Message[], seen: string | null): number {
  if (seen === null) return 0;
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (messages[mid].id <= seen) lo = mid + 1;
    else hi = mid;
  }
  return messages.length - lo;
}

function describe(m: Message): string {
  const who = m.author.kind === "agent" ? `${m.author.name}: ` : "";
  return who + (m.text.length > 200 ? `${m.text.slice(0, 200)}…` : m.text);
}

/**
 * The messages of a board, virtualized: only the rows near the viewport exist. It starts
 * at the latest message, follows new ones while the reader is at the bottom, keeps its
 * place when older pages are read in above, and otherwise offers "Jump to latest".
 */
export function MessageList({
  session,
  title,
  messages,
  hasMore,
  older,
}: {
  session: string;
  title: string;
  messages: Message[];
  hasMore: boolean;
  older: boolean;
}) {
  const t = useT();
  const typing = useTyping(session);
  const scrollRef = useRef<HTMLDivElement>(null);
  const [atEnd, setAtEnd] = useState(true);
  const seen = useRef<string | null>(null);
  const settled = useRef(false);
  const [announce, setAnnounce] = useState("");
  const n = messages.length;

  const virtualizer = useVirtualizer({
    count: n + typing.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => 44,
    getItemKey: (i) => (i < n ? messages[i].id : `typing:${typing[i - n]}`),
    scrollMargin: HEAD,
    anchorTo: "end",
    followOnAppend: true,
    scrollEndThreshold: AT_END,
    overscan: 6,
    paddingEnd: 8,
    useFlushSync: false,
  });

  // Start at the latest message.
  useLayoutEffect(() => {
    virtualizer.scrollToEnd();
  }, [virtualizer]);

  const last = n > 0 ? messages[n - 1].id : null;
  useEffect(() => {
    if (atEnd) seen.current = last;
  }, [atEnd, last]);

  // Screen readers hear new messages (not the ones read in while scrolling up).
  const prevLast = useRef(last);
  useEffect(() => {
    const before = prevLast.current;
    prevLast.current = last;
    if (before === null || last === null || last <= before) return;
    const m = messages[n - 1];
    if (m.author.kind !== "user") setAnnounce(describe(m));
  }, [last, messages, n]);

  // Sending a message brings the list down to the latest, wherever the reader was.
  useEffect(
    () =>
      onJumpRequest((s) => {
        if (s !== session) return;
        virtualizer.scrollToEnd();
        setAtEnd(true);
      }),
    [session, virtualizer],
  );

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const end = el.scrollHeight - el.scrollTop - el.clientHeight <= AT_END;
    if (end) settled.current = true;
    setAtEnd(end);
    if (settled.current && !end && el.scrollTop < NEAR_TOP && hasMore && !older) void loadOlder(session);
  };

  const jump = () => {
    virtualizer.scrollToEnd();
    setAtEnd(true);
    document.getElementById(COMPOSER_ID)?.focus();
  };

  const fresh = atEnd ? 0 : countAfter(messages, seen.current);
  const items = virtualizer.getVirtualItems();

  return (
    <div className="relative flex min-h-0 flex-1 flex-col">
      <div
        ref={scrollRef}
        role="feed"
        aria-label={t("board.messages")}
        aria-busy={older}
        tabIndex={0}
        onScroll={onScroll}
        className="min-h-0 flex-1 overflow-y-auto [overflow-anchor:none] focus-visible:outline-offset-[-2px]"
      >
        {/* A short history sits at the bottom, next to the composer. */}
        <div className="flex min-h-full flex-col justify-end">
          <Head title={title} hasMore={hasMore} older={older} onMore={() => void loadOlder(session)} />
          <div style={{ height: virtualizer.getTotalSize(), position: "relative", width: "100%", flexShrink: 0 }}>
            {items.map((vi) => {
              const i = vi.index;
              let row;
              if (i < n) {
                const m = messages[i];
                const prev = i > 0 ? messages[i - 1] : undefined;
                row = <MessageRow message={m} first={startsGroup(prev, m)} newDay={prev ? startsDay(prev, m) : !hasMore} />;
              } else {
                row = <TypingRow agentId={typing[i - n]} />;
              }
              return (
                <div
                  key={vi.key}
                  ref={virtualizer.measureElement}
                  data-index={i}
                  style={{ position: "absolute", top: 0, left: 0, width: "100%", transform: `translateY(${vi.start - HEAD}px)` }}
                >
                  {row}
                </div>
              );
            })}
          </div>
        </div>
      </div>
      {!atEnd && (
        <button
          type="button"
          onClick={jump}
          className="absolute bottom-3 left-1/2 z-10 flex -translate-x-1/2 items-center gap-2 rounded-full border border-zinc-200 bg-white px-3.5 py-1.5 text-sm font-medium text-zinc-700 shadow-lg transition hover:bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-800 dark:text-zinc-200 dark:hover:bg-zinc-700"
        >
          <svg aria-hidden viewBox="0 0 16 16" className="h-3.5 w-3.5 fill-current">
            <path d="M8 12.5a.7.7 0 0 1-.5-.2l-4.3-4.3a.7.7 0 0 1 1-1L7.3 10V3.2a.7.7 0 0 1 1.4 0V10l3.1-3.1a.7.7 0 1 1 1 1l-4.3 4.3a.7.7 0 0 1-.5.3Z" />
          </svg>
          {t("board.jump")}
          {fresh > 0 && (
            <span className="rounded-full bg-indigo-600 px-1.5 text-xs font-semibold text-white" data-testid="jump-count">
              {t("board.jumpNew", { n: fresh })}
            </span>
          )}
        </button>
      )}
      <div role="status" aria-live="polite" className="sr-only">
        {announce}
      </div>
    </div>
  );
}

/** The top of the list: older messages loading, a way to read them, or the session's start. */
function Head({ title, hasMore, older, onMore }: { title: string; hasMore: boolean; older: boolean; onMore: () => void }) {
  const t = useT();
  return (
    <div style={{ height: HEAD }} className="flex shrink-0 items-end justify-center px-6 pb-2 text-xs text-zinc-500 dark:text-zinc-400">
      {older ? (
        <span role="status" className="flex items-center gap-2">
          <span aria-hidden className="h-3 w-3 animate-spin rounded-full border-2 border-zinc-300 border-t-indigo-500" />
          {t("board.loadingOlder")}
        </span>
      ) : hasMore ? (
        <button type="button" onClick={onMore} className="rounded px-2 py-1 hover:bg-zinc-100 hover:text-zinc-700 dark:hover:bg-zinc-800">
          {t("board.loadOlder")}
        </button>
      ) : (
        <span>{t("board.beginning", { title })}</span>
      )}
    </div>
  );
}
