import { useState, type FormEvent } from "react";
import { login, type Mode } from "../lib/auth";
import { useT } from "../i18n";
import { Prefs } from "../components/Prefs";

/** Multi-user: user name and password. Single-user: how to get in (the start-up URL). */
export function Login({ mode, message, onSignedIn }: { mode: Mode; message?: string; onSignedIn: () => void }) {
  const t = useT();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username, password);
      onSignedIn();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  const useToken = (e: FormEvent) => {
    e.preventDefault();
    localStorage.setItem("arranger.token", token.trim());
    onSignedIn();
  };

  const input =
    "w-full rounded-md border border-zinc-300 bg-white px-3 py-2 text-sm dark:border-zinc-700 dark:bg-zinc-900";
  return (
    <main className="flex min-h-full items-center justify-center bg-zinc-50 p-6 dark:bg-zinc-950">
      <div className="w-full max-w-sm rounded-xl border border-zinc-200 bg-white p-8 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
        <div className="mb-6 flex items-center justify-between">
          <h1 className="text-lg font-semibold">{t("login.title")}</h1>
          <Prefs compact />
        </div>
        {mode === "multi_user" ? (
          <form onSubmit={submit} className="space-y-4" aria-label={t("login.title")}>
            <label className="block text-sm">
              <span className="mb-1 block font-medium">{t("login.username")}</span>
              <input
                className={input}
                name="username"
                autoComplete="username"
                autoFocus
                required
                value={username}
                onChange={(e) => setUsername(e.target.value)}
              />
            </label>
            <label className="block text-sm">
              <span className="mb-1 block font-medium">{t("login.password")}</span>
              <input
                className={input}
                name="password"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
            {error && (
              <p role="alert" className="text-sm text-red-600 dark:text-red-400">
                {error}
              </p>
            )}
            <button
              type="submit"
              disabled={busy}
              className="w-full rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60"
            >
              {busy ? t("login.busy") : t("login.submit")}
            </button>
          </form>
        ) : (
          <form onSubmit={useToken} className="space-y-4">
            <p className="text-sm text-zinc-600 dark:text-zinc-400">{t("login.singleUser")}</p>
            {message && <p className="text-xs text-zinc-500">{message}</p>}
            <label className="block text-sm">
              <span className="mb-1 block font-medium">{t("login.tokenLabel")}</span>
              <input className={input} name="token" required value={token} onChange={(e) => setToken(e.target.value)} />
            </label>
            <button type="submit" className="w-full rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white">
              {t("login.useToken")}
            </button>
          </form>
        )}
      </div>
    </main>
  );
}
