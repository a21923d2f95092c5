// The users table: role, status, creation time, and per user the actions and tokens.

import { Fragment } from "react";
import type { AdminUser } from "../../protocol.gen";
import { useLang, useT } from "../../i18n";
import { TokensPanel } from "./TokensPanel";
import { btn, btnDangerQuiet, formatTime } from "./ui";

export interface UserActions {
  setDisabled: (u: AdminUser, disabled: boolean) => void;
  setAdmin: (u: AdminUser, isAdmin: boolean) => void;
  resetPassword: (u: AdminUser) => void;
  toggleTokens: (u: AdminUser) => void;
}

function badge(on: boolean): string {
  return `rounded px-1.5 py-0.5 text-xs ${
    on
      ? "bg-indigo-100 text-indigo-800 dark:bg-indigo-950 dark:text-indigo-300"
      : "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300"
  }`;
}

export function UsersTable({
  users,
  me,
  tokensOf,
  actions,
}: {
  users: AdminUser[];
  me: string;
  /** Whose tokens are shown (one user at a time). */
  tokensOf: string | null;
  actions: UserActions;
}) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">{t("admin.users")}</caption>
        <thead className="bg-zinc-50 text-xs text-zinc-500 dark:bg-zinc-900 dark:text-zinc-400">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("admin.col.name")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("admin.col.role")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("admin.col.status")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("admin.col.created")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("admin.col.actions")}
            </th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => {
            const self = u.name === me;
            const open = tokensOf === u.name;
            const panelId = `tokens-${u.id}`;
            return (
              <Fragment key={u.id}>
                <tr
                  data-testid={`user-${u.name}`}
                  className={`border-t border-zinc-200 dark:border-zinc-800 ${u.disabled ? "text-zinc-500 dark:text-zinc-500" : ""}`}
                >
                  <th scope="row" className="px-3 py-2 font-medium">
                    {u.name}
                    {self && <span className="ml-2 text-xs font-normal text-zinc-500">({t("admin.you")})</span>}
                  </th>
                  <td className="px-3 py-2">
                    <span className={badge(u.is_admin)}>{t(u.is_admin ? "admin.role.admin" : "admin.role.member")}</span>
                  </td>
                  <td className="px-3 py-2">
                    <span
                      className={`rounded px-1.5 py-0.5 text-xs ${
                        u.disabled
                          ? "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300"
                          : "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
                      }`}
                    >
                      {t(u.disabled ? "admin.status.disabled" : "admin.status.active")}
                    </span>
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap">{formatTime(u.created_at, lang)}</td>
                  <td className="px-3 py-2">
                    <div className="flex flex-wrap gap-1.5">
                      {u.disabled ? (
                        <button
                          type="button"
                          className={btn}
                          aria-label={`${t("admin.enable")} ${u.name}`}
                          onClick={() => actions.setDisabled(u, false)}
                        >
                          {t("admin.enable")}
                        </button>
                      ) : (
                        <button
                          type="button"
                          className={btnDangerQuiet}
                          disabled={self}
                          title={self ? t("admin.selfHint") : undefined}
                          aria-label={`${t("admin.disable")} ${u.name}`}
                          onClick={() => actions.setDisabled(u, true)}
                        >
                          {t("admin.disable")}
                        </button>
                      )}
                      <button
                        type="button"
                        className={btn}
                        disabled={self && u.is_admin}
                        title={self && u.is_admin ? t("admin.selfHint") : undefined}
                        aria-label={`${t(u.is_admin ? "admin.revokeAdmin" : "admin.makeAdmin")} ${u.name}`}
                        onClick={() => actions.setAdmin(u, !u.is_admin)}
                      >
                        {t(u.is_admin ? "admin.revokeAdmin" : "admin.makeAdmin")}
                      </button>
                      <button
                        type="button"
                        className={btn}
                        aria-label={`${t("admin.resetPassword")} ${u.name}`}
                        onClick={() => actions.resetPassword(u)}
                      >
                        {t("admin.resetPassword")}
                      </button>
                      <button
                        type="button"
                        className={btn}
                        aria-expanded={open}
                        aria-controls={open ? panelId : undefined}
                        aria-label={`${t("admin.tokens")} ${u.name}`}
                        onClick={() => actions.toggleTokens(u)}
                      >
                        {t("admin.tokens")} {open ? "▴" : "▾"}
                      </button>
                    </div>
                  </td>
                </tr>
                {open && (
                  <tr className="bg-zinc-50 dark:bg-zinc-900/60">
                    <td colSpan={5}>
                      <TokensPanel user={u.name} id={panelId} disabled={u.disabled} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
