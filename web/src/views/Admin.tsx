// Admin: the users and tokens of a multi-user server, their limits and the audit log
// (admins only), one section per tab.

import { useCallback, useEffect, useState } from "react";
import type { AdminUser } from "../protocol.gen";
import { useT } from "../i18n";
import { useStore } from "../lib/store";
import { api } from "../lib/sync";
import { AddUserForm } from "./admin/AddUserForm";
import { ADMIN_SECTIONS, adminPanelId, adminTabId, AdminTabs, type AdminSection } from "./admin/AdminTabs";
import { AuditLog } from "./admin/AuditLog";
import { LimitsPanel } from "./admin/LimitsPanel";
import { Confirm } from "./admin/Confirm";
import { PasswordDialog } from "./admin/PasswordDialog";
import { UsersTable } from "./admin/UsersTable";
import { btn, errorBox, errorText, isForbidden, okBox } from "./admin/ui";

/** Why someone cannot use this page. */
function Notice({ title, body }: { title: string; body: string }) {
  return (
    <section className="p-6" aria-labelledby="admin-notice">
      <div className="max-w-xl rounded-lg border border-zinc-200 p-6 dark:border-zinc-800">
        <h1 id="admin-notice" className="mb-2 text-lg font-semibold">
          {title}
        </h1>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">{body}</p>
      </div>
    </section>
  );
}

/** The Admin page, or why it is not for the caller; `section` comes from the URL. */
export function Admin({ section = null }: { section?: string | null }) {
  const t = useT();
  const me = useStore((s) => s.me);
  const mode = useStore((s) => s.mode);
  const [forbidden, setForbidden] = useState(false);
  if (mode === "single_user") return <Notice title={t("admin.single.title")} body={t("admin.single.body")} />;
  if (!me?.is_admin || forbidden) return <Notice title={t("admin.forbidden.title")} body={t("admin.forbidden.body")} />;
  const current: AdminSection = (ADMIN_SECTIONS as readonly string[]).includes(section ?? "") ? (section as AdminSection) : "users";
  return <AdminPage me={me.name} section={current} onForbidden={() => setForbidden(true)} />;
}

type Pending = { kind: "disable"; user: AdminUser } | { kind: "password"; user: AdminUser } | null;

function AdminPage({ me, section, onForbidden }: { me: string; section: AdminSection; onForbidden: () => void }) {
  const t = useT();
  const connection = useStore((s) => s.connection);
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [tokensOf, setTokensOf] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending>(null);

  const fail = useCallback(
    (e: unknown) => {
      if (isForbidden(e)) onForbidden();
      else setError(errorText(e));
    },
    [onForbidden],
  );

  const load = useCallback(async () => {
    try {
      const r = await api().call("admin.user.list");
      setUsers(r.users);
    } catch (e) {
      fail(e);
    }
  }, [fail]);

  useEffect(() => {
    if (connection === "open") void load();
  }, [connection, load]);

  const replace = (u: AdminUser) => setUsers((list) => (list ?? []).map((x) => (x.id === u.id ? u : x)));

  /** Changes a user; the server's refusal is shown above the table. */
  const update = async (name: string, change: { disabled?: boolean; is_admin?: boolean }, message: string) => {
    setError(null);
    setDone(null);
    const u = await api().call("admin.user.update", { name, ...change });
    replace(u);
    setDone(message);
  };

  const run = (p: Promise<void>) => p.catch(fail);
  const forbiddenOnly = useCallback((e: unknown) => isForbidden(e) && onForbidden(), [onForbidden]);

  return (
    <div className="min-h-0 flex-1 overflow-y-auto">
      <div className="mx-auto max-w-5xl px-6 pt-4">
        <AdminTabs current={section} />
      </div>
      <div role="tabpanel" id={adminPanelId(section)} aria-labelledby={adminTabId(section)} className="mx-auto max-w-5xl space-y-5 p-6">
        {section === "limits" && <LimitsPanel users={users} onError={fail} />}
        {section === "audit" && <AuditLog onError={forbiddenOnly} />}
        {section === "limits" && error && (
          <p role="alert" className={errorBox}>
            {error}
          </p>
        )}
        {section === "users" && (
          <>
            <header className="flex flex-wrap items-start justify-between gap-3">
              <div>
                <h1 className="text-lg font-semibold">{t("admin.title")}</h1>
                <p className="text-sm text-zinc-600 dark:text-zinc-400">{t("admin.intro")}</p>
              </div>
              <button type="button" className={btn} onClick={() => void load()}>
                {t("admin.refresh")}
              </button>
            </header>

            <AddUserForm onAdded={(u) => setUsers((list) => [...(list ?? []), u].sort((a, b) => a.name.localeCompare(b.name)))} />

            <section aria-labelledby="admin-users" className="space-y-3">
              <div className="flex items-baseline justify-between">
                <h2 id="admin-users" className="text-sm font-semibold">
                  {t("admin.users")}
                </h2>
                {users && <span className="text-xs text-zinc-500">{t("admin.users.count", { n: users.length })}</span>}
              </div>
              {error && (
                <p role="alert" className={errorBox}>
                  {error}
                </p>
              )}
              <div role="status">{done && <p className={okBox}>{done}</p>}</div>
              {users === null ? (
                <p className="text-sm text-zinc-500">{connection === "open" ? t("common.loading") : t("admin.notConnected")}</p>
              ) : (
                <UsersTable
                  users={users}
                  me={me}
                  tokensOf={tokensOf}
                  actions={{
                    setDisabled: (u, disabled) => {
                      if (disabled) setPending({ kind: "disable", user: u });
                      else void run(update(u.name, { disabled: false }, t("admin.done.enabled", { name: u.name })));
                    },
                    setAdmin: (u, isAdmin) =>
                      void run(
                        update(
                          u.name,
                          { is_admin: isAdmin },
                          t(isAdmin ? "admin.done.madeAdmin" : "admin.done.revokedAdmin", { name: u.name }),
                        ),
                      ),
                    resetPassword: (u) => setPending({ kind: "password", user: u }),
                    toggleTokens: (u) => setTokensOf((cur) => (cur === u.name ? null : u.name)),
                  }}
                />
              )}
              <p className="text-xs text-zinc-500 dark:text-zinc-400">{t("admin.selfHint")}</p>
            </section>
          </>
        )}
      </div>

      {pending?.kind === "disable" && (
        <Confirm
          title={t("admin.disable.title", { name: pending.user.name })}
          body={t("admin.disable.body")}
          confirm={t("admin.disable.confirm")}
          onConfirm={async () => {
            await update(pending.user.name, { disabled: true }, t("admin.done.disabled", { name: pending.user.name }));
            setPending(null);
          }}
          onClose={() => setPending(null)}
        />
      )}
      {pending?.kind === "password" && (
        <PasswordDialog
          name={pending.user.name}
          onClose={() => setPending(null)}
          onDone={() => {
            setDone(t("admin.done.password", { name: pending.user.name }));
            setPending(null);
          }}
        />
      )}
    </div>
  );
}
