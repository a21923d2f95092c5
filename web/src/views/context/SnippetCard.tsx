// One ranked snippet: where it is (a file's lines, or an earlier task or message), its
// symbol, why it was chosen, its tokens, and its text highlighted by language.

import { memo, useMemo } from "react";
import { useLang, useT } from "../../i18n";
import { useStore } from "../../lib/store";
import type { Snippet } from "../../protocol.gen";
import { locale } from "../../components/tools/format";
import { highlight, languageOf } from "../files/highlight";
import { baseName } from "../files/paths";
import { lineSuffix, memoryOf, openFile, openTask } from "./refs";

const link = "font-mono text-xs text-indigo-700 hover:underline dark:text-indigo-300";
const badge = "rounded bg-violet-100 px-1.5 py-0.5 text-[11px] font-medium text-violet-800 dark:bg-violet-950 dark:text-violet-200";

/** A snippet of `index.search` as a card. */
export const SnippetCard = memo(function SnippetCard({ snippet: s }: { snippet: Snippet }) {
  const t = useT();
  const lang = useLang((st) => st.lang);
  const memory = s.source === "code" ? null : memoryOf(s.path);
  const taskTitle = useStore((st) => (memory?.kind === "task" ? st.tasks[memory.id]?.title : undefined));
  const code = s.source === "code";
  const language = code ? languageOf(baseName(s.path)) : null;
  const html = useMemo(() => (code ? highlight(s.text, language) : ""), [code, s.text, language]);
  const lines = useMemo(() => {
    const n = Math.max(1, s.text.split("\n").length - (s.text.endsWith("\n") ? 1 : 0));
    return Array.from({ length: n }, (_, i) => s.start_line + i).join("\n");
  }, [s.text, s.start_line]);
  const where = `${s.path}${code ? lineSuffix(s.start_line, s.end_line) : ""}`;

  return (
    <article
      aria-label={where}
      data-testid="snippet"
      className="overflow-hidden rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-950"
    >
      <header className="flex flex-wrap items-center gap-x-2 gap-y-1 border-b border-zinc-100 px-3 py-2 dark:border-zinc-800/70">
        {code ? (
          <button type="button" className={link} title={t("ctx.openFile", { path: s.path })} onClick={() => openFile(s.path, s.start_line, s.end_line)}>
            {where}
          </button>
        ) : (
          <>
            <span className={badge}>{t(s.source === "task" ? "ctx.source.task" : "ctx.source.message")}</span>
            {memory?.kind === "task" ? (
              <button type="button" className={link} title={t("ctx.openTask")} onClick={() => openTask(memory.id)}>
                {taskTitle ?? memory.id}
              </button>
            ) : (
              <span className="font-mono text-xs text-zinc-500">{memory?.id ?? s.path}</span>
            )}
          </>
        )}
        {s.symbol && <code className="rounded bg-zinc-100 px-1.5 font-mono text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">{s.symbol}</code>}
        <span className="ml-auto text-xs text-zinc-500 tabular-nums">{t("ctx.tokens", { n: s.tokens.toLocaleString(locale(lang)) })}</span>
        <p className="w-full text-xs text-zinc-600 dark:text-zinc-400" data-testid="snippet-reason">
          {s.reason}
        </p>
      </header>
      {code ? (
        <div className="max-h-80 overflow-auto">
          <div className="flex min-w-max font-mono text-[12.5px] leading-5">
            <pre aria-hidden className="shrink-0 bg-zinc-50 py-2 pr-3 pl-3 text-right text-zinc-400 select-none dark:bg-zinc-900 dark:text-zinc-600">
              {lines}
            </pre>
            <pre className="flex-1 py-2 pr-4 pl-3">
              <code className="hljs" dangerouslySetInnerHTML={{ __html: html }} />
            </pre>
          </div>
        </div>
      ) : (
        <p className="max-h-60 overflow-auto px-3 py-2 text-sm whitespace-pre-wrap text-zinc-800 dark:text-zinc-200">{s.text}</p>
      )}
    </article>
  );
});
