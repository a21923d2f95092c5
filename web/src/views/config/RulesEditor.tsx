// The user's and workspace's risk rules, edited as a list and saved whole with policy.set.
// The server checks each rule; a refused one gets the server's reason next to it.

import { useEffect, useRef, useState } from "react";
import { useT } from "../../i18n";
import type { Rule, RuleAction, RuleScope } from "../../protocol.gen";
import { useAction } from "./useLoad";
import { btn, Card, Empty, InlineError, inputClass, SaveBar } from "./ui";

interface Row {
  key: number;
  pattern: string;
  action: RuleAction;
  scope: RuleScope;
}

/** The index of the rule a policy.set error names ("rule 2 (…): …"), if any. */
export function ruleIndexOf(message: string): number | null {
  const m = /^rule (\d+)\b/.exec(message);
  return m ? Number(m[1]) : null;
}

/** The reason without its "rule 2 ("…"): " prefix (it is shown next to that rule). */
export function ruleReason(message: string): string {
  return message.replace(/^rule \d+ \(".*?"\): /, "");
}

let nextKey = 1;
const rowsOf = (rules: Rule[]): Row[] =>
  rules.map((r) => ({ key: nextKey++, pattern: r.pattern, action: r.action, scope: r.scope === "workspace" ? "workspace" : "user" }));
const rulesOf = (rows: Row[]): Rule[] => rows.map((r) => ({ pattern: r.pattern.trim(), action: r.action, scope: r.scope }));
const sameRules = (a: Rule[], b: Rule[]) =>
  a.length === b.length && a.every((r, i) => r.pattern === b[i].pattern && r.action === b[i].action && (r.scope ?? "user") === (b[i].scope ?? "user"));

