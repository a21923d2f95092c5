// One recorded step of an agent (task history or 1:1 chat): instructions, model turns with
// their reasoning and tool calls, results, notes. Tool calls that went through the gateway
// show as tool-run cards; the others with their result.

import { memo } from "react";
import { useLang, useT } from "../i18n";
import type { Step, ToolCall, ToolRun } from "../protocol.gen";
import { useStore } from "../lib/store";
import { Markdown } from "./Markdown";
import { Thinking } from "./Thinking";
import { ToolRunCard } from "./ToolRunCard";
import { when } from "./tools/format";

type ResultStep = Extract<Step, { kind: "tool_result" }>;

/** What a step list needs to resolve tool calls: runs and results by call id, earlier file contents. */
export interface StepContext {
  runs: Map<string, ToolRun>;
  /** Ids of the calls the list's model turns made. */
  calls: Set<string>;
  results: Map<string, ResultStep>;
  /** The content a file had before a write_file run, when the list knows it. */
  previous?: (run: ToolRun) => string | null;
}

/** Indexes runs and results of a step list by call id. */
export function stepContext(steps: Step[], runs: ToolRun[], previous?: StepContext["previous"]): StepContext {
  const results = new Map<string, ResultStep>();
  const calls = new Set<string>();
  for (const s of steps) {
    if (s.kind === "tool_result") results.set(s.call_id, s);
    if (s.kind === "assistant") for (const c of s.tool_calls) calls.add(c.id);
  }
  return { runs: new Map(runs.map((r) => [r.call_id, r])), calls, results, previous };
}

/** Whether a tool_result step is already shown with its call (so the list skips it). */
export function shownWithCall(step: Step, ctx: StepContext): boolean {
  return step.kind === "tool_result" && (ctx.runs.has(step.call_id) || ctx.calls.has(step.call_id));
}

function Result({ result }: { result: ResultStep }) {
  const t = useT();
  return (
    <details open={result.is_error}>
      <summary
        className={`cursor-pointer text-xs font-medium select-none ${result.is_error ? "text-red-700 dark:text-red-400" : "text-zinc-600 dark:text-zinc-400"}`}
      >
        {t(result.is_error ? "run.resultError" : "run.result")}
      </summary>
      <pre className="mt-1 max-h-60 overflow-auto rounded bg-zinc-50 p-2 font-mono text-xs whitespace-pre-wrap dark:bg-zinc-950">
        {result.output}
      </pre>
    </details>
  );
}

/** A tool call that has no tool run (the Manager's decisions, say), with its result. */
function CallBox({ call, result }: { call: ToolCall; result?: ResultStep }) {
  const t = useT();
  return (
    <article aria-label={t("run.card", { tool: call.name })} className="space-y-1 rounded-lg border border-zinc-200 bg-white px-3 py-2 text-sm dark:border-zinc-800 dark:bg-zinc-900">
      <div className="font-mono text-[13px] font-semibold">{call.name}</div>
      <code className="block font-mono text-xs break-all text-zinc-600 dark:text-zinc-400">{JSON.stringify(call.arguments)}</code>
      {result && <Result result={result} />}
    </article>
  );
}

/** The calls of a model turn, as run cards or call boxes. */
export function ToolCalls({ calls, ctx }: { calls: ToolCall[]; ctx: StepContext }) {
  if (calls.length === 0) return null;
  return (
    <div className="space-y-2">
      {calls.map((c) => {
        const run = ctx.runs.get(c.id);
        return run ? (
          <ToolRunCard key={c.id} run={run} previous={ctx.previous?.(run)} showAgent={false} />
        ) : (
          <CallBox key={c.id} call={c} result={ctx.results.get(c.id)} />
        );
      })}
    </div>
  );
}

function Avatar({ name }: { name: string }) {
  return (
    <span
      aria-hidden
      className="flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-800 dark:bg-indigo-900 dark:text-indigo-200"
    >
      {name.slice(0, 1).toUpperCase()}
    </span>
  );
}

/** One step. In a chat, instructions are the user's messages. */
export const StepView = memo(function StepView({ step, ctx, chat = false }: { step: Step; ctx: StepContext; chat?: boolean }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const name = useStore((s) => s.agents[step.agent_id]?.name ?? step.agent_id);
  const time = (
    <time className="text-xs text-zinc-400" dateTime={new Date(step.at).toISOString()}>
      {when(step.at, lang)}
    </time>
  );
  switch (step.kind) {
    case "instruction":
      return chat ? (
        <div className="flex justify-end" data-step="instruction">
          <div className="max-w-[85%] rounded-2xl rounded-br-sm bg-indigo-600 px-4 py-2 text-white">
            <span className="sr-only">{t("step.you")}: </span>
            <p className="text-sm whitespace-pre-wrap">{step.text}</p>
          </div>
        </div>
      ) : (
        <div className="rounded-lg border border-zinc-200 bg-zinc-50 px-3 py-2 dark:border-zinc-800 dark:bg-zinc-900/60" data-step="instruction">
          <div className="mb-1 flex items-center gap-2 text-xs font-medium text-zinc-500">
            {t("step.instruction", { agent: name })} {time}
          </div>
          <Markdown text={step.text} className="text-sm" />
        </div>
      );
    case "assistant":
      return (
        <div className="flex gap-3" data-step="assistant">
          <Avatar name={name} />
          <div className="min-w-0 flex-1 space-y-2">
            <div className="flex items-center gap-2 text-sm">
              <span className="font-medium">{name}</span> {time}
            </div>
            {step.reasoning && <Thinking text={step.reasoning} />}
            {step.text && <Markdown text={step.text} className="text-sm" />}
            <ToolCalls calls={step.tool_calls} ctx={ctx} />
          </div>
        </div>
      );
    case "tool_result":
      return (
        <div className="ml-9 space-y-1 text-sm" data-step="tool_result">
          <span className="font-mono text-xs text-zinc-500">{step.tool}</span>
          <Result result={step} />
        </div>
      );
    case "note":
      return (
        <p className="flex items-center gap-2 text-xs text-zinc-500 italic" data-step="note">
          <span aria-hidden>ℹ</span>
          {step.text} {time}
        </p>
      );
  }
});
