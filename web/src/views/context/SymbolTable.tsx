// Definitions found by `index.symbols`: kind, name, scope, signature and where.

import { useT, type Key } from "../../i18n";
import type { SymbolInfo } from "../../protocol.gen";
import { lineSuffix, openFile } from "./refs";

const cell = "px-3 py-1.5 align-top";

/** The symbols as a table; a location opens its file. */
export function SymbolTable({ symbols }: { symbols: SymbolInfo[] }) {
  const t = useT();
  return (
    <table className="w-full border-collapse text-sm" aria-label={t("ctx.results")}>
      <thead>
        <tr className="border-b border-zinc-200 text-left text-xs text-zinc-500 dark:border-zinc-800">
          <th className={`${cell} font-medium`}>{t("ctx.col.kind")}</th>
          <th className={`${cell} font-medium`}>{t("ctx.col.name")}</th>
          <th className={`${cell} font-medium`}>{t("ctx.col.scope")}</th>
          <th className={`${cell} font-medium`}>{t("ctx.col.signature")}</th>
          <th className={`${cell} font-medium`}>{t("ctx.col.location")}</th>
        </tr>
      </thead>
      <tbody>
        {symbols.map((s, i) => (
          <tr key={`${s.path}:${s.start_line}:${s.name}:${i}`} className="border-b border-zinc-100 dark:border-zinc-800/60">
            <td className={cell}>
              <span className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
                {t(`ctx.kind.${s.kind}` as Key)}
              </span>
            </td>
            <td className={`${cell} font-mono text-xs font-semibold`}>{s.name}</td>
            <td className={`${cell} font-mono text-xs text-zinc-500`}>{s.scope ?? "—"}</td>
            <td className={`${cell} max-w-md truncate font-mono text-xs`} title={s.signature}>
              {s.signature}
            </td>
            <td className={`${cell} whitespace-nowrap`}>
              <button
                type="button"
                className="font-mono text-xs text-indigo-700 hover:underline dark:text-indigo-300"
                title={t("ctx.openFile", { path: s.path })}
                onClick={() => openFile(s.path, s.start_line, s.end_line)}
              >
                {s.path}
                {lineSuffix(s.start_line, s.end_line)}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
