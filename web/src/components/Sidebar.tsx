import { useMemo, useState } from "react";
import { useT, type Key } from "../i18n";
import { logout } from "../lib/auth";
import { match, navigate, usePath } from "../lib/router";
import { useStore } from "../lib/store";
import { api, disconnect, report } from "../lib/sync";
import { Prefs } from "./Prefs";

const NAV: { path: string; key: Key; admin?: boolean }[] = [
  { path: "/agents", key: "nav.agents" },
  { path: "/tasks", key: "nav.tasks" },
  { path: "/files", key: "nav.files" },
  { path: "/context", key: "nav.context" },
  { path: "/terminal", key: "nav.terminal" },
  { path: "/config", key: "nav.config" },
  { path: "/admin", key: "nav.admin", admin: true },
];

/** Sessions (create, switch, rename, archive) and the main navigation. */
export function Sidebar() {
  const t = useT();
  const path = usePath();
  const sessions = useStore((s) => s.sessions);
  const me = useStore((s) => s.me);
  const mode = useStore((s) => s.mode);
  const [showArchived, setShowArchived] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [title, setTitle] = useState("");
  const current = match("/s/:id", path)?.id ?? (path === "/" ? "default" : null);

  const list = useMemo(
    () =>
      Object.values(sessions)
        .filter((s) => showArchived || !s.archived)
        .sort((a, b) => b.updated_at - a.updated_at),
    [sessions, showArchived],
  );

  const create = async () => {
    try {
      const s = await api().call("session.create", { title: t("sessions.new") });
      navigate(`/s/${encodeURIComponent(s.id)}`);
      setEditing(s.id);
      setTitle(s.title);
    } catch (e) {
      report(e);
    }
  };

  const rename = async (id: string) => {
    setEditing(null);
    const v = title.trim();
    if (!v || v === sessions[id]?.title) return;
    try {
      await api().call("session.rename", { id, title: v });
    } catch (e) {
      report(e);
    }
  };

  const archive = async (id: string, archived: boolean) => {
    try {
      await api().call("session.archive", { id, archived });
    } catch (e) {
      report(e);
    }
  };

  const item = (active: boolean) =>
    `flex w-full items-center rounded-md px-2 py-1.5 text-left text-sm ${
      active
        ? "bg-indigo-50 font-medium text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300"
        : "text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
    }`;

  return (
    <aside className="flex h-full w-60 shrink-0 flex-col border-r border-zinc-200 bg-zinc-50 dark:border-zinc-800 dark:bg-zinc-900">
      <div className="flex items-center justify-between px-4 py-3">
        <span className="font-semibold tracking-tight">{t("app.name")}</span>
        <Prefs compact />
      </div>
      <nav aria-label={t("nav.main")} className="flex min-h-0 flex-1 flex-col gap-4 overflow-y-auto px-2 pb-2">
        <section aria-labelledby="sessions-heading">
          <div className="flex items-center justify-between px-2 pb-1">
            <h2 id="sessions-heading" className="text-xs font-semibold uppercase tracking-wide text-zinc-500">
              {t("sessions.title")}
            </h2>
            <button
              type="button"
              onClick={create}
              aria-label={t("sessions.new")}
              title={t("sessions.new")}
              className="rounded px-1.5 text-lg leading-none text-zinc-500 hover:bg-zinc-200 dark:hover:bg-zinc-800"
            >
              +
            </button>
          </div>
          <ul className="space-y-0.5">
            {list.map((s) => (
              <li key={s.id} className="group relative">
                {editing === s.id ? (
                  <input
                    autoFocus
                    aria-label={t("sessions.rename")}
                    className="w-full rounded-md border border-indigo-400 bg-white px-2 py-1 text-sm dark:bg-zinc-950"
                    value={title}
                    onChange={(e) => setTitle(e.target.value)}
                    onBlur={() => rename(s.id)}
                    onKeyDown={(e) => {
                      if (e.key === "Enter") void rename(s.id);
                      if (e.key === "Escape") setEditing(null);
                    }}
                  />
                ) : (
                  <button
                    type="button"
                    className={item(current === s.id)}
                    aria-current={current === s.id ? "page" : undefined}
                    onClick={() => navigate(`/s/${encodeURIComponent(s.id)}`)}
                    onDoubleClick={() => {
                      setEditing(s.id);
                      setTitle(s.title);
                    }}
                  >
                    <span className="truncate">{s.title}</span>
                    {s.archived && <span className="ml-auto text-xs text-zinc-400">{t("sessions.archived")}</span>}
                  </button>
                )}
                {editing !== s.id && (
                  <span className="absolute top-1 right-1 hidden gap-1 group-focus-within:flex group-hover:flex">
                    <button
                      type="button"
                      className="rounded bg-zinc-200 px-1 text-xs dark:bg-zinc-700"
                      onClick={() => {
                        setEditing(s.id);
                        setTitle(s.title);
                      }}
                    >
                      {t("sessions.rename")}
                    </button>
                    {s.id !== "default" && (
                      <button
                        type="button"
                        className="rounded bg-zinc-200 px-1 text-xs dark:bg-zinc-700"
                        onClick={() => archive(s.id, !s.archived)}
                      >
                        {s.archived ? t("sessions.unarchive") : t("sessions.archive")}
                      </button>
                    )}
                  </span>
                )}
              </li>
            ))}
          </ul>
          <label className="mt-1 flex items-center gap-2 px-2 text-xs text-zinc-500">
            <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} />
            {t("sessions.showArchived")}
          </label>
        </section>
        <ul className="space-y-0.5">
          {NAV.filter((n) => !n.admin || (mode === "multi_user" && me?.is_admin)).map((n) => (
            <li key={n.path}>
              <button
                type="button"
                className={item(path === n.path || path.startsWith(`${n.path}/`))}
                aria-current={path === n.path || path.startsWith(`${n.path}/`) ? "page" : undefined}
                onClick={() => navigate(n.path)}
              >
                {t(n.key)}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <div className="flex items-center justify-between border-t border-zinc-200 px-4 py-2 text-xs dark:border-zinc-800">
        <span className="truncate text-zinc-500" data-testid="me">
          {me?.name}
        </span>
        {mode === "multi_user" && (
          <button
            type="button"
            className="text-zinc-600 underline-offset-2 hover:underline dark:text-zinc-400"
            onClick={async () => {
              await logout();
              disconnect();
              location.assign("/");
            }}
          >
            {t("signout")}
          </button>
        )}
      </div>
    </aside>
  );
}
