// Risk policy: check a command, edit your rules, read the built-in ones.

import { useState } from "react";
import { useT, type Key } from "../../i18n";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import type { Rule, RuleAction } from "../../protocol.gen";
import { PolicyCheck } from "./PolicyCheck";
import { RulesEditor } from "./RulesEditor";
import { useLoad } from "./useLoad";
import { Card, InlineError } from "./ui";

const GROUPS: { action: RuleAction; title: Key }[] = [
  { action: "allow", title: "cfg.builtin.allow" },
  { action: "ask", title: "cfg.builtin.ask" },
  { action: "high", title: "cfg.builtin.high" },
];

/** The built-in rules, read-only, grouped by what they do. */
export function BuiltinRules({ rules }: { rules: Rule[] }) {
  const t = useT();
  return (
    <Card title={t("cfg.builtin.title")} description={t("cfg.builtin.desc")}>
      <div className="space-y-4">
        {GROUPS.map((g) => {
          const list = rules.filter((r) => r.action === g.action);
          if (list.length === 0) return null;
          return (
            <section key={g.action} aria-label={t(g.title)}>
              <h3 className="mb-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
                {t(g.title)} <span className="font-normal">({list.length})</span>
              </h3>
              <ul className="flex flex-wrap gap-1.5">
                {list.map((r) => (
                  <li
                    key={r.pattern}
                    className="rounded-md border border-zinc-200 bg-zinc-50 px-2 py-0.5 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-800/60"
                  >
                    {r.pattern}
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
        <p className="text-xs text-zinc-500 dark:text-zinc-400">{t("cfg.builtin.note")}</p>
      </div>
    </Card>
  );
}

/** The Risk policy section. */
export function Policy() {
  const t = useT();
  const rules = useStore((s) => s.rules);
  const [builtin, setBuiltin] = useState<Rule[]>([]);
  const load = useLoad(async () => {
    const p = await api().call("policy.get");
    setBuiltin(p.builtin);
    useStore.setState({ rules: p.rules });
  });
  const save = async (list: Rule[]) => {
    const p = await api().call("policy.set", { rules: list });
    setBuiltin(p.builtin);
    useStore.setState({ rules: p.rules });
  };
  return (
    <div className="space-y-6">
      <PolicyCheck />
      {load.error && <InlineError message={load.error} />}
      {rules ? <RulesEditor rules={rules} onSave={save} /> : !load.error && <p className="text-sm text-zinc-500">{t("common.loading")}</p>}
      {builtin.length > 0 && <BuiltinRules rules={builtin} />}
    </div>
  );
}
