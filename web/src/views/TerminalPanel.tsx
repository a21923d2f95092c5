// The terminal panel (loaded lazily: xterm.js is large): the user's terminals as tabs,
// each a real shell in the workspace's sandbox.

import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from "react";
import { useT } from "../i18n";
import { RpcError } from "../lib/rpc";
import { useStore } from "../lib/store";
import { api } from "../lib/sync";
import type { TerminalInfo } from "../protocol.gen";
import { TermView } from "./terminal/TermView";
import { useNotification } from "./useNotification";
import { errorMessage } from "../lib/errors";

/** "term-3" → "3": the number users see on a tab. */
export function terminalNumber(id: string): string {
  return /(\d+)$/.exec(id)?.[1] ?? id;
}

/** Columns and rows that fit a box, for a new terminal (it is fitted exactly once shown). */
function estimate(el: HTMLElement | null): { cols: number; rows: number } {
  const w = el?.clientWidth ?? 0;
  const h = el?.clientHeight ?? 0;
  if (w < 50 || h < 50) return { cols: 80, rows: 24 };
  return { cols: Math.max(20, Math.min(1000, Math.floor((w - 16) / 7.8))), rows: Math.max(5, Math.min(1000, Math.floor((h - 8) / 15.6))) };
}

/** The Terminal view: tabs, a new-terminal button, and the active terminal. */
export default function TerminalPanel() {
  const t = useT();
  const connection = useStore((s) => s.connection);
  const [list, setList] = useState<TerminalInfo[] | null>(null);
  const [active, setActive] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const pane = useRef<HTMLDivElement>(null);
  const tabs = useRef<Record<string, HTMLButtonElement | null>>({});
  const known = useRef(new Set<string>());
  known.current = new Set((list ?? []).map((x) => x.id));

  const relist = useCallback(async () => {
    const r = await api().call("terminal.list");
    setList(r.terminals);
    setActive((a) => (a && r.terminals.some((x) => x.id === a) ? a : (r.terminals.at(-1)?.id ?? null)));
  }, []);

  useEffect(() => {
    if (connection !== "open") return;
    relist().catch((e: unknown) => setError(errorMessage(e)));
  }, [connection, relist]);

  // Exits arrive as notifications; output of a terminal we do not know (opened in another
  // tab) means the list changed.
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  useNotification("terminal.exit", (p) =>
    setList((l) => l?.map((x) => (x.id === p.id ? { ...x, exited: { code: p.code } } : x)) ?? l),
  );
  useNotification("terminal.output", (p) => {
    if (known.current.has(p.id)) return;
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void relist().catch(() => {}), 300);
  });

  const create = async () => {
    setError(null);
    setCreating(true);
    try {
      const info = await api().call("terminal.create", estimate(pane.current));
      setList((l) => (l?.some((x) => x.id === info.id) ? l : [...(l ?? []), info]));
      setActive(info.id);
    } catch (e) {
      setError(t("term.createFailed", { reason: errorMessage(e) }));
    } finally {
      setCreating(false);
    }
  };

  const close = async (id: string) => {
    setError(null);
    try {
      await api().call("terminal.close", { id });
    } catch (e) {
      if (!(e instanceof RpcError && e.code === -32001)) {
        setError(errorMessage(e));
        return;
      }
    }
    const rest = (list ?? []).filter((x) => x.id !== id);
    const i = (list ?? []).findIndex((x) => x.id === id);
    setList(rest);
    if (active === id) setActive(rest[Math.min(i, rest.length - 1)]?.id ?? null);
  };

  const onTabKey = (e: KeyboardEvent, id: string) => {
    const ids = (list ?? []).map((x) => x.id);
    const i = ids.indexOf(id);
    let next: string | undefined;
    if (e.key === "ArrowRight") next = ids[(i + 1) % ids.length];
    else if (e.key === "ArrowLeft") next = ids[(i - 1 + ids.length) % ids.length];
    else if (e.key === "Home") next = ids[0];
    else if (e.key === "End") next = ids[ids.length - 1];
    else if (e.key === "Delete") {
      e.preventDefault();
      void close(id);
      return;
    }
    if (!next) return;
    e.preventDefault();
    setActive(next);
    tabs.current[next]?.focus();
  };

  // Keep the active tab in view when there are more than fit.
  useEffect(() => {
    if (active) tabs.current[active]?.scrollIntoView?.({ block: "nearest", inline: "nearest" });
  }, [active]);

  const current = list?.find((x) => x.id === active) ?? null;
  const label = (x: TerminalInfo) => t("term.tab", { n: terminalNumber(x.id) });

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="flex h-11 shrink-0 items-center gap-2 border-b border-zinc-200 bg-zinc-50 px-2 dark:border-zinc-800 dark:bg-zinc-900">
        <h1 className="sr-only">{t("term.title")}</h1>
        <div role="tablist" aria-label={t("term.tabs")} className="flex min-w-0 items-stretch gap-1 self-stretch overflow-x-auto pt-1.5">
          {(list ?? []).map((x) => {
            const selected = x.id === active;
            return (
              <div
                key={x.id}
                role="presentation"
                className={`group flex items-center rounded-t-md border border-b-0 text-sm ${
                  selected
                    ? "border-zinc-200 bg-white text-zinc-900 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100"
                    : "border-transparent text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800"
                }`}
              >
                <button
                  ref={(el) => {
                    tabs.current[x.id] = el;
                  }}
                  type="button"
                  role="tab"
                  id={`terminal-tab-${x.id}`}
                  aria-selected={selected}
                  aria-controls="terminal-panel"
                  tabIndex={selected ? 0 : -1}
                  onClick={() => setActive(x.id)}
                  onKeyDown={(e) => onTabKey(e, x.id)}
                  className="flex items-center gap-2 py-1 pr-1 pl-3 whitespace-nowrap"
                >
                  <span
                    aria-hidden
                    className={`h-2 w-2 rounded-full ${x.exited ? "bg-zinc-400" : "bg-emerald-500"}`}
                  />
                  {label(x)}
                  {x.exited && <span className="text-xs text-zinc-500">{t("term.exitedShort", { code: x.exited.code })}</span>}
                </button>
                <button
                  type="button"
                  tabIndex={-1}
                  aria-label={t("term.closeOf", { name: label(x) })}
                  title={t("term.closeOf", { name: label(x) })}
                  onClick={() => void close(x.id)}
                  className="mr-1 rounded px-1 text-zinc-400 hover:bg-zinc-200 hover:text-zinc-800 dark:hover:bg-zinc-700 dark:hover:text-zinc-100"
                >
                  ×
                </button>
              </div>
            );
          })}
        </div>
        <button
          type="button"
          onClick={() => void create()}
          disabled={creating}
          className="inline-flex shrink-0 items-center gap-1 rounded-md px-2 py-1 text-sm text-zinc-700 hover:bg-zinc-200 disabled:opacity-50 dark:text-zinc-300 dark:hover:bg-zinc-800"
        >
          <span aria-hidden className="text-base leading-none">+</span> {t("term.new")}
        </button>
        {current && (
          <div className="ml-auto flex shrink-0 items-center gap-3 text-xs text-zinc-500">
            {current.cwd && (
              <span className="hidden font-mono md:inline" title={t("term.cwd")}>
                {current.cwd}
              </span>
            )}
            <button
              type="button"
              onClick={() => void close(current.id)}
              className="rounded-md px-2 py-1 text-sm text-zinc-700 hover:bg-zinc-200 dark:text-zinc-300 dark:hover:bg-zinc-800"
            >
              {t("term.closeOf", { name: label(current) })}
            </button>
          </div>
        )}
      </div>
      {error && (
        <div
          role="alert"
          className="flex items-start gap-3 border-b border-red-200 bg-red-50 px-4 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950/60 dark:text-red-200"
        >
          <span className="min-w-0 flex-1 break-words">{error}</span>
          <button type="button" aria-label={t("common.dismiss")} onClick={() => setError(null)} className="text-red-500">
            ×
          </button>
        </div>
      )}
      <div
        ref={pane}
        id="terminal-panel"
        role={list && list.length > 0 ? "tabpanel" : undefined}
        aria-labelledby={current ? `terminal-tab-${current.id}` : undefined}
        className="relative min-h-0 flex-1 bg-white p-2 dark:bg-zinc-950"
      >
        {(list ?? []).map((x) => (
          <TermView
            key={x.id}
            id={x.id}
            label={label(x)}
            active={x.id === active}
            exited={x.exited?.code ?? null}
            onExit={(code) => setList((l) => l?.map((y) => (y.id === x.id && !y.exited ? { ...y, exited: { code } } : y)) ?? l)}
            onError={setError}
          />
        ))}
        {list === null && <p className="p-4 text-sm text-zinc-500">{t("common.loading")}</p>}
        {list !== null && list.length === 0 && (
          <div className="flex h-full items-center justify-center">
            <div className="max-w-md text-center">
              <p className="text-base font-medium">{t("term.emptyTitle")}</p>
              <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">{t("term.emptyBody")}</p>
              <button
                type="button"
                onClick={() => void create()}
                disabled={creating}
                className="mt-4 rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
              >
                {t("term.new")}
              </button>
            </div>
          </div>
        )}
      </div>
      {current?.exited && (
        <div
          role="status"
          className="flex shrink-0 items-center gap-3 border-t border-zinc-200 bg-zinc-50 px-4 py-2 text-sm dark:border-zinc-800 dark:bg-zinc-900"
        >
          <span>{t("term.exited", { code: current.exited.code })}</span>
          <button
            type="button"
            className="rounded-md border border-zinc-300 px-2 py-0.5 text-xs hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
            onClick={() => void create()}
          >
            {t("term.new")}
          </button>
        </div>
      )}
    </div>
  );
}
