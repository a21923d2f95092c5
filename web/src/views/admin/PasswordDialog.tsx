// Reset a user's password.

import { useState, type FormEvent } from "react";
import { useT } from "../../i18n";
import { api } from "../../lib/sync";
import { Dialog } from "./Dialog";
import { btn, btnPrimary, errorBox, errorText, input } from "./ui";

export function PasswordDialog({ name, onClose, onDone }: { name: string; onClose: () => void; onDone: () => void }) {
  const t = useT();
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (password !== repeat) {
      setError(t("admin.password.mismatch"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api().call("admin.user.update", { name, password });
      onDone();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <Dialog title={t("admin.password.title", { name })} onClose={onClose}>
      <form onSubmit={submit} className="space-y-4">
        {/* A hidden user name lets password managers file the new password correctly. */}
        <input type="text" name="username" autoComplete="username" value={name} readOnly hidden />
        <div className="text-sm">
          <label className="block">
            <span className="mb-1 block font-medium">{t("admin.password.new")}</span>
            <input
              className={input}
              type="password"
              autoComplete="new-password"
              required
              data-autofocus
              aria-describedby="admin-pw-hint"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <span id="admin-pw-hint" className="mt-1 block text-xs text-zinc-500 dark:text-zinc-400">
            {t("admin.add.passwordHint")}
          </span>
        </div>
        <label className="block text-sm">
          <span className="mb-1 block font-medium">{t("admin.password.repeat")}</span>
          <input
            className={input}
            type="password"
            autoComplete="new-password"
            required
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
          />
        </label>
        {error && (
          <p role="alert" className={errorBox}>
            {error}
          </p>
        )}
        <div className="flex justify-end gap-2">
          <button type="button" className={btn} onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" disabled={busy} className={btnPrimary}>
            {t("admin.password.submit")}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
