// "Add user": name, password, admin.

import { useId, useState, type FormEvent } from "react";
import type { AdminUser } from "../../protocol.gen";
import { useT } from "../../i18n";
import { api } from "../../lib/sync";
import { btnPrimary, errorBox, errorText, input, okBox } from "./ui";

export function AddUserForm({ onAdded }: { onAdded: (u: AdminUser) => void }) {
  const t = useT();
  const id = useId();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [isAdmin, setIsAdmin] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const u = await api().call("admin.user.create", { name: name.trim(), password, is_admin: isAdmin });
      setName("");
      setPassword("");
      setIsAdmin(false);
      setDone(t("admin.add.done", { name: u.name }));
      onAdded(u);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby={`${id}-title`} className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
      <h2 id={`${id}-title`} className="mb-3 text-sm font-semibold">
        {t("admin.add.title")}
      </h2>
      <form onSubmit={submit} className="flex flex-wrap items-end gap-3" aria-labelledby={`${id}-title`}>
        <div className="min-w-48 flex-1 text-sm">
          <label className="block">
            <span className="mb-1 block font-medium">{t("admin.add.name")}</span>
            <input
              className={input}
              name="name"
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              required
              maxLength={64}
              aria-describedby={`${id}-name-hint`}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </label>
          <span id={`${id}-name-hint`} className="mt-1 block text-xs text-zinc-500 dark:text-zinc-400">
            {t("admin.add.nameHint")}
          </span>
        </div>
        <div className="min-w-48 flex-1 text-sm">
          <label className="block">
            <span className="mb-1 block font-medium">{t("admin.add.password")}</span>
            <input
              className={input}
              name="new-password"
              type="password"
              autoComplete="new-password"
              required
              aria-describedby={`${id}-pw-hint`}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <span id={`${id}-pw-hint`} className="mt-1 block text-xs text-zinc-500 dark:text-zinc-400">
            {t("admin.add.passwordHint")}
          </span>
        </div>
        <label className="mb-6 flex items-center gap-2 text-sm">
          <input type="checkbox" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} />
          {t("admin.add.admin")}
        </label>
        <button type="submit" disabled={busy} className={`${btnPrimary} mb-6 py-1.5`}>
          {busy ? t("admin.add.busy") : t("admin.add.submit")}
        </button>
      </form>
      {error && (
        <p role="alert" className={errorBox}>
          {error}
        </p>
      )}
      <div role="status">{done && <p className={okBox}>{done}</p>}</div>
    </section>
  );
}
