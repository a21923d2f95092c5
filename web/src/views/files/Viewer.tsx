// A file's content, highlighted by its extension, with line numbers. Binary and very
// large files get a message instead.

import { useEffect, useMemo, useRef, useState } from "react";
import { useT } from "../../i18n";
import { RpcError } from "../../lib/rpc";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import { highlight, languageName, languageOf } from "./highlight";
import { baseName, formatSize } from "./paths";
import { errorMessage } from "../../lib/errors";

/** Files above this size are not shown. */
export const MAX_VIEW = 2 * 1024 * 1024;
/** Files above this size are shown without highlighting (it would be slow). */
const MAX_HIGHLIGHT = 256 * 1024;

type Content =
  | { status: "loading" }
  | { status: "text"; text: string }
  | { status: "binary" }
  | { status: "large" }
  | { status: "error"; message: string };

/** The lines the URL's hash points at (`#L12` or `#L12-L20`), e.g. from a search result. */
export function linesOfHash(hash: string): { start: number; end: number } | null {
  const m = /^#L(\d+)(?:-L?(\d+))?$/.exec(hash);
  if (!m) return null;
  const start = Number(m[1]);
  const end = m[2] ? Math.max(start, Number(m[2])) : start;
  return start > 0 ? { start, end } : null;
}

/** Line height and top padding of the code (leading-5, py-2), for scrolling to a line. */
const LINE_PX = 20;
const PAD_PX = 8;

/** Whether text read as UTF-8 is really binary (NUL bytes). */
export function looksBinary(text: string): boolean {
  return text.includes("\u0000");
}

/** Shows the file `path` of `size` bytes; re-read whenever `version` changes. */
export function Viewer({ path, size, version }: { path: string; size: number; version: number }) {
  const t = useT();
  const connection = useStore((s) => s.connection);
  const [content, setContent] = useState<Content>({ status: "loading" });
  const [shownPath, setShownPath] = useState(path);

  useEffect(() => {
    if (connection !== "open") return;
    let live = true;
    if (shownPath !== path) {
      setContent({ status: "loading" });
      setShownPath(path);
    }
    if (size > MAX_VIEW) {
      setContent({ status: "large" });
      return;
    }
    api()
      .call("fs.read", { path })
      .then((r) => {
        if (live) setContent(looksBinary(r.content) ? { status: "binary" } : { status: "text", text: r.content });
      })
      .catch((e: unknown) => {
        if (!live) return;
        // Not valid UTF-8: a binary file.
        if (e instanceof RpcError && e.code === -32602 && /UTF-8/i.test(e.message)) setContent({ status: "binary" });
        else setContent({ status: "error", message: errorMessage(e) });
      });
    return () => {
      live = false;
    };
  }, [path, size, version, connection]);

  const lang = languageOf(baseName(path));
  const text = content.status === "text" ? content.text : "";
  const html = useMemo(() => (text.length > MAX_HIGHLIGHT ? highlight(text, null) : highlight(text, lang)), [text, lang]);
  const lines = useMemo(() => {
    const n = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    return Math.max(1, n);
  }, [text]);

  // A link to lines (#L12-L20): mark them and scroll them into view once the text is shown.
  const scroller = useRef<HTMLDivElement>(null);
  const mark = content.status === "text" ? linesOfHash(location.hash) : null;
  const markStart = mark?.start ?? 0;
  useEffect(() => {
    if (markStart > 0 && scroller.current) scroller.current.scrollTop = Math.max(0, PAD_PX + (markStart - 1) * LINE_PX - 3 * LINE_PX);
  }, [markStart, path, content.status]);

  const message = (m: string) => (
    <div className="flex flex-1 items-center justify-center p-8">
      <p className="max-w-md text-center text-sm text-zinc-600 dark:text-zinc-400">{m}</p>
    </div>
  );

  if (content.status === "loading") return message(t("files.loading"));
  if (content.status === "large") return message(t("files.tooLarge", { size: formatSize(size), max: formatSize(MAX_VIEW) }));
  if (content.status === "binary") return message(t("files.binary", { size: formatSize(size) }));
  if (content.status === "error")
    return (
      <div className="p-6">
        <p role="alert" className="text-sm text-red-700 dark:text-red-300">
          {content.message}
        </p>
      </div>
    );

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="flex h-8 shrink-0 items-center gap-3 border-b border-zinc-200 px-4 text-xs text-zinc-500 dark:border-zinc-800">
        <span>{lines === 1 ? t("files.oneLine") : t("files.lines", { n: lines })}</span>
        <span>{formatSize(size)}</span>
        <span>{lang ? languageName(lang) : t("files.plain")}</span>
      </div>
      <div ref={scroller} className="min-h-0 flex-1 overflow-auto" data-testid="file-content">
        <div className="relative flex min-h-full min-w-max font-mono text-[13px] leading-5">
          {mark && mark.start <= lines && (
            <div
              aria-hidden
              data-testid="marked-lines"
              className="pointer-events-none absolute inset-x-0 bg-amber-200/40 dark:bg-amber-500/15"
              style={{ top: PAD_PX + (mark.start - 1) * LINE_PX, height: (Math.min(mark.end, lines) - mark.start + 1) * LINE_PX }}
            />
          )}
          <pre
            aria-hidden
            className="sticky left-0 shrink-0 border-r border-zinc-200 bg-zinc-50 py-2 pr-3 pl-4 text-right text-zinc-400 select-none dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-600"
          >
            {Array.from({ length: lines }, (_, i) => i + 1).join("\n")}
          </pre>
          <pre className="flex-1 py-2 pr-6 pl-4">
            <code className="hljs" dangerouslySetInnerHTML={{ __html: html }} />
          </pre>
        </div>
      </div>
    </div>
  );
}
