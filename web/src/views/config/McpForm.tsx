// Adds or edits an MCP server definition: stdio (a sandboxed local program) or http.

import { useState, type FormEvent } from "react";
import { useT } from "../../i18n";
import type { McpServerSpec, Risk } from "../../protocol.gen";
import { emptyForm, formOf, rowKey, specOf, type McpFormState } from "./mcpSpec";
import { VarsEditor } from "./VarsEditor";
import { useAction } from "./useLoad";
import { btn, Field, InlineError, inputClass, Switch } from "./ui";

/** The MCP server form; `onSave` receives the spec and throws the server's refusal. */
export function McpForm({
  spec,
  secrets,
  onSave,
  onCancel,
}: {
  spec: McpServerSpec | null;
  secrets: string[];
  onSave: (spec: McpServerSpec) => Promise<unknown>;
  onCancel: () => void;
}) {
  const t = useT();
  const [f, setF] = useState<McpFormState>(() => (spec ? formOf(spec) : emptyForm()));
  const action = useAction();
  const set = <K extends keyof McpFormState>(k: K, v: McpFormState[K]) => setF((cur) => ({ ...cur, [k]: v }));
  const title = spec ? t("cfg.mcp.editTitle", { name: spec.name }) : t("cfg.mcp.addTitle");

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(() => onSave(specOf(f)));
  };

  const transportOption = (v: McpFormState["type"], label: string) => (
    <label
      className={`flex cursor-pointer items-center gap-2 rounded-md border px-3 py-1.5 text-sm ${
        f.type === v
          ? "border-indigo-400 bg-indigo-50 dark:border-indigo-700 dark:bg-indigo-950/50"
          : "border-zinc-300 hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
      }`}
    >
      <input type="radio" name="mcp-transport" className="accent-indigo-600" checked={f.type === v} onChange={() => set("type", v)} />
      {label}
    </label>
  );

  return (
    <form
      onSubmit={submit}
      aria-label={title}
      className="space-y-5 rounded-md border border-indigo-200 bg-indigo-50/40 p-4 dark:border-indigo-900 dark:bg-indigo-950/20"
    >
      <div className="flex items-center justify-between gap-3">
        <h3 className="text-sm font-semibold">{title}</h3>
        <Switch label={t("cfg.mcp.enabled")} checked={f.enabled} onChange={(v) => set("enabled", v)} />
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label={t("cfg.mcp.name")} hint={spec ? t("cfg.mcp.nameFixed") : t("cfg.mcp.nameHint")}>
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              className={`${inputClass} font-mono`}
              value={f.name}
              disabled={spec !== null}
              required
              autoFocus={!spec}
              placeholder="github"
              onChange={(e) => set("name", e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
          )}
        </Field>
        <fieldset>
          <legend className="mb-1 block text-sm font-medium text-zinc-800 dark:text-zinc-200">{t("cfg.mcp.transport")}</legend>
          <div className="flex flex-wrap gap-2">
            {transportOption("stdio", t("cfg.mcp.stdio"))}
            {transportOption("http", t("cfg.mcp.http"))}
          </div>
        </fieldset>
      </div>

      {f.type === "stdio" ? (
        <div className="space-y-4">
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label={t("cfg.mcp.command")} hint={t("cfg.mcp.commandHint")}>
              {(id, hint) => (
                <input
                  id={id}
                  aria-describedby={hint}
                  className={`${inputClass} font-mono`}
                  value={f.command}
                  placeholder="node"
                  onChange={(e) => set("command", e.target.value)}
                  autoComplete="off"
                  spellCheck={false}
                />
              )}
            </Field>
            <Field label={t("cfg.mcp.cwd")} hint={t("cfg.mcp.cwdHint")}>
              {(id, hint) => (
                <input
                  id={id}
                  aria-describedby={hint}
                  className={`${inputClass} font-mono`}
                  value={f.cwd}
                  placeholder="tools"
                  onChange={(e) => set("cwd", e.target.value)}
                  autoComplete="off"
                  spellCheck={false}
                />
              )}
            </Field>
            <Field label={t("cfg.mcp.args")} hint={t("cfg.mcp.argsHint")} className="sm:col-span-2">
              {(id, hint) => (
                <textarea
                  id={id}
                  aria-describedby={hint}
                  rows={3}
                  className={`${inputClass} font-mono`}
                  value={f.args}
                  placeholder={"node_modules/@modelcontextprotocol/server-github/dist/index.js"}
                  onChange={(e) => set("args", e.target.value)}
                  spellCheck={false}
                />
              )}
            </Field>
          </div>
          <VarsEditor legend={t("cfg.mcp.env")} nameLabel={t("cfg.mcp.envName")} rows={f.env} secrets={secrets} onChange={(v) => set("env", v)} />
          <p className="text-xs text-zinc-500 dark:text-zinc-400">{t("cfg.mcp.sandboxNote")}</p>
        </div>
      ) : (
        <div className="space-y-4">
          <Field label={t("cfg.mcp.url")}>
            {(id) => (
              <input
                id={id}
                className={`${inputClass} font-mono`}
                value={f.url}
                inputMode="url"
                placeholder="https://example.com/mcp"
                onChange={(e) => set("url", e.target.value)}
                autoComplete="off"
                spellCheck={false}
              />
            )}
          </Field>
          <VarsEditor
            legend={t("cfg.mcp.headers")}
            nameLabel={t("cfg.mcp.headerName")}
            rows={f.headers}
            secrets={secrets}
            onChange={(v) => set("headers", v)}
          />
        </div>
      )}

      <fieldset className="space-y-2">
        <legend className="mb-1 text-sm font-medium text-zinc-800 dark:text-zinc-200">{t("cfg.mcp.toolRisk")}</legend>
        <p className="text-xs text-zinc-500 dark:text-zinc-400">{t("cfg.mcp.toolRiskHint")}</p>
        {f.toolRisk.map((r, i) => (
          <div key={r.key} className="grid gap-2 sm:grid-cols-[minmax(0,1fr)_9rem_2.5rem]">
            <label className="sr-only" htmlFor={`tool-risk-name-${r.key}`}>
              {t("cfg.mcp.toolOf", { n: i + 1 })}
            </label>
            <input
              id={`tool-risk-name-${r.key}`}
              className={`${inputClass} font-mono`}
              value={r.tool}
              placeholder="delete_repo"
              onChange={(e) => set("toolRisk", f.toolRisk.map((x) => (x.key === r.key ? { ...x, tool: e.target.value } : x)))}
              autoComplete="off"
              spellCheck={false}
            />
            <label className="sr-only" htmlFor={`tool-risk-level-${r.key}`}>
              {t("cfg.mcp.riskOf", { n: i + 1 })}
            </label>
            <select
              id={`tool-risk-level-${r.key}`}
              className={inputClass}
              value={r.risk}
              onChange={(e) =>
                set("toolRisk", f.toolRisk.map((x) => (x.key === r.key ? { ...x, risk: e.target.value as Risk } : x)))
              }
            >
              <option value="low">{t("cfg.risk.low")}</option>
              <option value="medium">{t("cfg.risk.medium")}</option>
              <option value="high">{t("cfg.risk.high")}</option>
            </select>
            <button
              type="button"
              className={btn("ghost")}
              aria-label={t("cfg.mcp.removeToolRisk", { n: i + 1 })}
              title={t("cfg.mcp.removeToolRisk", { n: i + 1 })}
              onClick={() => set("toolRisk", f.toolRisk.filter((x) => x.key !== r.key))}
            >
              ×
            </button>
          </div>
        ))}
        <button
          type="button"
          className={btn("secondary", true)}
          onClick={() => set("toolRisk", [...f.toolRisk, { key: rowKey(), tool: "", risk: "high" }])}
        >
          <span aria-hidden>+</span> {t("cfg.mcp.addToolRisk")}
        </button>
      </fieldset>

      {action.error && <InlineError message={action.error} />}
      <div className="flex gap-2">
        <button type="submit" className={btn("primary")} disabled={action.busy}>
          {action.busy ? t("cfg.saving") : spec ? t("common.save") : t("cfg.mcp.add")}
        </button>
        <button type="button" className={btn("secondary")} onClick={onCancel}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}
