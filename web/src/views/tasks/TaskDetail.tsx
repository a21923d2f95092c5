import { useState } from "react";
import { useT } from "../../i18n";
import type { Task } from "../../protocol.gen";
import { Markdown } from "../../components/Markdown";
import { StatusBadge } from "../../components/StatusBadge";
import { ToolRunCard } from "../../components/ToolRunCard";
import { Activity } from "./Activity";
import { Assists } from "./Assists";
import { ContextRefs } from "./ContextRefs";
import { useTaskRecord } from "./record";
import { ScoreTable } from "./ScoreTable";
import { TaskActions } from "./TaskActions";
import { TaskMeta } from "./TaskMeta";
import { Tabs, type Tab } from "./Tabs";
import { Timeline } from "./Timeline";
import { previousContents } from "./previous";

const REASON_TONE: Partial<Record<Task["status"], string>> = {
  needs_confirm: "bg-amber-50 text-amber-900 dark:bg-amber-950/60 dark:text-amber-200",
  blocked: "bg-orange-50 text-orange-900 dark:bg-orange-950/60 dark:text-orange-200",
  failed: "bg-red-50 text-red-900 dark:bg-red-950/60 dark:text-red-200",
};

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section aria-label={title} className="space-y-1.5">
      <h3 className="text-xs font-semibold tracking-wide text-zinc-500 uppercase">{title}</h3>
      {children}
    </section>
  );
}

/** Everything about one task: facts, description, report, assists, scores, history, tool runs. */
export function TaskDetail({ task, titleId, onClose }: { task: Task; titleId: string; onClose: () => void }) {
  const t = useT();
  const { record, loading, error } = useTaskRecord(task.id);
  const [tab, setTab] = useState("activity");
  const runs = record?.tool_runs ?? [];
  const tabs: Tab[] = [
    {
      id: "activity",
      label: t("task.tab.activity"),
      panel: () =>
        error ? (
          <p role="alert" className="text-sm text-red-700 dark:text-red-400">
            {error}
          </p>
        ) : record && !(loading && record.steps.length === 0) ? (
          <Activity task={task} record={record} />
        ) : (
          <p className="text-sm text-zinc-500">{t("common.loading")}</p>
        ),
    },
    {
      id: "runs",
      label: (
        <>
          {t("task.tab.runs")} <span className="text-xs text-zinc-400 tabular-nums">{runs.length}</span>
        </>
      ),
      panel: () => {
        const prev = previousContents(runs);
        return runs.length ? (
          <div className="space-y-3">
            {runs.map((r) => (
              <ToolRunCard key={r.id} run={r} previous={prev.get(r.id) ?? null} />
            ))}
          </div>
        ) : (
          <p className="text-sm text-zinc-500">{loading ? t("common.loading") : t("task.noRuns")}</p>
        );
      },
    },
    ...(record && record.assists.length
      ? [
          {
            id: "assists",
            label: (
              <>
                {t("task.tab.assists")} <span className="text-xs text-zinc-400 tabular-nums">{record.assists.length}</span>
              </>
            ),
            panel: () => <Assists record={record} />,
          },
        ]
      : []),
    { id: "scores", label: t("task.tab.scores"), panel: () => <ScoreTable task={task} /> },
    { id: "timeline", label: t("task.tab.timeline"), panel: () => <Timeline task={task} /> },
  ];
  const tone = REASON_TONE[task.status];
  return (
    <>
      <header className="flex items-start gap-3 border-b border-zinc-200 px-5 py-4 dark:border-zinc-800">
        <div className="min-w-0 flex-1 space-y-2">
          <StatusBadge status={task.status} />
          <h2 id={titleId} className="text-lg leading-snug font-semibold text-zinc-900 dark:text-zinc-50">
            {task.title}
          </h2>
        </div>
        <button
          type="button"
          onClick={onClose}
          className="rounded-md border border-zinc-300 px-2.5 py-1 text-sm hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
        >
          {t("common.close")}
        </button>
      </header>
      <div className="min-h-0 flex-1 overflow-y-auto">
        <div className="space-y-5 px-5 py-4">
          {task.status_reason && (
            <p data-testid="status-reason" className={`rounded-md px-3 py-2 text-sm ${tone ?? "bg-zinc-50 text-zinc-700 dark:bg-zinc-900 dark:text-zinc-300"}`}>
              {task.status_reason}
            </p>
          )}
          <TaskActions task={task} />
          <TaskMeta task={task} />
          {task.report && (
            <Section title={t("task.report")}>
              <div className="rounded-lg border border-emerald-200 bg-emerald-50/60 px-3 py-2 dark:border-emerald-900 dark:bg-emerald-950/30">
                <Markdown text={task.report} className="text-sm" />
              </div>
            </Section>
          )}
          <Section title={t("task.description")}>
            {task.description.trim() ? (
              <Markdown text={task.description} className="text-sm" />
            ) : (
              <p className="text-sm text-zinc-500">{t("task.noDescription")}</p>
            )}
          </Section>
          {task.context_refs.length > 0 && (
            <Section title={t("task.context")}>
              <ContextRefs refs={task.context_refs} />
            </Section>
          )}
        </div>
        <Tabs tabs={tabs} selected={tab} onSelect={setTab} label={t("task.tabs")} />
      </div>
    </>
  );
}
