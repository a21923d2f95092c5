// Admin → Limits: the server's defaults and caps, and one user's overrides, effective
// limits and spending. Saved with `admin.limits.set`; the server's refusal is shown
// next to the form it is about.

import { useCallback, useEffect, useId, useMemo, useState, type FormEvent } from "react";
import type { AdminLimitsGetResult, AdminUser, AdminUserLimits, Limits } from "../../protocol.gen";
import { useLang, useT } from "../../i18n";
import { capsDraftOf, capsOf, draftOf, limitsOf, type CapsDraft, type LimitsDraft } from "../../lib/limits";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import { Card, InlineError, inputClass, SaveBar } from "../config/ui";
import { CapsFields, LimitsFields, LimitsSummary, spendText } from "./LimitsFields";
import { errorText } from "./ui";

type Server = Omit<AdminLimitsGetResult, "user">;

/** The Limits tab. `onError` gets failures to load (e.g. no longer an admin). */
export function LimitsPanel({ users, onError }: { users: AdminUser[] | null; onError: (e: unknown) => void }) {
  const t = useT();
  const connection = useStore((s) => s.connection);
  const [server, setServer] = useState<Server | null>(null);
  const [userName, setUserName] = useState("");
  const [user, setUser] = useState<AdminUserLimits | null>(null);

  const loadUser = useCallback(
    async (name: string) => {
      if (!name) {
        setUser(null);
        return;
      }
      try {
        const r = await api().call("admin.limits.get", { user: name });
        setServer(r);
        setUser(r.user ?? null);
      } catch (e) {
        onError(e);
      }
    },
    [onError],
  );

  useEffect(() => {
    if (connection !== "open") return;
    api()
      .call("admin.limits.get", {})
      .then(setServer)
      .catch(onError);
  }, [connection, onError]);

  return (
    <div className="space-y-5">
      <header>
        <h1 className="text-lg font-semibold">{t("limits.title")}</h1>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">{t("limits.intro")}</p>
      </header>
      {server === null ? (
        <p className="text-sm text-zinc-500">{connection === "open" ? t("common.loading") : t("admin.notConnected")}</p>
      ) : (
        <DefaultsForm
          server={server}
          onSaved={(r) => {
            setServer(r);
            // The selected user's effective limits follow the new defaults.
            if (userName) void loadUser(userName);
          }}
        />
      )}
      <UserLimits
        users={users}
        name={userName}
        onPick={(n) => {
          setUserName(n);
          setUser(null);
          void loadUser(n);
        }}
        user={user}
        defaults={server?.defaults}
        onSaved={(r) => {
          setServer(r);
          setUser(r.user ?? null);
        }}
      />
    </div>
  );
}

/** Saves through `admin.limits.set`, tracking busy / error / done. */
function useSave() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const run = async (call: () => Promise<AdminLimitsGetResult>, then: (r: AdminLimitsGetResult) => void) => {
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      then(await call());
      setDone(true);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, done, run, clear: () => (setError(null), setDone(false)) };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function DefaultsForm({ server, onSaved }: { server: Server; onSaved: (r: AdminLimitsGetResult) => void }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  // Keyed by value: a re-read that changes nothing keeps what is being edited.
  const key = JSON.stringify([server.defaults, server.caps]);
  const initial = useMemo(() => ({ limits: draftOf(server.defaults), caps: capsDraftOf(server.caps) }), [key]);
  const [draft, setDraft] = useState<LimitsDraft>(initial.limits);
  const [caps, setCaps] = useState<CapsDraft>(initial.caps);
  const [shown, setShown] = useState(false);
  const save = useSave();
  // New values from the server replace the form's, during render: an effect would run
  // after the first paint and could undo an edit made before it ran.
  const [seen, setSeen] = useState(initial);
  if (seen !== initial) {
    setSeen(initial);
    setDraft(initial.limits);
    setCaps(initial.caps);
  }
  const parsed = limitsOf(draft);
  const parsedCaps = capsOf(caps);
  const dirty = !same(draft, initial.limits) || !same(caps, initial.caps);
  const invalid = Object.keys(parsed.errors).length > 0 || Object.keys(parsedCaps.errors).length > 0;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setShown(true);
    if (invalid) return;
    void save.run(() => api().call("admin.limits.set", { limits: parsed.limits, caps: parsedCaps.caps }), onSaved);
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-5">
      <Card
        title={t("limits.defaults.title")}
        description={t("limits.defaults.desc")}
        actions={
          <span data-testid="server-spending" className="text-xs text-zinc-600 dark:text-zinc-400">
            {t("limits.spend.serverToday")}: <strong>{spendText(t, lang, server.server_today)}</strong> ·{" "}
            {t("limits.spend.month")}: <strong>{spendText(t, lang, server.server_month)}</strong>
          </span>
        }
      >
        <LimitsFields draft={draft} onChange={setDraft} errors={shown ? parsed.errors : {}} />
      </Card>
      <Card title={t("limits.caps.title")} description={t("limits.caps.desc")}>
        <CapsFields draft={caps} onChange={setCaps} errors={shown ? parsedCaps.errors : {}} />
      </Card>
      {save.error && <InlineError message={save.error} />}
      <SaveBar
        dirty={dirty}
        busy={save.busy}
        done={save.done}
        saveLabel={t("limits.defaults.save")}
        onDiscard={() => {
          setDraft(initial.limits);
          setCaps(initial.caps);
          setShown(false);
          save.clear();
        }}
      />
    </form>
  );
}

