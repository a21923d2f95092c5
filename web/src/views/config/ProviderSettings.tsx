// The default provider and network access: each change is saved at once.

import { useT } from "../../i18n";
import type { NetworkAccess, UserConfig } from "../../protocol.gen";
import { setConfig } from "./providers";
import { useAction } from "./useLoad";
import { Card, Field, InlineError, inputClass, SavedNote } from "./ui";

/** Which provider agents use when they name none. */
export function DefaultProvider({ config }: { config: UserConfig }) {
  const t = useT();
  const action = useAction();
  const value = config.default_provider ?? "";
  const names = config.providers.map((p) => p.name);
  if (value && !names.includes(value)) names.push(value);
  return (
    <Card title={t("cfg.default.title")} description={t("cfg.default.desc")}>
      <div className="flex flex-wrap items-end gap-3">
        <Field label={t("cfg.default.label")} className="w-full max-w-xs">
          {(id) => (
            <select
              id={id}
              className={inputClass}
              value={value}
              disabled={action.busy}
              onChange={(e) => void action.run(() => setConfig({ default_provider: e.target.value }))}
            >
              <option value="">{t("cfg.default.server")}</option>
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="pb-1.5">{action.done && <SavedNote text={t("cfg.saved")} />}</div>
      </div>
      {action.error && <InlineError message={action.error} />}
    </Card>
  );
}

/** Whether the user's commands, terminals and stdio MCP servers may use the network. */
export function NetworkAccessCard({ config }: { config: UserConfig }) {
  const t = useT();
  const action = useAction();
  const value: NetworkAccess = config.network ?? "allow";
  const choose = (v: NetworkAccess) => {
    if (v !== value) void action.run(() => setConfig({ network: v }));
  };
  const option = (v: NetworkAccess, label: string, help: string) => (
    <label
      className={`flex cursor-pointer gap-3 rounded-md border p-3 text-sm ${
        value === v
          ? "border-indigo-400 bg-indigo-50/60 dark:border-indigo-700 dark:bg-indigo-950/40"
          : "border-zinc-200 hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800/50"
      }`}
    >
      <input
        type="radio"
        name="network-access"
        className="mt-0.5 accent-indigo-600"
        checked={value === v}
        disabled={action.busy}
        onChange={() => choose(v)}
      />
      <span>
        <span className="block font-medium">{label}</span>
        <span className="block text-xs text-zinc-600 dark:text-zinc-400">{help}</span>
      </span>
    </label>
  );
  return (
    <Card title={t("cfg.net.title")} description={t("cfg.net.desc")}>
      <fieldset>
        <legend className="sr-only">{t("cfg.net.title")}</legend>
        <div className="grid gap-3 sm:grid-cols-2">
          {option("allow", t("cfg.net.allow"), t("cfg.net.allowHelp"))}
          {option("deny", t("cfg.net.deny"), t("cfg.net.denyHelp"))}
        </div>
      </fieldset>
      <div className="mt-3 flex items-center gap-3 text-xs text-zinc-500 dark:text-zinc-400">
        <span>{t("cfg.net.note")}</span>
        {action.done && <SavedNote text={t("cfg.saved")} />}
      </div>
      {action.error && <InlineError message={action.error} />}
    </Card>
  );
}
