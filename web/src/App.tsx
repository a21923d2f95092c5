import { useEffect, useState } from "react";
import { whoami, type WhoAmI } from "./lib/auth";
import { connect, disconnect } from "./lib/sync";
import { useStore } from "./lib/store";
import { Login } from "./views/Login";
import { Shell } from "./components/Shell";
import { useT } from "./i18n";

/** Signs in (or finds the remembered sign-in), then shows the app. */
export function App() {
  const t = useT();
  const [who, setWho] = useState<WhoAmI | null>(null);
  const [error, setError] = useState<string | null>(null);
  const connection = useStore((s) => s.connection);

  const check = () => {
    whoami()
      .then((w) => {
        setWho(w);
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };
  useEffect(check, []);

  // The connection exists before any view mounts (views call api() in their effects).
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    if (!who?.user) return;
    connect();
    useStore.setState({ me: who.user, mode: who.mode });
    setConnected(true);
    return () => {
      setConnected(false);
      disconnect();
    };
  }, [who]);

  // A revoked token or a disabled user: back to the sign-in page by a reload, so nothing
  // of this user stays in memory (drafts, chats, view state) for whoever signs in next.
  useEffect(() => {
    if (connection === "unauthorized") location.reload();
  }, [connection]);

  if (error) {
    return (
      <main className="flex h-full items-center justify-center p-8">
        <div role="alert" className="max-w-md rounded-lg border border-red-300 p-6 text-sm dark:border-red-800">
          <p className="mb-4">{error}</p>
          <button className="rounded bg-indigo-600 px-3 py-1.5 text-white" onClick={check}>
            {t("common.retry")}
          </button>
        </div>
      </main>
    );
  }
  if (!who || (who.user && !connected)) {
    return <div className="flex h-full items-center justify-center text-sm text-zinc-500">{t("common.loading")}</div>;
  }
  if (!who.user) {
    return <Login mode={who.mode} message={who.error} onSignedIn={check} />;
  }
  return <Shell />;
}
