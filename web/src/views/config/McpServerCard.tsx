// One MCP server: its state, definition, last error, and (on demand) its tools.

import { useState } from "react";
import { useT } from "../../i18n";
import { api } from "../../lib/sync";
import type { McpServerSpec, McpServerState, McpServerStatus, McpToolDef, McpVar } from "../../protocol.gen";
import { useAction } from "./useLoad";
import { Badge, btn, InlineError, RiskBadge, type BadgeColor } from "./ui";

const STATE_COLOR: Record<McpServerState, BadgeColor> = { stopped: "gray", starting: "amber", running: "green", crashed: "red" };
const STATE_DOT: Record<McpServerState, string> = {
  stopped: "bg-zinc-400",
  starting: "bg-amber-500 animate-pulse",
  running: "bg-emerald-500",
  crashed: "bg-red-500",
};

function VarList({ vars, label }: { vars: McpVar[]; label: string }) {
  const t = useT();
  if (vars.length === 0) return null;
  return (
    <div>
      <dt className="text-xs font-medium text-zinc-500">{label}</dt>
      <dd>
        <ul className="mt-1 flex flex-wrap gap-1.5">
          {vars.map((v) => (
            <li key={v.name} className="rounded border border-zinc-200 px-1.5 py-0.5 font-mono text-xs dark:border-zinc-700">
              {v.name}
              {v.secret ? (
                <span className="text-indigo-700 dark:text-indigo-300"> ← {t("cfg.mcp.fromSecret", { name: v.secret })}</span>
              ) : (
                <span className="text-zinc-500"> = {v.value}</span>
              )}
            </li>
          ))}
        </ul>
      </dd>
    </div>
  );
}

/** A server's card; `onChanged` re-reads the states (a tools listing may start or crash it). */
export function McpServerCard({
  spec,
  status,
  onEdit,
  onRemove,
  onChanged,
}: {
  spec: McpServerSpec;
  status: McpServerStatus | undefined;
  onEdit: () => void;
  onRemove: () => void;
  onChanged: () => void;
}) {
  const t = useT();
  const [tools, setTools] = useState<McpToolDef[] | null>(null);
  const [open, setOpen] = useState(false);
  const load = useAction();
  const state: McpServerState = status?.state ?? "stopped";
  const enabled = spec.enabled ?? true;
  const tr = spec.transport;
  const risks = Object.entries(spec.tool_risk ?? {});

  const showTools = () => {
    if (open) {
      setOpen(false);
      return;
    }
    setOpen(true);
    void load
      .run(async () => {
        const r = await api().call("mcp.tools", { name: spec.name });
        setTools(r.tools);
      })
      .finally(onChanged);
  };

  return (
    <li aria-label={spec.name} className="py-4">
      <div className="flex flex-wrap items-start gap-x-4 gap-y-2">
        <div className="min-w-0 flex-1 space-y-2">
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-mono text-sm font-semibold">{spec.name}</span>
            <Badge color={STATE_COLOR[state]}>
              <span aria-hidden className={`h-1.5 w-1.5 rounded-full ${STATE_DOT[state]}`} />
              {t(`cfg.mcp.state.${state}`)}
            </Badge>
            {!enabled && <Badge color="amber">{t("cfg.mcp.disabled")}</Badge>}
            <Badge>{tr.type === "stdio" ? "stdio" : "HTTP"}</Badge>
            {(status?.restarts ?? 0) > 0 && (
              <span className="text-xs text-zinc-500">{t("cfg.mcp.restarts", { n: status?.restarts ?? 0 })}</span>
            )}
          </div>
          <p className="font-mono text-xs break-all text-zinc-700 dark:text-zinc-300">
            {tr.type === "stdio" ? (
              <>
                <span className="text-zinc-400 select-none">$ </span>
                {[tr.command, ...(tr.args ?? [])].join(" ")}
                {tr.cwd && <span className="text-zinc-500"> ({t("cfg.mcp.inDir", { dir: tr.cwd })})</span>}
              </>
            ) : (
              tr.url
            )}
          </p>
          <dl className="space-y-2">
            <VarList vars={tr.type === "stdio" ? (tr.env ?? []) : (tr.headers ?? [])} label={tr.type === "stdio" ? t("cfg.mcp.env") : t("cfg.mcp.headers")} />
            {risks.length > 0 && (
              <div>
                <dt className="text-xs font-medium text-zinc-500">{t("cfg.mcp.toolRisk")}</dt>
                <dd>
                  <ul className="mt-1 flex flex-wrap gap-x-4 gap-y-1.5">
                    {risks.map(([tool, risk]) => (
                      <li key={tool} className="inline-flex items-center gap-1.5 font-mono text-xs">
                        {tool} <RiskBadge risk={risk} />
                      </li>
                    ))}
                  </ul>
                </dd>
              </div>
            )}
          </dl>
        </div>
        <div className="flex shrink-0 gap-2">
          <button type="button" className={btn("secondary", true)} aria-expanded={open} onClick={showTools} disabled={!enabled}>
            {open ? t("cfg.mcp.hideTools") : t("cfg.mcp.showTools")}
          </button>
          <button type="button" className={btn("secondary", true)} onClick={onEdit} aria-label={t("cfg.mcp.editTitle", { name: spec.name })}>
            {t("common.edit")}
          </button>
          <button type="button" className={btn("danger", true)} onClick={onRemove} aria-label={t("cfg.mcp.removeTitle", { name: spec.name })}>
            {t("cfg.mcp.remove")}
          </button>
        </div>
      </div>
      {status?.last_error && (
        <div className="mt-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 dark:border-red-900 dark:bg-red-950/50">
          <p className="text-xs font-medium text-red-800 dark:text-red-200">{t("cfg.mcp.lastError")}</p>
          <pre className="mt-1 font-mono text-xs break-words whitespace-pre-wrap text-red-800 dark:text-red-200">{status.last_error}</pre>
        </div>
      )}
      {open && (
        <div className="mt-3 rounded-md border border-zinc-200 dark:border-zinc-800" aria-label={t("cfg.mcp.toolsOf", { name: spec.name })} role="region">
          {load.busy && <p className="px-3 py-2 text-sm text-zinc-500">{t("cfg.mcp.starting")}</p>}
          {load.error && <InlineError message={load.error} className="m-2" />}
          {!load.busy && !load.error && tools && tools.length === 0 && <p className="px-3 py-2 text-sm text-zinc-500">{t("cfg.mcp.noTools")}</p>}
          {!load.busy && tools && tools.length > 0 && (
            <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {tools.map((tool) => (
                <li key={tool.name} className="flex items-start gap-3 px-3 py-2">
                  <div className="min-w-0 flex-1">
                    <p className="font-mono text-sm">{tool.tool}</p>
                    {tool.description && <p className="mt-0.5 text-xs text-zinc-600 dark:text-zinc-400">{tool.description}</p>}
                  </div>
                  <RiskBadge risk={tool.risk} />
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </li>
  );
}
