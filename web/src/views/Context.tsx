// The Context view: searches the user's workspace index, ranked (index.search: snippets
// with their reasons, packed into a token budget) or by symbol name (index.symbols).
// Loaded lazily (Shell), like the terminal.

import { useLang, useT, type Key } from "../i18n";
import { useStore, type ContextSearch } from "../lib/store";
import type { SymbolMatch } from "../protocol.gen";
import { locale } from "../components/tools/format";
import { SnippetCard } from "./context/SnippetCard";
import { SymbolTable } from "./context/SymbolTable";
import { useContextSearch, type Answer } from "./context/useContextSearch";

function Segmented<V extends string>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: V;
  options: { value: V; key: Key }[];
  onChange: (v: V) => void;
}) {
  const t = useT();
  return (
    <div role="group" aria-label={label} className="flex shrink-0 rounded-md border border-zinc-300 p-0.5 dark:border-zinc-700">
      {options.map((o) => (
        <button
          key={o.value}
          type="button"
          aria-pressed={value === o.value}
          onClick={() => onChange(o.value)}
          className={`rounded px-2.5 py-1 text-xs ${
            value === o.value
              ? "bg-indigo-600 font-medium text-white dark:bg-indigo-500"
              : "text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
          }`}
        >
          {t(o.key)}
        </button>
      ))}
    </div>
  );
}

const MATCHES: { value: SymbolMatch; key: Key }[] = [
  { value: "exact", key: "ctx.match.exact" },
  { value: "prefix", key: "ctx.match.prefix" },
  { value: "fuzzy", key: "ctx.match.fuzzy" },
];

function Results({ answer }: { answer: Answer }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const num = (n: number) => n.toLocaleString(locale(lang));
  if (answer.mode === "symbols") {
    const { symbols } = answer.result;
    if (symbols.length === 0) return <p className="text-sm text-zinc-500">{t("ctx.noResults", { q: answer.query })}</p>;
    return (
      <>
        <SymbolTable symbols={symbols} />
        <p className="mt-2 text-xs text-zinc-500">{t("ctx.symbolCount", { n: num(symbols.length) })}</p>
      </>
    );
  }
  const r = answer.result;
  return (
    <>
      {r.partial && (
        <p role="status" data-testid="ctx-partial" className="mb-3 rounded-md bg-sky-50 px-3 py-2 text-sm text-sky-900 dark:bg-sky-950/60 dark:text-sky-200">
          {t("ctx.partial")}
        </p>
      )}
      {r.snippets.length === 0 ? (
        <p className="text-sm text-zinc-500">{t("ctx.noResults", { q: answer.query })}</p>
      ) : (
        <section aria-label={t("ctx.results")} className="space-y-3">
          {r.snippets.map((s, i) => (
            <SnippetCard key={`${s.path}:${s.start_line}:${i}`} snippet={s} />
          ))}
        </section>
      )}
      {r.snippets.length > 0 && (
        <footer data-testid="ctx-footer" className="mt-3 flex gap-3 text-xs text-zinc-500">
          <span>{t("ctx.total", { n: num(r.snippets.length), tokens: num(r.tokens) })}</span>
          {r.truncated && <span className="text-amber-700 dark:text-amber-400">{t("ctx.truncated")}</span>}
        </footer>
      )}
    </>
  );
}

/** The Context view. */
export default function Context() {
  const t = useT();
  const search = useStore((s) => s.contextSearch);
  const indexState = useStore((s) => s.index?.state);
  const set = (patch: Partial<ContextSearch>) => useStore.setState((s) => ({ contextSearch: { ...s.contextSearch, ...patch } }));
  const { outcome, now } = useContextSearch(search);
  const answer = outcome.status === "done" ? outcome.answer : outcome.status === "loading" ? outcome.previous : null;

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="flex h-11 shrink-0 items-center border-b border-zinc-200 px-4 dark:border-zinc-800">
        <h1 className="text-sm font-semibold">{t("ctx.title")}</h1>
      </div>
      <div className="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
        <input
          type="search"
          autoFocus
          aria-label={t("ctx.query")}
          placeholder={t(search.mode === "ranked" ? "ctx.placeholder.ranked" : "ctx.placeholder.symbols")}
          value={search.query}
          onChange={(e) => set({ query: e.target.value })}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              void now();
            } else if (e.key === "Escape") {
              e.preventDefault();
              set({ query: "" });
            }
          }}
          className="min-w-64 flex-1 rounded-md border border-zinc-300 bg-white px-3 py-1.5 text-sm outline-none focus:border-indigo-500 dark:border-zinc-700 dark:bg-zinc-950"
        />
        <Segmented
          label={t("ctx.mode")}
          value={search.mode}
          options={[
            { value: "ranked", key: "ctx.mode.ranked" },
            { value: "symbols", key: "ctx.mode.symbols" },
          ]}
          onChange={(mode) => set({ mode })}
        />
        {search.mode === "symbols" && <Segmented label={t("ctx.match")} value={search.match} options={MATCHES} onChange={(match) => set({ match })} />}
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto px-4 py-4" aria-busy={outcome.status === "loading"}>
        {indexState === "failed" && search.mode === "ranked" && (
          <p className="mb-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950/60 dark:text-amber-200">{t("ctx.failedIndex")}</p>
        )}
        {outcome.status === "error" ? (
          <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950/60 dark:text-red-200">
            {outcome.message}
          </p>
        ) : outcome.status === "idle" ? (
          <div className="mx-auto max-w-xl py-10 text-center">
            <p className="text-sm text-zinc-600 dark:text-zinc-400">{t("ctx.empty")}</p>
            <p className="mt-2 text-xs text-zinc-400">{t("ctx.hint")}</p>
          </div>
        ) : (
          <>
            {outcome.status === "loading" && (
              <p role="status" className="mb-2 text-xs text-zinc-500">
                {t("ctx.searching")}
              </p>
            )}
            {answer && answer.mode === search.mode && <Results answer={answer} />}
          </>
        )}
      </div>
    </div>
  );
}
