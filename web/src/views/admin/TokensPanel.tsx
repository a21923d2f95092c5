// One user's tokens: the list, creating one (shown once, with a Copy button), revoking.

import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import type { AdminTokenCreateResult, AdminTokenInfo } from "../../protocol.gen";
import { useLang, useT } from "../../i18n";
import { api } from "../../lib/sync";
import { Confirm } from "./Confirm";
import { Dialog } from "./Dialog";
import { btn, btnDangerQuiet, btnPrimary, errorBox, errorText, formatTime, input, okBox } from "./ui";

type TokenState = "active" | "revoked" | "expired";

function stateOf(tk: AdminTokenInfo, now: number): TokenState {
  if (tk.revoked_at != null) return "revoked";
  if (tk.expires_at != null && tk.expires_at <= now) return "expired";
  return "active";
}

const BADGE: Record<TokenState, string> = {
  active: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
  revoked: "bg-zinc-200 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
  expired: "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200",
};

export function TokensPanel({ user, id, disabled }: { user: string; id: string; disabled: boolean }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const labelId = useId();
  const [tokens, setTokens] = useState<AdminTokenInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [label, setLabel] = useState("");
  const [busy, setBusy] = useState(false);
  const [showInactive, setShowInactive] = useState(false);
  const [created, setCreated] = useState<AdminTokenCreateResult | null>(null);
  const [revoking, setRevoking] = useState<AdminTokenInfo | null>(null);

  const load = useCallback(async () => {
    try {
      const r = await api().call("admin.token.list", { user });
      setTokens(r.tokens);
    } catch (e) {
      setError(errorText(e));
    }
  }, [user]);

  useEffect(() => {
    void load();
  }, [load]);

  const now = Date.now();
  const shown = (tokens ?? [])
    .filter((tk) => showInactive || stateOf(tk, now) === "active")
    .sort((a, b) => b.created_at - a.created_at);
  const inactive = (tokens ?? []).filter((tk) => stateOf(tk, now) !== "active").length;

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const r = await api().call("admin.token.create", { user, label: label.trim() });
      setLabel("");
      setCreated(r);
      await load();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (tk: AdminTokenInfo) => {
    await api().call("admin.token.revoke", { id: tk.id });
    setRevoking(null);
    setDone(t("admin.tokens.revoked.done", { label: tk.label || tk.id }));
    await load();
  };

  return (
    <section id={id} aria-label={t("admin.tokens.title", { name: user })} className="space-y-3 p-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 className="text-sm font-semibold">{t("admin.tokens.title", { name: user })}</h3>
        {inactive > 0 && (
          <label className="flex items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400">
            <input type="checkbox" checked={showInactive} onChange={(e) => setShowInactive(e.target.checked)} />
            {t("admin.tokens.showInactive")} ({inactive})
          </label>
        )}
      </div>
      {tokens === null && !error && <p className="text-sm text-zinc-500">{t("common.loading")}</p>}
      {tokens !== null && shown.length === 0 && <p className="text-sm text-zinc-500">{t("admin.tokens.none")}</p>}
      {shown.length > 0 && (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{t("admin.tokens.title", { name: user })}</caption>
            <thead className="text-xs text-zinc-500 dark:text-zinc-400">
              <tr>
                <th scope="col" className="py-1 pr-3 font-medium">
                  {t("admin.tokens.label")}
                </th>
                <th scope="col" className="py-1 pr-3 font-medium">
                  {t("admin.tokens.kind")}
                </th>
                <th scope="col" className="py-1 pr-3 font-medium">
                  {t("admin.tokens.created")}
                </th>
                <th scope="col" className="py-1 pr-3 font-medium">
                  {t("admin.tokens.expires")}
                </th>
                <th scope="col" className="py-1 pr-3 font-medium">
                  {t("admin.tokens.status")}
                </th>
                <th scope="col" className="py-1 font-medium">
                  <span className="sr-only">{t("admin.col.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((tk) => {
                const st = stateOf(tk, now);
                return (
                  <tr key={tk.id} className="border-t border-zinc-200 dark:border-zinc-800">
                    <td className="py-1.5 pr-3">
                      <span className="font-medium">{tk.label || "—"}</span>{" "}
                      <code className="text-xs text-zinc-500">{tk.id}</code>
                    </td>
                    <td className="py-1.5 pr-3">{t(tk.kind === "api" ? "admin.tokens.kind.api" : "admin.tokens.kind.login")}</td>
                    <td className="py-1.5 pr-3 whitespace-nowrap">{formatTime(tk.created_at, lang)}</td>
                    <td className="py-1.5 pr-3 whitespace-nowrap">
                      {tk.expires_at != null ? formatTime(tk.expires_at, lang) : t("admin.tokens.never")}
                    </td>
                    <td className="py-1.5 pr-3">
                      <span className={`rounded px-1.5 py-0.5 text-xs ${BADGE[st]}`}>{t(`admin.tokens.${st}`)}</span>
                    </td>
                    <td className="py-1.5 text-right">
                      {st === "active" && (
                        <button
                          type="button"
                          className={btnDangerQuiet}
                          aria-label={`${t("admin.tokens.revoke")} ${tk.label || tk.id}`}
                          onClick={() => setRevoking(tk)}
                        >
                          {t("admin.tokens.revoke")}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {!disabled && (
        <form onSubmit={create} className="flex flex-wrap items-end gap-2">
          <div className="min-w-48 flex-1 text-sm">
            <label className="block">
              <span className="mb-1 block font-medium">{t("admin.tokens.label")}</span>
              <input
                className={input}
                required
                maxLength={100}
                aria-describedby={labelId}
                value={label}
                onChange={(e) => setLabel(e.target.value)}
              />
            </label>
            <span id={labelId} className="mt-1 block text-xs text-zinc-500 dark:text-zinc-400">
              {t("admin.tokens.labelHint")}
            </span>
          </div>
          <button type="submit" disabled={busy} className={`${btnPrimary} mb-5 py-1.5`}>
            {busy ? t("admin.tokens.creating") : t("admin.tokens.create")}
          </button>
        </form>
      )}
      {error && (
        <p role="alert" className={errorBox}>
          {error}
        </p>
      )}
      <div role="status">{done && <p className={okBox}>{done}</p>}</div>
      {created && <NewTokenDialog name={user} token={created.token} onClose={() => setCreated(null)} />}
      {revoking && (
        <Confirm
          title={t("admin.tokens.revoke.title", { label: revoking.label || revoking.id })}
          body={t("admin.tokens.revoke.body")}
          confirm={t("admin.tokens.revoke")}
          onConfirm={() => revoke(revoking)}
          onClose={() => setRevoking(null)}
        />
      )}
    </section>
  );
}

/** The new token, shown this once, with a Copy button. Closing forgets it. */
function NewTokenDialog({ name, token, onClose }: { name: string; token: string; onClose: () => void }) {
  const t = useT();
  const fieldId = useId();
  const field = useRef<HTMLTextAreaElement>(null);
  const [copy, setCopy] = useState<"idle" | "copied" | "failed">("idle");
  const doCopy = async () => {
    try {
      await navigator.clipboard.writeText(token);
      setCopy("copied");
    } catch {
      field.current?.select();
      setCopy("failed");
    }
  };
  return (
    <Dialog title={t("admin.newToken.title", { name })} onClose={onClose} role="alertdialog">
      <p className="mb-4 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
        {t("admin.newToken.warning", { name })}
      </p>
      <div className="mb-2 text-sm">
        <label htmlFor={fieldId} className="mb-1 block font-medium">
          {t("admin.newToken.value")}
        </label>
        <div className="flex items-start gap-2">
          <textarea
            id={fieldId}
            ref={field}
            readOnly
            rows={2}
            spellCheck={false}
            data-testid="new-token"
            className={`${input} resize-none font-mono text-xs break-all`}
            value={token}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" className={btn} onClick={doCopy} data-autofocus>
            {copy === "copied" ? t("admin.newToken.copied") : t("admin.newToken.copy")}
          </button>
        </div>
      </div>
      <div role="status" className="mb-2 min-h-5 text-xs">
        {copy === "failed" && <span className="text-red-700 dark:text-red-300">{t("admin.newToken.copyFailed")}</span>}
      </div>
      <div className="flex justify-end">
        <button type="button" className={btnPrimary} onClick={onClose}>
          {t("admin.newToken.done")}
        </button>
      </div>
    </Dialog>
  );
}
