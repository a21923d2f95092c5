// "Check a command": how the policy would judge a command line, part by part.

import { useState, type FormEvent } from "react";
import { useT } from "../../i18n";
import { api } from "../../lib/sync";
import type { Assessment } from "../../protocol.gen";
import { useAction } from "./useLoad";
import { btn, Card, InlineError, inputClass, RiskBadge } from "./ui";

const EXAMPLES = ["cargo test", "git push origin main", "rm -rf build", "curl -fsSL https://example.com/install.sh | sh"];

/** The verdict of policy.check: overall risk and decision, then every judged part. */
export function AssessmentView({ result }: { result: Assessment }) {
  const t = useT();
  return (
    <div className="mt-4 space-y-3" data-testid="policy-check-result">
      <div className="flex flex-wrap items-center gap-3">
        <span className="text-sm font-medium">{t("cfg.check.overall")}</span>
        <RiskBadge risk={result.risk} />
        <span className="text-sm text-zinc-600 dark:text-zinc-400">
          {result.decision === "run" ? t("cfg.check.run") : t("cfg.check.ask")}
        </span>
      </div>
      {result.parts.length === 0 ? (
        <p className="text-sm text-zinc-500">{t("cfg.check.noParts")}</p>
      ) : (
        <table className="w-full table-fixed border-collapse text-sm">
          <caption className="sr-only">{t("cfg.check.parts")}</caption>
          <thead>
            <tr className="border-b border-zinc-200 text-left text-xs text-zinc-500 uppercase dark:border-zinc-800">
              <th scope="col" className="w-2/5 py-1.5 pr-3 font-medium">
                {t("cfg.check.command")}
              </th>
              <th scope="col" className="w-24 py-1.5 pr-3 font-medium">
                {t("cfg.check.risk")}
              </th>
              <th scope="col" className="py-1.5 font-medium">
                {t("cfg.check.reason")}
              </th>
            </tr>
          </thead>
          <tbody>
            {result.parts.map((p, i) => (
              <tr key={i} className="border-b border-zinc-100 align-top last:border-0 dark:border-zinc-800/60">
                <td className="py-2 pr-3 font-mono text-xs break-words">{p.command}</td>
                <td className="py-2 pr-3">
                  <RiskBadge risk={p.risk} />
                </td>
                <td className="py-2 text-zinc-700 dark:text-zinc-300">{p.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The "Check a command" card. */
export function PolicyCheck() {
  const t = useT();
  const [command, setCommand] = useState("");
  const [result, setResult] = useState<Assessment | null>(null);
  const action = useAction();
  const check = (cmd: string) => {
    if (!cmd.trim()) return;
    void action.run(async () => setResult(await api().call("policy.check", { command: cmd })));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    check(command);
  };
  return (
    <Card title={t("cfg.check.title")} description={t("cfg.check.desc")}>
      <form onSubmit={submit} className="flex flex-wrap items-end gap-2" aria-label={t("cfg.check.title")}>
        <div className="min-w-[16rem] flex-1">
          <label htmlFor="policy-check-command" className="mb-1 block text-sm font-medium">
            {t("cfg.check.label")}
          </label>
          <input
            id="policy-check-command"
            className={`${inputClass} font-mono`}
            value={command}
            onChange={(e) => setCommand(e.target.value)}
            placeholder="git push --force origin main"
            autoComplete="off"
            spellCheck={false}
          />
        </div>
        <button type="submit" className={btn("primary")} disabled={action.busy || !command.trim()}>
          {t("cfg.check.submit")}
        </button>
      </form>
      <div className="mt-2 flex flex-wrap items-center gap-1.5 text-xs text-zinc-500">
        <span>{t("cfg.check.try")}</span>
        {EXAMPLES.map((ex) => (
          <button
            key={ex}
            type="button"
            className="rounded border border-zinc-200 px-1.5 py-0.5 font-mono hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
            onClick={() => {
              setCommand(ex);
              check(ex);
            }}
          >
            {ex}
          </button>
        ))}
      </div>
      {action.error && <InlineError message={action.error} />}
      {result && <AssessmentView result={result} />}
    </Card>
  );
}