/** Edits the rules; `onSave` sends the whole list and throws the server's refusal. */
export function RulesEditor({ rules, onSave }: { rules: Rule[]; onSave: (rules: Rule[]) => Promise<unknown> }) {
  const t = useT();
  const [rows, setRows] = useState<Row[]>(() => rowsOf(rules));
  const action = useAction();
  const dirty = !sameRules(rulesOf(rows), rules);
  const lastFocus = useRef<HTMLInputElement | null>(null);
  const [focusNew, setFocusNew] = useState(false);

  // Rules changed elsewhere (an "allow always" decision, another tab): show them unless editing.
  const [seen, setSeen] = useState(rules);
  useEffect(() => {
    if (rules !== seen) {
      if (sameRules(rulesOf(rows), seen)) setRows(rowsOf(rules));
      setSeen(rules);
    }
  }, [rules, seen, rows]);

  useEffect(() => {
    if (focusNew) {
      lastFocus.current?.focus();
      setFocusNew(false);
    }
  }, [focusNew]);

  const errIndex = action.error ? ruleIndexOf(action.error) : null;
  const update = (key: number, patch: Partial<Row>) => {
    action.clear();
    setRows(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  };

  return (
    <Card
      title={t("cfg.rules.title")}
      description={t("cfg.rules.desc")}
      actions={
        <button
          type="button"
          className={btn("secondary")}
          onClick={() => {
            action.clear();
            setRows([...rows, { key: nextKey++, pattern: "", action: "allow", scope: "user" }]);
            setFocusNew(true);
          }}
        >
          <span aria-hidden>+</span> {t("cfg.rules.add")}
        </button>
      }
    >
      <form
        aria-label={t("cfg.rules.title")}
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(() => onSave(rulesOf(rows)));
        }}
      >
        {rows.length === 0 ? (
          <Empty text={t("cfg.rules.empty")} />
        ) : (
          <ol className="space-y-2">
            <li aria-hidden className="hidden grid-cols-[1fr_9rem_9rem_2.5rem] gap-2 px-1 text-xs font-medium text-zinc-500 uppercase sm:grid">
              <span>{t("cfg.rules.pattern")}</span>
              <span>{t("cfg.rules.action")}</span>
              <span>{t("cfg.rules.scope")}</span>
              <span />
            </li>
            {rows.map((r, i) => (
              <li key={r.key} data-testid={`rule-row-${i}`}>
                <div className="grid gap-2 sm:grid-cols-[1fr_9rem_9rem_2.5rem]">
                  <label className="sr-only" htmlFor={`rule-pattern-${r.key}`}>
                    {t("cfg.rules.patternOf", { n: i + 1 })}
                  </label>
                  <input
                    id={`rule-pattern-${r.key}`}
                    ref={i === rows.length - 1 ? lastFocus : undefined}
                    className={`${inputClass} font-mono ${errIndex === i ? "border-red-400 dark:border-red-700" : ""}`}
                    value={r.pattern}
                    placeholder="git push origin feature/*"
                    aria-invalid={errIndex === i || undefined}
                    onChange={(e) => update(r.key, { pattern: e.target.value })}
                    autoComplete="off"
                    spellCheck={false}
                  />
                  <label className="sr-only" htmlFor={`rule-action-${r.key}`}>
                    {t("cfg.rules.actionOf", { n: i + 1 })}
                  </label>
                  <select
                    id={`rule-action-${r.key}`}
                    className={inputClass}
                    value={r.action}
                    onChange={(e) => update(r.key, { action: e.target.value as RuleAction })}
                  >
                    <option value="allow">{t("cfg.rules.action.allow")}</option>
                    <option value="ask">{t("cfg.rules.action.ask")}</option>
                    <option value="high">{t("cfg.rules.action.high")}</option>
                  </select>
                  <label className="sr-only" htmlFor={`rule-scope-${r.key}`}>
                    {t("cfg.rules.scopeOf", { n: i + 1 })}
                  </label>
                  <select
                    id={`rule-scope-${r.key}`}
                    className={inputClass}
                    value={r.scope}
                    onChange={(e) => update(r.key, { scope: e.target.value as RuleScope })}
                  >
                    <option value="user">{t("cfg.rules.scope.user")}</option>
                    <option value="workspace">{t("cfg.rules.scope.workspace")}</option>
                  </select>
                  <button
                    type="button"
                    className={btn("ghost")}
                    aria-label={t("cfg.rules.removeOf", { n: i + 1 })}
                    title={t("cfg.rules.removeOf", { n: i + 1 })}
                    onClick={() => {
                      action.clear();
                      setRows(rows.filter((x) => x.key !== r.key));
                    }}
                  >
                    ×
                  </button>
                </div>
                {errIndex === i && action.error && <InlineError message={ruleReason(action.error)} />}
              </li>
            ))}
          </ol>
        )}
        {action.error && errIndex === null && <InlineError message={action.error} />}
        <dl className="mt-4 grid gap-x-6 gap-y-1 text-xs text-zinc-500 sm:grid-cols-[auto_1fr] dark:text-zinc-400">
          <dt className="font-medium text-zinc-700 dark:text-zinc-300">{t("cfg.rules.action.allow")}</dt>
          <dd>{t("cfg.rules.help.allow")}</dd>
          <dt className="font-medium text-zinc-700 dark:text-zinc-300">{t("cfg.rules.action.ask")}</dt>
          <dd>{t("cfg.rules.help.ask")}</dd>
          <dt className="font-medium text-zinc-700 dark:text-zinc-300">{t("cfg.rules.action.high")}</dt>
          <dd>{t("cfg.rules.help.high")}</dd>
          <dt className="font-medium text-zinc-700 dark:text-zinc-300">{t("cfg.rules.scope")}</dt>
          <dd>{t("cfg.rules.help.scope")}</dd>
        </dl>
        <SaveBar
          className="mt-4"
          dirty={dirty}
          busy={action.busy}
          done={action.done}
          saveLabel={t("cfg.rules.save")}
          onDiscard={() => {
            action.clear();
            setRows(rowsOf(rules));
          }}
        />
      </form>
    </Card>
  );
}
