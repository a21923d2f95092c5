import { useMemo } from "react";
import { useT } from "../../i18n";
import type { Step, Task, TaskRecordResult, ToolRun } from "../../protocol.gen";
import { shownWithCall, stepContext, StepView } from "../../components/StepView";
import { StreamingReply } from "../../components/StreamingReply";
import { previousContents } from "./previous";

const key = (s: Step) => `${s.assist_id ?? ""}/${s.agent_id}/${s.index}`;

/** A list of steps with their tool calls resolved (a task's history, or a helper's). */
export function StepList({ steps, runs }: { steps: Step[]; runs: ToolRun[] }) {
  const ctx = useMemo(() => {
    const prev = previousContents(runs);
    return stepContext(steps, runs, (r) => prev.get(r.id) ?? null);
  }, [steps, runs]);
  return (
    <ol className="space-y-4">
      {steps
        .filter((s) => !shownWithCall(s, ctx))
        .map((s) => (
          <li key={key(s)}>
            <StepView step={s} ctx={ctx} />
          </li>
        ))}
    </ol>
  );
}

/** A task's history: every agent's steps, its tool runs in place, the reply streaming now. */
export function Activity({ task, record }: { task: Task; record: TaskRecordResult }) {
  const t = useT();
  return (
    <div className="space-y-4">
      {record.steps.length === 0 && <p className="text-sm text-zinc-500">{t("task.noActivity")}</p>}
      <StepList steps={record.steps} runs={record.tool_runs} />
      {task.assignee && <StreamingReply agentId={task.assignee} taskId={task.id} />}
    </div>
  );
}
