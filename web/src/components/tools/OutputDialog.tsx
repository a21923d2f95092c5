// The whole output of a tool run, read with toolrun.output one page at a time.

import { useEffect, useId, useRef, useState } from "react";
import { createPortal } from "react-dom";
import { useT } from "../../i18n";
import type { ToolRun, ToolRunOutputResult } from "../../protocol.gen";
import { api } from "../../lib/sync";
import { useModal } from "../../lib/useModal";
import { bytes, stripAnsi, utf8Length } from "./format";
import { errorMessage } from "../../lib/errors";

/** Bytes per page. */
export const OUTPUT_PAGE = 256 * 1024;

/** A modal dialog paging through a run's full output. */
export function OutputDialog({ run, onClose }: { run: ToolRun; onClose: () => void }) {
  const t = useT();
  const ref = useRef<HTMLDivElement>(null);
  const onKeyDown = useModal(ref, onClose);
  const titleId = useId();
  // Start offsets of the pages visited, so Previous goes back exactly.
  const [starts, setStarts] = useState<number[]>([0]);
  const [page, setPage] = useState<ToolRunOutputResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const offset = starts[starts.length - 1];

  useEffect(() => {
    let live = true;
    setPage(null);
    setError(null);
    api()
      .call("toolrun.output", { id: run.id, offset, limit: OUTPUT_PAGE })
      .then((r) => live && setPage(r))
      .catch((e: unknown) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [run.id, offset]);

  const end = page ? page.offset + utf8Length(page.data) : offset;
  const total = page?.total ?? run.output_bytes ?? 0;
  const pageCount = Math.max(1, Math.ceil(total / OUTPUT_PAGE));
  const btn =
    "rounded-md border border-zinc-300 px-2.5 py-1 text-sm hover:bg-zinc-50 disabled:opacity-40 dark:border-zinc-700 dark:hover:bg-zinc-800";

  return createPortal(
    <div className="fixed inset-0 z-[60] flex items-center justify-center bg-zinc-950/50 p-4" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={ref}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
        className="flex h-[85vh] w-full max-w-5xl flex-col rounded-xl border border-zinc-200 bg-white shadow-2xl outline-none dark:border-zinc-700 dark:bg-zinc-900"
      >
        <header className="flex items-center gap-3 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
          <h2 id={titleId} className="font-semibold">
            {t("output.title", { tool: run.tool })}
          </h2>
          <span className="text-xs text-zinc-500" aria-live="polite">
            {page && t("output.range", { from: bytes(page.offset), to: bytes(end), total: bytes(total) })}
          </span>
          <button type="button" onClick={onClose} className={`${btn} ml-auto`}>
            {t("common.close")}
          </button>
        </header>
        <div className="min-h-0 flex-1 overflow-auto bg-zinc-950 p-3">
          {error ? (
            <p role="alert" className="text-sm text-red-400">
              {error}
            </p>
          ) : page ? (
            <pre className="font-mono text-xs leading-5 whitespace-pre-wrap text-zinc-100">{stripAnsi(page.data)}</pre>
          ) : (
            <p className="text-sm text-zinc-400">{t("common.loading")}</p>
          )}
        </div>
        <footer className="flex items-center justify-end gap-2 border-t border-zinc-200 px-4 py-2 dark:border-zinc-800">
          <span className="mr-auto text-xs text-zinc-500">{t("output.page", { n: starts.length, total: pageCount })}</span>
          <button type="button" className={btn} disabled={starts.length <= 1} onClick={() => setStarts((s) => s.slice(0, -1))}>
            {t("output.prev")}
          </button>
          <button type="button" className={btn} disabled={!page || end >= total} onClick={() => setStarts((s) => [...s, end])}>
            {t("output.next")}
          </button>
        </footer>
      </div>
    </div>,
    document.body,
  );
}
