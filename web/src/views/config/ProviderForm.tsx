// Adds or edits one provider. The API key field is write-only: it starts empty, is never
// filled from the server, and is sent only when something was typed into it.

import { useState, type FormEvent } from "react";
import { useT } from "../../i18n";
import type { ProviderEntry } from "../../protocol.gen";
import { draftOf, type ProviderDraft } from "./providers";
import { useAction } from "./useLoad";
import { btn, Field, InlineError, inputClass } from "./ui";

const PLACEHOLDER: Record<string, { url: string; model: string }> = {
  openai: { url: "https://api.openai.com/v1", model: "gpt-4o" },
  anthropic: { url: "https://api.anthropic.com", model: "claude-sonnet-4-5" },
};

/** The provider form; `onSave` gets the draft and throws the server's error if refused. */
export function ProviderForm({
  provider,
  onSave,
  onCancel,
}: {
  provider: ProviderEntry | null;
  onSave: (d: ProviderDraft) => Promise<unknown>;
  onCancel: () => void;
}) {
  const t = useT();
  const [d, setD] = useState<ProviderDraft>(() => draftOf(provider));
  const action = useAction();
  const set = (k: keyof ProviderDraft) => (e: { target: { value: string } }) => setD({ ...d, [k]: e.target.value });
  const ph = PLACEHOLDER[d.kind] ?? PLACEHOLDER.openai;
  const renamedWithKey = provider !== null && provider.has_key && d.name.trim() !== provider.name;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(() => onSave(d));
  };

  return (
    <form
      onSubmit={submit}
      aria-label={provider ? t("cfg.prov.editTitle", { name: provider.name }) : t("cfg.prov.addTitle")}
      className="space-y-4 rounded-md border border-indigo-200 bg-indigo-50/40 p-4 dark:border-indigo-900 dark:bg-indigo-950/20"
    >
      <h3 className="text-sm font-semibold">{provider ? t("cfg.prov.editTitle", { name: provider.name }) : t("cfg.prov.addTitle")}</h3>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label={t("cfg.prov.name")} hint={t("cfg.prov.nameHint")}>
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              className={`${inputClass} font-mono`}
              value={d.name}
              onChange={set("name")}
              required
              autoFocus={!provider}
              autoComplete="off"
              spellCheck={false}
              placeholder="openai"
            />
          )}
        </Field>
        <Field label={t("cfg.prov.kind")}>
          {(id) => (
            <select id={id} className={inputClass} value={d.kind} onChange={set("kind")}>
              <option value="openai">{t("cfg.prov.kind.openai")}</option>
              <option value="anthropic">{t("cfg.prov.kind.anthropic")}</option>
            </select>
          )}
        </Field>
        <Field label={t("cfg.prov.baseUrl")} hint={t("cfg.prov.baseUrlHint")}>
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              className={`${inputClass} font-mono`}
              value={d.base_url}
              onChange={set("base_url")}
              placeholder={ph.url}
              inputMode="url"
              autoComplete="off"
              spellCheck={false}
            />
          )}
        </Field>
        <Field label={t("cfg.prov.model")} hint={t("cfg.prov.modelHint")}>
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              className={`${inputClass} font-mono`}
              value={d.model}
              onChange={set("model")}
              required
              placeholder={ph.model}
              autoComplete="off"
              spellCheck={false}
            />
          )}
        </Field>
        <Field
          className="sm:col-span-2"
          label={t("cfg.prov.apiKey")}
          hint={
            renamedWithKey ? (
              <span className="text-amber-700 dark:text-amber-400">{t("cfg.prov.apiKeyRenamed")}</span>
            )
              : provider?.has_key
                ? t("cfg.prov.apiKeyKeep")
                : t("cfg.prov.apiKeyHint")
          }
        >
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              className={`${inputClass} font-mono`}
              type="password"
              name={`provider-key-${provider?.name ?? "new"}`}
              autoComplete="new-password"
              spellCheck={false}
              value={d.api_key}
              onChange={set("api_key")}
              placeholder={provider?.has_key ? t("cfg.prov.apiKeyStored") : "sk-…"}
            />
          )}
        </Field>
      </div>
      {action.error && <InlineError message={action.error} />}
      <div className="flex gap-2">
        <button type="submit" className={btn("primary")} disabled={action.busy}>
          {action.busy ? t("cfg.saving") : provider ? t("common.save") : t("cfg.prov.add")}
        </button>
        <button type="button" className={btn("secondary")} onClick={onCancel}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}
