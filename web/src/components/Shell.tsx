import { lazy, Suspense } from "react";
import { useT } from "../i18n";
import { match, usePath } from "../lib/router";
import { useStore } from "../lib/store";
import { Blackboard } from "../views/Blackboard";
import { AgentWorkspace } from "../views/AgentWorkspace";
import { TaskBoard } from "../views/TaskBoard";
import { ConfigCenter } from "../views/ConfigCenter";
import { Files } from "../views/Files";
import { Admin } from "../views/Admin";
import { ConfirmDialog } from "./ConfirmDialog";
import { Sidebar } from "./Sidebar";
import { StatusBar } from "./StatusBar";
import { Toasts } from "./Toasts";

// xterm.js is large: it loads only when the terminal is opened.
const TerminalPanel = lazy(() => import("../views/TerminalPanel"));
// The Context view (index search) loads when it is first opened.
const Context = lazy(() => import("../views/Context"));

function Route({ path }: { path: string }) {
  const t = useT();
  let m: Record<string, string> | null;
  if (path === "/" || path === "") return <Blackboard session="default" />;
  if ((m = match("/s/:id", path))) return <Blackboard session={m.id} />;
  if (path === "/agents") return <AgentWorkspace agent={null} />;
  if ((m = match("/agents/:id", path))) return <AgentWorkspace agent={m.id} />;
  if (path === "/tasks") return <TaskBoard task={null} />;
  if ((m = match("/tasks/:id", path))) return <TaskBoard task={m.id} />;
  if (path === "/files" || path.startsWith("/files/")) return <Files path={path.slice("/files".length).replace(/^\//, "")} />;
  if (path === "/terminal")
    return (
      <Suspense fallback={<p className="p-6 text-sm text-zinc-500">{t("common.loading")}</p>}>
        <TerminalPanel />
      </Suspense>
    );
  if (path === "/context")
    return (
      <Suspense fallback={<p className="p-6 text-sm text-zinc-500">{t("common.loading")}</p>}>
        <Context />
      </Suspense>
    );
  if (path === "/config") return <ConfigCenter section={null} />;
  if ((m = match("/config/:section", path))) return <ConfigCenter section={m.section} />;
  if (path === "/admin") return <Admin />;
  if ((m = match("/admin/:section", path))) return <Admin section={m.section} />;
  return <p className="p-6 text-sm">{t("notfound")}</p>;
}

/** The signed-in app: sidebar, the current view, the status bar, dialogs and notifications. */
export function Shell() {
  const path = usePath();
  const connection = useStore((s) => s.connection);
  const t = useT();
  return (
    <div className="flex h-full flex-col">
      {connection !== "open" && (
        <div role="status" className="bg-amber-100 px-4 py-1 text-center text-xs text-amber-900 dark:bg-amber-900 dark:text-amber-100">
          {t(connection === "connecting" ? "conn.connecting" : connection === "unauthorized" ? "conn.unauthorized" : "conn.closed")}
        </div>
      )}
      <div className="flex min-h-0 flex-1">
        <Sidebar />
        <main className="flex min-w-0 flex-1 flex-col">
          <Route path={path} />
        </main>
      </div>
      <StatusBar />
      <ConfirmDialog />
      <Toasts />
    </div>
  );
}
