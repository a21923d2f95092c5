import { useT } from "../../i18n";
import type { AssistRequest, TaskRecordResult } from "../../protocol.gen";
import { useStore } from "../../lib/store";
import { Markdown } from "../../components/Markdown";
import { StepList } from "./Activity";

const TONE: Record<AssistRequest["status"], string> = {
  open: "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
  running: "bg-sky-50 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
  done: "bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
  failed: "bg-red-50 text-red-800 dark:bg-red-950 dark:text-red-300",
};

function AssistCard({ assist, record }: { assist: AssistRequest; record: TaskRecordResult }) {
  const t = useT();
  const agents = useStore((s) => s.agents);
  const name = (id: string | null | undefined) => (id ? (agents[id]?.name ?? id) : t("assist.noHelper"));
  const steps = record.assist_steps.filter((s) => s.assist_id === assist.id);
  return (
    <article aria-label={t("assist.label", { question: assist.question })} className="space-y-3 rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
      <header className="flex flex-wrap items-center gap-2 text-sm">
        <span className="font-medium">{name(assist.requester)}</span>
        <span aria-hidden>→</span>
        <span className="sr-only">{t("assist.asks")}</span>
        <span className="font-medium">{name(assist.helper)}</span>
        <span className={`ml-auto rounded-full px-2 py-0.5 text-xs font-medium ${TONE[assist.status]}`}>{t(`assist.status.${assist.status}`)}</span>
      </header>
      <blockquote className="border-l-2 border-indigo-300 pl-3 text-sm dark:border-indigo-700">{assist.question}</blockquote>
      {assist.summary && (
        <div className="rounded-md bg-emerald-50/60 p-2 dark:bg-emerald-950/30">
          <div className="mb-1 text-xs font-medium text-emerald-800 dark:text-emerald-300">{t("assist.summary")}</div>
          <Markdown text={assist.summary} className="text-sm" />
        </div>
      )}
      {steps.length > 0 && (
        <details>
          <summary className="cursor-pointer text-xs font-medium text-zinc-600 select-none dark:text-zinc-400">
            {t("assist.steps", { n: steps.length })}
          </summary>
          <div className="mt-3">
            <StepList steps={steps} runs={record.tool_runs} />
          </div>
        </details>
      )}
    </article>
  );
}

/** A task's assist requests with the helpers' answers and steps. */
export function Assists({ record }: { record: TaskRecordResult }) {
  return (
    <div className="space-y-3">
      {record.assists.map((a) => (
        <AssistCard key={a.id} assist={a} record={record} />
      ))}
    </div>
  );
}
