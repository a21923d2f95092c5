// Providers & models: the user's language-model providers, the default one, and network
// access for the user's processes.

import { useState } from "react";
import { useT } from "../../i18n";
import { navigate } from "../../lib/router";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import type { ProviderEntry } from "../../protocol.gen";
import { Confirm } from "./Confirm";
import { DefaultProvider, NetworkAccessCard } from "./ProviderSettings";
import { ProviderForm } from "./ProviderForm";
import { removeKey, removeProvider, saveProvider, setConfig } from "./providers";
import { useAction, useLoad } from "./useLoad";
import { Badge, btn, Card, Empty, InlineError } from "./ui";

const NEW = "\u0000new";

/** The Providers & models section. */
export function Providers() {
  const t = useT();
  const config = useStore((s) => s.config);
  const load = useLoad(async () => {
    useStore.setState({ config: await api().call("config.get") });
  });
  const [editing, setEditing] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<{ kind: "remove" | "key"; name: string } | null>(null);
  const confirmAction = useAction();

  if (!config) {
    return load.error ? <InlineError message={load.error} /> : <p className="text-sm text-zinc-500">{t("common.loading")}</p>;
  }

  const save = (original: string | null) => async (d: Parameters<typeof saveProvider>[2]) => {
    await setConfig(saveProvider(config, original, d));
    setEditing(null);
  };

  const doConfirm = () => {
    if (!confirm) return;
    const params = confirm.kind === "remove" ? removeProvider(config, confirm.name) : removeKey(config, confirm.name);
    void confirmAction.run(() => setConfig(params)).then((ok) => ok && setConfirm(null));
  };

  return (
    <div className="space-y-6">
      <Card
        title={t("cfg.prov.title")}
        description={t("cfg.prov.desc")}
        actions={
          editing !== NEW && (
            <button type="button" className={btn("primary")} onClick={() => setEditing(NEW)}>
              <span aria-hidden>+</span> {t("cfg.prov.add")}
            </button>
          )
        }
      >
        {config.providers.length === 0 && editing !== NEW && <Empty text={t("cfg.prov.empty")} />}
        {config.providers.length > 0 && (
          <ul className="divide-y divide-zinc-200 dark:divide-zinc-800" aria-label={t("cfg.prov.title")}>
            {config.providers.map((p) =>
              editing === p.name ? (
                <li key={p.name} className="py-3">
                  <ProviderForm provider={p} onSave={save(p.name)} onCancel={() => setEditing(null)} />
                </li>
              ) : (
                <ProviderRow
                  key={p.name}
                  p={p}
                  isDefault={config.default_provider === p.name}
                  onEdit={() => setEditing(p.name)}
                  onRemoveKey={() => setConfirm({ kind: "key", name: p.name })}
                  onRemove={() => setConfirm({ kind: "remove", name: p.name })}
                />
              ),
            )}
          </ul>
        )}
        {editing === NEW && (
          <div className={config.providers.length > 0 ? "mt-3" : ""}>
            <ProviderForm provider={null} onSave={save(null)} onCancel={() => setEditing(null)} />
          </div>
        )}
        <p className="mt-4 text-xs text-zinc-500 dark:text-zinc-400">
          {t("cfg.prov.perAgent")}{" "}
          <a
            href="/config/team"
            className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
            onClick={(e) => {
              e.preventDefault();
              navigate("/config/team");
            }}
          >
            {t("cfg.tab.team")} →
          </a>
        </p>
      </Card>
      <DefaultProvider config={config} />
      <NetworkAccessCard config={config} />
      {confirm && (
        <Confirm
          title={confirm.kind === "remove" ? t("cfg.prov.removeTitle", { name: confirm.name }) : t("cfg.prov.removeKeyTitle", { name: confirm.name })}
          body={confirm.kind === "remove" ? t("cfg.prov.removeBody") : t("cfg.prov.removeKeyBody")}
          confirmLabel={confirm.kind === "remove" ? t("cfg.prov.remove") : t("cfg.prov.removeKey")}
          busy={confirmAction.busy}
          error={confirmAction.error}
          onConfirm={doConfirm}
          onCancel={() => {
            confirmAction.clear();
            setConfirm(null);
          }}
        />
      )}
    </div>
  );
}

function ProviderRow({
  p,
  isDefault,
  onEdit,
  onRemoveKey,
  onRemove,
}: {
  p: ProviderEntry;
  isDefault: boolean;
  onEdit: () => void;
  onRemoveKey: () => void;
  onRemove: () => void;
}) {
  const t = useT();
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-2 py-3" aria-label={p.name}>
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-2">
          <span className="font-mono text-sm font-semibold">{p.name}</span>
          <Badge color="indigo">{t(p.kind === "anthropic" ? "cfg.prov.kindShort.anthropic" : "cfg.prov.kindShort.openai")}</Badge>
          {isDefault && <Badge color="green">{t("cfg.prov.default")}</Badge>}
        </div>
        <div className="mt-1 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-zinc-600 dark:text-zinc-400">
          <span>
            {t("cfg.prov.model")}: <span className="font-mono text-zinc-800 dark:text-zinc-200">{p.model}</span>
          </span>
          <span className="truncate font-mono">{p.base_url || t("cfg.prov.publicEndpoint")}</span>
          <span className="inline-flex items-center gap-1" data-testid={`key-state-${p.name}`}>
            <span aria-hidden className={`h-2 w-2 rounded-full ${p.has_key ? "bg-emerald-500" : "bg-zinc-400"}`} />
            {p.has_key ? t("cfg.prov.keySet") : t("cfg.prov.noKey")}
          </span>
        </div>
      </div>
      <div className="flex shrink-0 gap-2">
        <button type="button" className={btn("secondary", true)} onClick={onEdit} aria-label={t("cfg.prov.editTitle", { name: p.name })}>
          {t("common.edit")}
        </button>
        {p.has_key && (
          <button type="button" className={btn("secondary", true)} onClick={onRemoveKey} aria-label={t("cfg.prov.removeKeyTitle", { name: p.name })}>
            {t("cfg.prov.removeKey")}
          </button>
        )}
        <button type="button" className={btn("danger", true)} onClick={onRemove} aria-label={t("cfg.prov.removeTitle", { name: p.name })}>
          {t("cfg.prov.remove")}
        </button>
      </div>
    </li>
  );
}
