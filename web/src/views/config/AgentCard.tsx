// One agent of the team: name, description, tags, scenes and model, saved together;
// enabling or disabling takes effect at once.

import { useEffect, useState } from "react";
import { useT } from "../../i18n";
import { api } from "../../lib/sync";
import { useStore } from "../../lib/store";
import type { Agent, AgentUpdateParams, ProviderEntry } from "../../protocol.gen";
import { TagEditor } from "./TagEditor";
import { useAction } from "./useLoad";
import { Badge, Field, InlineError, inputClass, SaveBar, Switch } from "./ui";

interface Draft {
  name: string;
  description: string;
  capabilities: string[];
  scenes: string[];
  provider: string;
  model: string;
}

const SCENES = ["coding", "testing", "review", "docs"];

function draftOf(a: Agent): Draft {
  return {
    name: a.name,
    description: a.description,
    capabilities: a.capabilities,
    scenes: a.scenes,
    provider: a.model.provider ?? "",
    model: a.model.model ?? "",
  };
}

const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** agent.update parameters with only what the draft changed (null when nothing did). */
export function agentChanges(a: Agent, d: Draft): AgentUpdateParams | null {
  const p: AgentUpdateParams = { id: a.id };
  const base = draftOf(a);
  if (d.name.trim() !== base.name) p.name = d.name.trim();
  if (d.description !== base.description) p.description = d.description;
  if (!same(d.capabilities, base.capabilities)) p.capabilities = d.capabilities;
  if (!same(d.scenes, base.scenes)) p.scenes = d.scenes;
  if (d.provider !== base.provider || d.model.trim() !== base.model) {
    p.model = {};
    if (d.provider) p.model.provider = d.provider;
    if (d.model.trim()) p.model.model = d.model.trim();
  }
  return Object.keys(p).length > 1 ? p : null;
}

/** Saves the agent and puts the result in the store (agent_updated says the same). */
async function update(p: AgentUpdateParams): Promise<void> {
  const a = await api().call("agent.update", p);
  useStore.setState((s) => ({ agents: { ...s.agents, [a.id]: a } }));
}

/** An agent's settings card. */
export function AgentCard({ agent, providers }: { agent: Agent; providers: ProviderEntry[] }) {
  const t = useT();
  const [draft, setDraft] = useState<Draft>(() => draftOf(agent));
  const save = useAction();
  const toggle = useAction();
  const changes = agentChanges(agent, draft);
  const dirty = changes !== null;

  // Changes from elsewhere (another tab, an event) show when nothing is being edited.
  const [seen, setSeen] = useState(agent);
  useEffect(() => {
    if (agent !== seen) {
      if (!agentChanges(seen, draft)) setDraft(draftOf(agent));
      setSeen(agent);
    }
  }, [agent, seen, draft]);

  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    save.clear();
    setDraft({ ...draft, [k]: v });
  };
  const isManager = agent.role === "manager";
  const chosen = providers.find((p) => p.name === draft.provider);
  const names = providers.map((p) => p.name);
  if (draft.provider && !names.includes(draft.provider)) names.push(draft.provider);

  return (
    <article
      aria-label={agent.name}
      className="rounded-lg border border-zinc-200 bg-white shadow-xs dark:border-zinc-800 dark:bg-zinc-900/60"
    >
      <header className="flex flex-wrap items-center gap-3 border-b border-zinc-200 px-5 py-3 dark:border-zinc-800">
        <h3 className="text-base font-semibold">{agent.name}</h3>
        <Badge color={isManager ? "indigo" : "gray"}>{t(isManager ? "cfg.team.manager" : "cfg.team.worker")}</Badge>
        {!agent.enabled && <Badge color="amber">{t("cfg.team.disabled")}</Badge>}
        <span className="text-xs text-zinc-500 dark:text-zinc-400">
          {t("cfg.team.record", { ok: agent.successes, failed: agent.failures })}
        </span>
        <span className="ml-auto flex items-center gap-3">
          {isManager && <span className="text-xs text-zinc-500 dark:text-zinc-400">{t("cfg.team.managerAlways")}</span>}
          <Switch
            label={t("cfg.team.enabled")}
            checked={agent.enabled}
            disabled={isManager || toggle.busy}
            onChange={(v) => void toggle.run(() => update({ id: agent.id, enabled: v }))}
          />
        </span>
      </header>
      <form
        className="space-y-4 px-5 py-4"
        aria-label={t("cfg.team.formLabel", { name: agent.name })}
        onSubmit={(e) => {
          e.preventDefault();
          if (changes) void save.run(() => update(changes));
        }}
      >
        {toggle.error && <InlineError message={toggle.error} />}
        <div className="grid gap-4 md:grid-cols-[minmax(0,1fr)_11rem_13rem]">
          <Field label={t("cfg.team.name")}>
            {(id) => (
              <input
                id={id}
                className={inputClass}
                value={draft.name}
                onChange={(e) => set("name", e.target.value)}
                autoComplete="off"
                spellCheck={false}
              />
            )}
          </Field>
          <Field label={t("cfg.team.provider")}>
            {(id) => (
              <select id={id} className={inputClass} value={draft.provider} onChange={(e) => set("provider", e.target.value)}>
                <option value="">{t("cfg.team.providerDefault")}</option>
                {names.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t("cfg.team.model")}>
            {(id) => (
              <input
                id={id}
                className={`${inputClass} font-mono`}
                value={draft.model}
                onChange={(e) => set("model", e.target.value)}
                placeholder={chosen ? chosen.model : t("cfg.team.modelDefault")}
                autoComplete="off"
                spellCheck={false}
              />
            )}
          </Field>
        </div>
        <Field label={t("cfg.team.description")}>
          {(id) => (
            <textarea
              id={id}
              rows={2}
              className={inputClass}
              value={draft.description}
              onChange={(e) => set("description", e.target.value)}
            />
          )}
        </Field>
        <div className="grid gap-4 md:grid-cols-2">
          <TagEditor label={t("cfg.team.tags")} tags={draft.capabilities} onChange={(v) => set("capabilities", v)} />
          <TagEditor label={t("cfg.team.scenes")} tags={draft.scenes} onChange={(v) => set("scenes", v)} suggestions={SCENES} />
        </div>
        {save.error && <InlineError message={save.error} />}
        <SaveBar
          dirty={dirty}
          busy={save.busy}
          done={save.done}
          saveLabel={t("common.save")}
          onDiscard={() => {
            save.clear();
            setDraft(draftOf(agent));
          }}
        />
      </form>
    </article>
  );
}
