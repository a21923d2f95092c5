// The context a task used (its `context_refs`): files with lines, earlier tasks and
// messages, each with why it was chosen. Files open in the Files view, tasks in theirs.

import { useT } from "../../i18n";
import { useStore } from "../../lib/store";
import type { ContextRef } from "../../protocol.gen";
import { lineSuffix, memoryOf, openFile, openTask } from "../context/refs";

const link = "font-mono text-xs text-indigo-700 hover:underline dark:text-indigo-300";
const badge = "rounded bg-violet-100 px-1 text-[11px] text-violet-800 dark:bg-violet-950 dark:text-violet-200";

function Ref({ r }: { r: ContextRef }) {
  const t = useT();
  const memory = memoryOf(r.path);
  const title = useStore((s) => (memory?.kind === "task" ? s.tasks[memory.id]?.title : undefined));
  let where;
  if (!memory) {
    where = (
      <button type="button" className={link} title={t("ctx.openFile", { path: r.path })} onClick={() => openFile(r.path, r.start_line, r.end_line)}>
        {r.path}
        {lineSuffix(r.start_line, r.end_line)}
      </button>
    );
  } else if (memory.kind === "task") {
    where = (
      <>
        <span className={badge}>{t("ctx.source.task")}</span>{" "}
        <button type="button" className={link} title={t("ctx.openTask")} onClick={() => openTask(memory.id)}>
          {title ?? memory.id}
        </button>
      </>
    );
  } else {
    where = (
      <>
        <span className={badge}>{t("ctx.source.message")}</span> <span className="font-mono text-xs text-zinc-500">{memory.id}</span>
      </>
    );
  }
  return (
    <li className="truncate" title={r.reason ?? undefined}>
      {where}
      {r.reason && <span className="text-xs text-zinc-500"> — {r.reason}</span>}
    </li>
  );
}

/** The list of a task's context references (nothing when it has none). */
export function ContextRefs({ refs }: { refs: ContextRef[] }) {
  return (
    <ul className="space-y-0.5 text-sm" data-testid="context-refs">
      {refs.map((r, i) => (
        <Ref key={`${r.path}:${r.start_line ?? ""}:${i}`} r={r} />
      ))}
    </ul>
  );
}
