// MCP servers: the user's definitions (live from events), their states, add/edit/remove.

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useT } from "../../i18n";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import type { McpServerSpec, McpServerStatus } from "../../protocol.gen";
import { Confirm } from "./Confirm";
import { McpForm } from "./McpForm";
import { McpServerCard } from "./McpServerCard";
import { useAction, useLoad } from "./useLoad";
import { btn, Card, Empty, InlineError } from "./ui";

const NEW = "\u0000new";

const byName = (list: McpServerStatus[]) => Object.fromEntries(list.map((s) => [s.spec.name, s]));

/** The MCP servers section. */
export function Mcp() {
  const t = useT();
  const specs = useStore((s) => s.mcp);
  const secretMap = useStore((s) => s.secrets);
  const secrets = useMemo(() => Object.keys(secretMap).sort(), [secretMap]);
  const [status, setStatus] = useState<Record<string, McpServerStatus>>({});
  const [loaded, setLoaded] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const remove = useAction();
  const refresh = useAction();

  const ownChange = useRef(false);
  const load = useLoad(async () => {
    const [list, sec] = await Promise.all([api().call("mcp.list"), api().call("secret.list")]);
    ownChange.current = true;
    useStore.setState({
      mcp: Object.fromEntries(list.servers.map((s) => [s.spec.name, s.spec])),
      secrets: Object.fromEntries(sec.secrets.map((s) => [s.name, true as const])),
    });
    setStatus(byName(list.servers));
    setLoaded(true);
  });

  // States are not events: re-read them when a definition changes (here or elsewhere).
  const refreshRun = refresh.run;
  const reread = useCallback(() => {
    void refreshRun(async () => setStatus(byName((await api().call("mcp.list")).servers)));
  }, [refreshRun]);
  useEffect(() => {
    if (!loaded) return;
    if (ownChange.current) {
      ownChange.current = false;
      return;
    }
    reread();
  }, [specs, loaded, reread]);

  const list = useMemo(() => Object.values(specs).sort((a, b) => a.name.localeCompare(b.name)), [specs]);

  const save = async (spec: McpServerSpec) => {
    const saved = await api().call("mcp.add", { spec });
    useStore.setState((s) => ({ mcp: { ...s.mcp, [saved.name]: saved } }));
    setEditing(null);
  };

  const doRemove = () => {
    const name = removing;
    if (!name) return;
    void remove
      .run(async () => {
        await api().call("mcp.remove", { name });
        useStore.setState((s) => {
          const mcp = { ...s.mcp };
          delete mcp[name];
          return { mcp };
        });
      })
      .then((ok) => ok && setRemoving(null));
  };

  return (
    <div className="space-y-6">
      <Card
        title={t("cfg.mcp.title")}
        description={t("cfg.mcp.desc")}
        actions={
          <>
            <button type="button" className={btn("ghost")} onClick={reread} disabled={refresh.busy} title={t("cfg.mcp.refreshHint")}>
              <span aria-hidden>↻</span> {t("cfg.mcp.refresh")}
            </button>
            {editing !== NEW && (
              <button type="button" className={btn("primary")} onClick={() => setEditing(NEW)}>
                <span aria-hidden>+</span> {t("cfg.mcp.add")}
              </button>
            )}
          </>
        }
      >
        {load.error && <InlineError message={load.error} />}
        {refresh.error && <InlineError message={refresh.error} />}
        {editing === NEW && (
          <div className="mb-4">
            <McpForm spec={null} secrets={secrets} onSave={save} onCancel={() => setEditing(null)} />
          </div>
        )}
        {!loaded && !load.error && <p className="text-sm text-zinc-500">{t("common.loading")}</p>}
        {loaded && list.length === 0 && editing !== NEW && <Empty text={t("cfg.mcp.empty")} />}
        {list.length > 0 && (
          <ul className="-my-4 divide-y divide-zinc-200 dark:divide-zinc-800" aria-label={t("cfg.mcp.title")}>
            {list.map((spec) =>
              editing === spec.name ? (
                <li key={spec.name} className="py-4">
                  <McpForm spec={spec} secrets={secrets} onSave={save} onCancel={() => setEditing(null)} />
                </li>
              ) : (
                <McpServerCard
                  key={spec.name}
                  spec={spec}
                  status={status[spec.name]}
                  onEdit={() => setEditing(spec.name)}
                  onRemove={() => setRemoving(spec.name)}
                  onChanged={reread}
                />
              ),
            )}
          </ul>
        )}
      </Card>
      {removing && (
        <Confirm
          title={t("cfg.mcp.removeTitle", { name: removing })}
          body={t("cfg.mcp.removeBody")}
          confirmLabel={t("cfg.mcp.remove")}
          busy={remove.busy}
          error={remove.error}
          onConfirm={doRemove}
          onCancel={() => {
            remove.clear();
            setRemoving(null);
          }}
        />
      )}
    </div>
  );
}
