// Environment variables (stdio) or headers (http) of an MCP server: each a literal value
// or one of the user's secrets, chosen by name.

import { useT } from "../../i18n";
import { emptyVar, type VarRow } from "./mcpSpec";
import { btn, inputClass } from "./ui";

/** Edits a list of variables; `secrets` are the names the user can map. */
export function VarsEditor({
  legend,
  nameLabel,
  rows,
  secrets,
  onChange,
}: {
  legend: string;
  nameLabel: string;
  rows: VarRow[];
  secrets: string[];
  onChange: (rows: VarRow[]) => void;
}) {
  const t = useT();
  const set = (key: number, patch: Partial<VarRow>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  return (
    <fieldset className="space-y-2">
      <legend className="mb-1 text-sm font-medium text-zinc-800 dark:text-zinc-200">{legend}</legend>
      {rows.map((r, i) => {
        const n = i + 1;
        return (
          <div key={r.key} className="grid gap-2 sm:grid-cols-[minmax(0,12rem)_8rem_minmax(0,1fr)_2.5rem]">
            <label className="sr-only" htmlFor={`var-name-${r.key}`}>
              {t("cfg.vars.nameOf", { what: nameLabel, n })}
            </label>
            <input
              id={`var-name-${r.key}`}
              className={`${inputClass} font-mono`}
              value={r.name}
              placeholder={nameLabel}
              onChange={(e) => set(r.key, { name: e.target.value })}
              autoComplete="off"
              spellCheck={false}
            />
            <label className="sr-only" htmlFor={`var-source-${r.key}`}>
              {t("cfg.vars.sourceOf", { what: nameLabel, n })}
            </label>
            <select
              id={`var-source-${r.key}`}
              className={inputClass}
              value={r.source}
              onChange={(e) => set(r.key, { source: e.target.value === "secret" ? "secret" : "value" })}
            >
              <option value="value">{t("cfg.vars.value")}</option>
              <option value="secret">{t("cfg.vars.secret")}</option>
            </select>
            {r.source === "value" ? (
              <>
                <label className="sr-only" htmlFor={`var-value-${r.key}`}>
                  {t("cfg.vars.valueOf", { what: nameLabel, n })}
                </label>
                <input
                  id={`var-value-${r.key}`}
                  className={`${inputClass} font-mono`}
                  value={r.value}
                  placeholder={t("cfg.vars.valuePlaceholder")}
                  onChange={(e) => set(r.key, { value: e.target.value })}
                  autoComplete="off"
                  spellCheck={false}
                />
              </>
            ) : (
              <>
                <label className="sr-only" htmlFor={`var-secret-${r.key}`}>
                  {t("cfg.vars.secretOf", { what: nameLabel, n })}
                </label>
                <select
                  id={`var-secret-${r.key}`}
                  className={`${inputClass} font-mono`}
                  value={r.secret}
                  onChange={(e) => set(r.key, { secret: e.target.value })}
                >
                  <option value="">{secrets.length ? t("cfg.vars.chooseSecret") : t("cfg.vars.noSecrets")}</option>
                  {[...secrets, ...(r.secret && !secrets.includes(r.secret) ? [r.secret] : [])].map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              </>
            )}
            <button
              type="button"
              className={btn("ghost")}
              aria-label={t("cfg.vars.removeOf", { what: nameLabel, n })}
              title={t("cfg.vars.removeOf", { what: nameLabel, n })}
              onClick={() => onChange(rows.filter((x) => x.key !== r.key))}
            >
              ×
            </button>
          </div>
        );
      })}
      <button type="button" className={btn("secondary", true)} onClick={() => onChange([...rows, emptyVar()])}>
        <span aria-hidden>+</span> {t("cfg.vars.add", { what: nameLabel })}
      </button>
    </fieldset>
  );
}
