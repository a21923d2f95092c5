// One audited tool call: what ran (the command prominently), its risk and why, who
// decided, how it went, and its output (the whole of it in a dialog when it was cut).

import { useState } from "react";
import { useLang, useT } from "../i18n";
import type { ToolRun } from "../protocol.gen";
import { useStore } from "../lib/store";
import { DiffView } from "./DiffView";
import { reopenConfirm } from "./tools/confirmState";
import { argString, bytes, commandOf, duration, otherArgs, stripAnsi, utf8Length, when } from "./tools/format";
import { OutputDialog } from "./tools/OutputDialog";
import { RiskBadge } from "./tools/RiskBadge";
import { RunStatusBadge } from "./tools/RunStatusBadge";
import { DecisionLine } from "./tools/DecisionLine";
import { Reasons } from "./tools/Reasons";

/** What the run changed in a file, for write_file and edit_file. */
function FileChange({ run, previous }: { run: ToolRun; previous?: string | null }) {
  const t = useT();
  const path = argString(run.args, "path") ?? undefined;
  if (run.tool === "write_file") {
    const content = argString(run.args, "content");
    if (content === null) return null;
    return (
      <DiffView
        oldText={previous ?? ""}
        newText={content}
        path={path}
        note={previous != null ? t("diff.vsPrevious") : undefined}
      />
    );
  }
  if (run.tool === "edit_file") {
    const oldText = argString(run.args, "old_text");
    const newText = argString(run.args, "new_text");
    if (oldText === null || newText === null) return null;
    const all = typeof run.args === "object" && run.args !== null && (run.args as Record<string, unknown>).replace_all === true;
    return <DiffView oldText={oldText} newText={newText} path={path} numbers={false} note={all ? t("diff.replaceAll") : undefined} />;
  }
  return null;
}

/** A tool run as a card. `previous` is a file's earlier content, when known, for write_file's diff. */
export function ToolRunCard({ run, previous, showAgent = true }: { run: ToolRun; previous?: string | null; showAgent?: boolean }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const agent = useStore((s) => (run.agent_id ? s.agents[run.agent_id]?.name : undefined));
  const [full, setFull] = useState(false);
  const command = commandOf(run.tool, run.args);
  const args = otherArgs(run.tool, run.args);
  const output = stripAnsi(run.output);
  const cut = run.output_bytes != null && run.output_bytes > utf8Length(run.output);
  const finished = run.status !== "running" && run.status !== "awaiting_decision";
  const border =
    run.status === "awaiting_decision"
      ? "border-amber-300 dark:border-amber-700"
      : run.risk === "high"
        ? "border-red-200 dark:border-red-900"
        : "border-zinc-200 dark:border-zinc-800";
  return (
    <article
      aria-label={t("run.card", { tool: run.tool })}
      data-run={run.id}
      className={`rounded-lg border bg-white text-sm dark:bg-zinc-900 ${border}`}
    >
      <header className="flex flex-wrap items-center gap-x-2 gap-y-1 px-3 pt-2 pb-1.5">
        <span className="font-mono text-[13px] font-semibold text-zinc-800 dark:text-zinc-100">{run.tool}</span>
        {showAgent && agent && <span className="text-xs text-zinc-500">{t("run.by", { agent })}</span>}
        <span className="ml-auto flex items-center gap-2">
          {run.risk && <RiskBadge risk={run.risk} />}
          <RunStatusBadge status={run.status} />
          {run.duration_ms != null && (
            <span className="text-xs text-zinc-500 tabular-nums" title={when(run.started_at, lang)}>
              {duration(run.duration_ms)}
            </span>
          )}
        </span>
      </header>
      <div className="space-y-2 px-3 pb-3">
        {command !== null && (
          <pre className="overflow-x-auto rounded-md bg-zinc-900 px-3 py-2 font-mono text-[13px] leading-5 text-zinc-50 dark:bg-black">
            <span className="text-zinc-500 select-none" aria-hidden>
              ${" "}
            </span>
            {command}
          </pre>
        )}
        {args && <code className="block font-mono text-xs break-all text-zinc-600 dark:text-zinc-400">{args}</code>}
        <FileChange run={run} previous={previous} />
        {/* Decision, why, output: one line while folded; an opened part takes a whole row. */}
        <div className="flex flex-wrap items-center gap-x-4 gap-y-1.5">
          <DecisionLine run={run} />
          {run.status === "awaiting_decision" && (
            <button
              type="button"
              onClick={() => reopenConfirm(run.id)}
              className="rounded-md bg-amber-500 px-2 py-0.5 text-xs font-medium text-white hover:bg-amber-600"
            >
              {t("run.decide")}
            </button>
          )}
          {run.reasons && run.reasons.length > 0 && (
            <Reasons parts={run.reasons} open={run.risk !== "low"} className="open:order-first open:basis-full" />
          )}
          {finished && (
            <details className="open:basis-full" open={run.status === "error" && output.length < 4000}>
              <summary className="cursor-pointer text-xs font-medium text-zinc-600 select-none hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-200">
                {output ? t("run.outputSize", { size: bytes(run.output_bytes ?? utf8Length(run.output)) }) : t("run.output")}
              </summary>
              {output ? (
                <pre className="mt-1 max-h-80 overflow-auto rounded-md bg-zinc-50 p-2 font-mono text-xs leading-5 whitespace-pre-wrap text-zinc-800 dark:bg-zinc-950 dark:text-zinc-200">
                  {output}
                </pre>
              ) : (
                <p className="mt-1 text-xs text-zinc-500">{t("run.noOutput")}</p>
              )}
            </details>
          )}
          {finished && cut && (
            <button type="button" onClick={() => setFull(true)} className="text-xs font-medium text-indigo-700 hover:underline dark:text-indigo-300">
              {t("run.fullOutput")} ({bytes(run.output_bytes ?? 0)})
            </button>
          )}
        </div>
      </div>
      {full && <OutputDialog run={run} onClose={() => setFull(false)} />}
    </article>
  );
}
