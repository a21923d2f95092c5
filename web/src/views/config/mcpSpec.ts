// The MCP server form's state and the McpServerSpec it stands for.

import type { McpServerSpec, McpVar, Risk } from "../../protocol.gen";

/** An environment variable or header: a literal value or one of the user's secrets. */
export interface VarRow {
  key: number;
  name: string;
  source: "value" | "secret";
  value: string;
  secret: string;
}

/** A per-tool risk override. */
export interface RiskRow {
  key: number;
  tool: string;
  risk: Risk;
}

/** What the MCP form edits. */
export interface McpFormState {
  name: string;
  type: "stdio" | "http";
  command: string;
  /** One argument per line. */
  args: string;
  cwd: string;
  env: VarRow[];
  url: string;
  headers: VarRow[];
  enabled: boolean;
  toolRisk: RiskRow[];
}

let key = 1;
/** A fresh key for a new row. */
export const rowKey = (): number => key++;

/** An empty variable row. */
export function emptyVar(): VarRow {
  return { key: rowKey(), name: "", source: "value", value: "", secret: "" };
}

/** The form of a new server. */
export function emptyForm(): McpFormState {
  return { name: "", type: "stdio", command: "", args: "", cwd: "", env: [], url: "", headers: [], enabled: true, toolRisk: [] };
}

function varRows(vars: McpVar[] | undefined): VarRow[] {
  return (vars ?? []).map((v) => ({
    key: rowKey(),
    name: v.name,
    source: v.secret ? "secret" : "value",
    value: v.value ?? "",
    secret: v.secret ?? "",
  }));
}

function vars(rows: VarRow[]): McpVar[] {
  return rows
    .filter((r) => r.name.trim() || r.value || r.secret)
    .map((r) => (r.source === "secret" ? { name: r.name.trim(), secret: r.secret } : { name: r.name.trim(), value: r.value }));
}

/** The form showing an existing definition. */
export function formOf(spec: McpServerSpec): McpFormState {
  const f = emptyForm();
  f.name = spec.name;
  f.enabled = spec.enabled ?? true;
  f.toolRisk = Object.entries(spec.tool_risk ?? {}).map(([tool, risk]) => ({ key: rowKey(), tool, risk }));
  const tr = spec.transport;
  if (tr.type === "stdio") {
    f.type = "stdio";
    f.command = tr.command;
    f.args = (tr.args ?? []).join("\n");
    f.cwd = tr.cwd ?? "";
    f.env = varRows(tr.env);
  } else {
    f.type = "http";
    f.url = tr.url;
    f.headers = varRows(tr.headers);
  }
  return f;
}

/** The definition mcp.add receives for the form. */
export function specOf(f: McpFormState): McpServerSpec {
  const tool_risk: Record<string, Risk> = {};
  for (const r of f.toolRisk) if (r.tool.trim()) tool_risk[r.tool.trim()] = r.risk;
  const transport: McpServerSpec["transport"] =
    f.type === "stdio"
      ? {
          type: "stdio",
          command: f.command.trim(),
          args: f.args.split("\n").filter((a) => a.trim() !== ""),
          cwd: f.cwd.trim() || null,
          env: vars(f.env),
        }
      : { type: "http", url: f.url.trim(), headers: vars(f.headers) };
  return { name: f.name.trim(), enabled: f.enabled, transport, tool_risk };
}
