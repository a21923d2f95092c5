// A unified line diff: removed lines red, added lines green, long unchanged stretches
// folded (each fold opens on click).

import { Fragment, useMemo, useState } from "react";
import { useT } from "../i18n";
import { diffLines, type DiffLine } from "../lib/linediff";

const CONTEXT = 3;

type Piece = { kind: "lines"; lines: DiffLine[] } | { kind: "fold"; id: number; lines: DiffLine[] };

/** Groups a diff into shown lines and folds of unchanged lines far from any change. */
function fold(lines: DiffLine[]): Piece[] {
  const out: Piece[] = [];
  let shown: DiffLine[] = [];
  let i = 0;
  let id = 0;
  while (i < lines.length) {
    if (lines[i].kind !== "same") {
      shown.push(lines[i++]);
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j].kind === "same") j++;
    const run = lines.slice(i, j);
    const head = i === 0 ? 0 : CONTEXT;
    const tail = j === lines.length ? 0 : CONTEXT;
    if (run.length > head + tail + 1) {
      shown.push(...run.slice(0, head));
      if (shown.length) out.push({ kind: "lines", lines: shown });
      out.push({ kind: "fold", id: id++, lines: run.slice(head, run.length - tail) });
      shown = run.slice(run.length - tail);
    } else {
      shown.push(...run);
    }
    i = j;
  }
  if (shown.length) out.push({ kind: "lines", lines: shown });
  return out;
}

const ROW: Record<DiffLine["kind"], string> = {
  same: "",
  del: "bg-red-50 dark:bg-red-950/50",
  add: "bg-emerald-50 dark:bg-emerald-950/50",
};
const SIGN: Record<DiffLine["kind"], string> = { same: " ", del: "−", add: "+" };

function Row({ line, numbers }: { line: DiffLine; numbers: boolean }) {
  const t = useT();
  const num = "w-10 border-r border-zinc-200 pr-2 text-right text-zinc-400 select-none dark:border-zinc-800";
  return (
    <tr className={ROW[line.kind]} data-kind={line.kind}>
      {numbers && <td className={num}>{line.oldNo ?? ""}</td>}
      {numbers && <td className={num}>{line.newNo ?? ""}</td>}
      <td
        className={`w-5 text-center select-none ${line.kind === "add" ? "text-emerald-700 dark:text-emerald-400" : line.kind === "del" ? "text-red-700 dark:text-red-400" : ""}`}
      >
        <span aria-hidden>{SIGN[line.kind]}</span>
        {line.kind !== "same" && <span className="sr-only">{t(line.kind === "add" ? "diff.added" : "diff.removed")}</span>}
      </td>
      <td className="pr-3 whitespace-pre">{line.text}</td>
    </tr>
  );
}

/**
 * The changes from `oldText` to `newText` (a new file when `newFile`). `numbers: false`
 * leaves out line numbers (for a snippet whose place in its file is not known).
 */
export function DiffView({
  oldText,
  newText,
  path,
  newFile = false,
  numbers = true,
  note,
}: {
  oldText: string;
  newText: string;
  path?: string;
  newFile?: boolean;
  numbers?: boolean;
  note?: string;
}) {
  const t = useT();
  const lines = useMemo(() => diffLines(oldText, newText), [oldText, newText]);
  const pieces = useMemo(() => fold(lines), [lines]);
  const [open, setOpen] = useState<Set<number>>(new Set());
  const add = lines.filter((l) => l.kind === "add").length;
  const del = lines.filter((l) => l.kind === "del").length;
  return (
    <figure className="overflow-hidden rounded-md border border-zinc-200 dark:border-zinc-800">
      <figcaption className="flex flex-wrap items-center gap-2 border-b border-zinc-200 bg-zinc-50 px-3 py-1.5 text-xs dark:border-zinc-800 dark:bg-zinc-900">
        {path && <span className="font-mono font-medium text-zinc-800 dark:text-zinc-200">{path}</span>}
        {newFile && (
          <span className="rounded bg-emerald-100 px-1.5 py-px text-emerald-800 dark:bg-emerald-900 dark:text-emerald-200">
            {t("diff.newFile")}
          </span>
        )}
        <span className="text-zinc-500">
          <span className="text-emerald-700 dark:text-emerald-400" aria-hidden>
            +{add}
          </span>{" "}
          <span className="text-red-700 dark:text-red-400" aria-hidden>
            −{del}
          </span>
          <span className="sr-only">{t("diff.stats", { add, del })}</span>
        </span>
        {note && <span className="text-zinc-500">· {note}</span>}
      </figcaption>
      {lines.length === 0 ? (
        <p className="px-3 py-2 text-xs text-zinc-500">{t("diff.empty")}</p>
      ) : (
        <div className="max-h-96 overflow-auto bg-white dark:bg-zinc-950">
          <table className="w-full border-collapse font-mono text-xs leading-5" aria-label={path ? t("diff.label", { path }) : undefined}>
            <tbody>
              {pieces.map((p, i) =>
                p.kind === "lines" || open.has(p.id) ? (
                  <Fragment key={i}>
                    {p.lines.map((l, j) => (
                      <Row key={j} line={l} numbers={numbers} />
                    ))}
                  </Fragment>
                ) : (
                  <tr key={i} className="bg-sky-50/60 dark:bg-sky-950/30">
                    <td colSpan={numbers ? 4 : 2} className="px-2 py-0.5">
                      <button
                        type="button"
                        className="text-sky-700 hover:underline dark:text-sky-300"
                        onClick={() => setOpen((s) => new Set(s).add(p.id))}
                      >
                        ⋯ {t("diff.hidden", { n: p.lines.length })}
                      </button>
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
    </figure>
  );
}