function UserLimits({
  users,
  name,
  onPick,
  user,
  defaults,
  onSaved,
}: {
  users: AdminUser[] | null;
  name: string;
  onPick: (name: string) => void;
  user: AdminUserLimits | null;
  defaults: Limits | undefined;
  onSaved: (r: AdminLimitsGetResult) => void;
}) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const id = useId();
  return (
    <Card title={t("limits.user.title")} description={t("limits.user.desc")}>
      <div className="mb-4 max-w-xs">
        <label htmlFor={`${id}-user`} className="mb-1 block text-sm font-medium">
          {t("limits.user.pick")}
        </label>
        <select id={`${id}-user`} className={inputClass} value={name} onChange={(e) => onPick(e.target.value)}>
          <option value="">{t("limits.user.none")}</option>
          {(users ?? []).map((u) => (
            <option key={u.id} value={u.name}>
              {u.name}
            </option>
          ))}
        </select>
      </div>
      {name && !user && <p className="text-sm text-zinc-500">{t("common.loading")}</p>}
      {user && defaults && (
        <div className="space-y-5">
          <p data-testid="user-spending" className="text-sm text-zinc-700 dark:text-zinc-300">
            {t("limits.user.spending", { name: user.name })} — {t("limits.spend.today")}: <strong>{spendText(t, lang, user.today)}</strong>{" "}
            · {t("limits.spend.month")}: <strong>{spendText(t, lang, user.month)}</strong>
          </p>
          <OverridesForm key={user.name} user={user} defaults={defaults} onSaved={onSaved} />
          <section aria-labelledby={`${id}-eff`}>
            <h3 id={`${id}-eff`} className="mb-2 text-sm font-semibold">
              {t("limits.user.effective", { name: user.name })}
            </h3>
            <div data-testid="effective-limits">
              <LimitsSummary limits={user.effective} />
            </div>
          </section>
        </div>
      )}
    </Card>
  );
}

function OverridesForm({
  user,
  defaults,
  onSaved,
}: {
  user: AdminUserLimits;
  defaults: Limits;
  onSaved: (r: AdminLimitsGetResult) => void;
}) {
  const t = useT();
  const id = useId();
  const key = JSON.stringify(user.overrides);
  const initial = useMemo(() => draftOf(user.overrides), [key]);
  const [draft, setDraft] = useState<LimitsDraft>(initial);
  const [shown, setShown] = useState(false);
  const save = useSave();
  // As in the defaults' form: replaced during render, never after an edit.
  const [seen, setSeen] = useState(initial);
  if (seen !== initial) {
    setSeen(initial);
    setDraft(initial);
  }
  const parsed = limitsOf(draft);
  const dirty = !same(draft, initial);
  const invalid = Object.keys(parsed.errors).length > 0;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setShown(true);
    if (invalid) return;
    void save.run(() => api().call("admin.limits.set", { user: user.name, limits: parsed.limits }), onSaved);
  };

  return (
    <form onSubmit={submit} noValidate aria-labelledby={`${id}-title`} className="space-y-4">
      <h3 id={`${id}-title`} className="text-sm font-semibold">
        {t("limits.user.overrides", { name: user.name })}
      </h3>
      <LimitsFields draft={draft} onChange={setDraft} errors={shown ? parsed.errors : {}} defaults={defaults} />
      {save.error && <InlineError message={save.error} />}
      <SaveBar
        dirty={dirty}
        busy={save.busy}
        done={save.done}
        saveLabel={t("limits.user.save")}
        onDiscard={() => {
          setDraft(initial);
          setShown(false);
          save.clear();
        }}
      />
    </form>
  );
}
