// Secrets: write-only values MCP servers can map by name. Values are never shown or read back.

import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useLang, useT } from "../../i18n";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import type { SecretInfo } from "../../protocol.gen";
import { Confirm } from "./Confirm";
import { useAction, useLoad } from "./useLoad";
import { btn, Card, Empty, Field, InlineError, inputClass, SavedNote } from "./ui";

/** The Secrets section. */
export function Secrets() {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const names = useStore((s) => s.secrets);
  const servers = useStore((s) => s.mcp);
  const [infos, setInfos] = useState<Record<string, SecretInfo>>({});
  const [loaded, setLoaded] = useState(false);
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [savedName, setSavedName] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const save = useAction();
  const del = useAction();
  const ownChange = useRef(false);

  const read = async () => {
    const list = (await api().call("secret.list")).secrets;
    setInfos(Object.fromEntries(list.map((s) => [s.name, s])));
    ownChange.current = true;
    useStore.setState({ secrets: Object.fromEntries(list.map((s) => [s.name, true as const])) });
    setLoaded(true);
  };
  const load = useLoad(async () => {
    // The MCP definitions say which servers use each secret (a help, not essential).
    const mcp = api()
      .call("mcp.list")
      .then((r) => useStore.setState({ mcp: Object.fromEntries(r.servers.map((x) => [x.spec.name, x.spec])) }))
      .catch(() => {});
    await Promise.all([read(), mcp]);
  });

  // secret_updated / secret_removed carry names only: re-read the times when they arrive.
  useEffect(() => {
    if (!loaded) return;
    if (ownChange.current) {
      ownChange.current = false;
      return;
    }
    read().catch(() => {});
  }, [names]);

  const fmt = useMemo(
    () => new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en", { dateStyle: "medium", timeStyle: "short" }),
    [lang],
  );
  const list = useMemo(() => Object.values(infos).sort((a, b) => a.name.localeCompare(b.name)), [infos]);
  const replacing = name.trim() !== "" && infos[name.trim()] !== undefined;
  const usedBy = (secret: string) =>
    Object.values(servers)
      .filter((m) => {
        const vars = m.transport.type === "stdio" ? m.transport.env : m.transport.headers;
        return (vars ?? []).some((v) => v.secret === secret);
      })
      .map((m) => m.name)
      .sort();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    void save
      .run(async () => {
        const info = await api().call("secret.set", { name: n, value });
        setInfos((cur) => ({ ...cur, [info.name]: info }));
      })
      .then((ok) => {
        if (ok) {
          setSavedName(n);
          setName("");
          setValue("");
        }
      });
  };

  const doDelete = () => {
    const n = deleting;
    if (!n) return;
    void del
      .run(async () => {
        await api().call("secret.delete", { name: n });
        setInfos((cur) => {
          const next = { ...cur };
          delete next[n];
          return next;
        });
      })
      .then((ok) => ok && setDeleting(null));
  };

  return (
    <div className="space-y-6">
      <Card title={t("cfg.sec.title")} description={t("cfg.sec.desc")}>
        <form onSubmit={submit} aria-label={t("cfg.sec.formLabel")} className="grid gap-3 sm:grid-cols-[minmax(0,16rem)_minmax(0,1fr)_auto] sm:items-start">
          <Field label={t("cfg.sec.name")} hint={t("cfg.sec.nameHint")}>
            {(id, hint) => (
              <input
                id={id}
                aria-describedby={hint}
                className={`${inputClass} font-mono`}
                value={name}
                required
                placeholder="GITHUB_TOKEN"
                onChange={(e) => {
                  save.clear();
                  setName(e.target.value);
                }}
                autoComplete="off"
                spellCheck={false}
              />
            )}
          </Field>
          <Field label={t("cfg.sec.value")} hint={replacing ? t("cfg.sec.replaces", { name: name.trim() }) : t("cfg.sec.valueHint")}>
            {(id, hint) => (
              <input
                id={id}
                aria-describedby={hint}
                className={`${inputClass} font-mono`}
                type="password"
                autoComplete="new-password"
                value={value}
                required
                onChange={(e) => {
                  save.clear();
                  setValue(e.target.value);
                }}
                spellCheck={false}
              />
            )}
          </Field>
          <button type="submit" className={`${btn("primary")} sm:mt-6`} disabled={save.busy}>
            {save.busy ? t("cfg.saving") : replacing ? t("cfg.sec.replace") : t("cfg.sec.save")}
          </button>
        </form>
        {save.error && <InlineError message={save.error} />}
        {save.done && savedName && (
          <p className="mt-2">
            <SavedNote text={t("cfg.sec.saved", { name: savedName })} />
          </p>
        )}
      </Card>

      <Card title={t("cfg.sec.listTitle")}>
        {load.error && <InlineError message={load.error} />}
        {!loaded && !load.error && <p className="text-sm text-zinc-500">{t("common.loading")}</p>}
        {loaded && list.length === 0 && <Empty text={t("cfg.sec.empty")} />}
        {list.length > 0 && (
          <table className="w-full text-sm">
            <caption className="sr-only">{t("cfg.sec.listTitle")}</caption>
            <thead>
              <tr className="border-b border-zinc-200 text-left text-xs text-zinc-500 uppercase dark:border-zinc-800">
                <th scope="col" className="py-1.5 pr-3 font-medium">
                  {t("cfg.sec.name")}
                </th>
                <th scope="col" className="py-1.5 pr-3 font-medium">
                  {t("cfg.sec.created")}
                </th>
                <th scope="col" className="py-1.5 pr-3 font-medium">
                  {t("cfg.sec.updated")}
                </th>
                <th scope="col" className="py-1.5 pr-3 font-medium">
                  {t("cfg.sec.usedBy")}
                </th>
                <th scope="col" className="py-1.5 text-right font-medium">
                  <span className="sr-only">{t("cfg.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={s.name} className="border-b border-zinc-100 last:border-0 dark:border-zinc-800/60">
                  <td className="py-2 pr-3 font-mono font-medium">{s.name}</td>
                  <td className="py-2 pr-3 text-zinc-600 dark:text-zinc-400">{fmt.format(s.created_at)}</td>
                  <td className="py-2 pr-3 text-zinc-600 dark:text-zinc-400">{fmt.format(s.updated_at)}</td>
                  <td className="py-2 pr-3 font-mono text-xs text-zinc-600 dark:text-zinc-400">
                    {usedBy(s.name).join(", ") || <span className="font-sans text-zinc-400">{t("cfg.sec.unused")}</span>}
                  </td>
                  <td className="py-2 text-right">
                    <button
                      type="button"
                      className={btn("danger", true)}
                      aria-label={t("cfg.sec.deleteTitle", { name: s.name })}
                      onClick={() => setDeleting(s.name)}
                    >
                      {t("common.delete")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {deleting && (
        <Confirm
          title={t("cfg.sec.deleteTitle", { name: deleting })}
          body={
            usedBy(deleting).length
              ? t("cfg.sec.deleteBodyUsed", { servers: usedBy(deleting).join(", ") })
              : t("cfg.sec.deleteBodyUnused")
          }
          confirmLabel={t("common.delete")}
          busy={del.busy}
          error={del.error}
          onConfirm={doDelete}
          onCancel={() => {
            del.clear();
            setDeleting(null);
          }}
        />
      )}
    </div>
  );
}
