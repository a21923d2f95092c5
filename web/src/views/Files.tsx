// The file browser: the workspace tree, breadcrumbs, and the selected file or folder,
// kept live by fs.changed notifications. The path is in the URL: /files/<path>.

import { useCallback, useEffect, useRef, useState } from "react";
import { useT } from "../i18n";
import { RpcError } from "../lib/rpc";
import { navigate } from "../lib/router";
import { useStore } from "../lib/store";
import { api } from "../lib/sync";
import type { FileKind } from "../protocol.gen";
import { Breadcrumbs } from "./files/Breadcrumbs";
import { DirListing } from "./files/DirListing";
import { FileTree } from "./files/FileTree";
import { ancestors, fileUrl, pathFromUrl, within } from "./files/paths";
import { useTree } from "./files/useTree";
import { Viewer } from "./files/Viewer";
import { useNotification } from "./useNotification";
import { errorMessage } from "../lib/errors";

interface Target {
  path: string;
  kind: FileKind | "removed" | "missing";
  size: number;
  error?: string;
}

/** The Files view; `path` is the URL's part after /files/. */
export function Files({ path: raw }: { path: string }) {
  const t = useT();
  const path = pathFromUrl(raw);
  const tree = useTree();
  const connection = useStore((s) => s.connection);
  const [target, setTarget] = useState<Target | null>(null);
  const [version, setVersion] = useState(0);
  const expandTo = tree.expandTo;
  const current = useRef(path);
  current.current = path;

  const stat = useCallback(
    async (afterChange: boolean) => {
      if (path === "") {
        setTarget({ path, kind: "dir", size: 0 });
        return;
      }
      try {
        const s = await api().call("fs.stat", { path });
        if (current.current !== path) return;
        setTarget({ path, kind: s.kind, size: s.size });
        if (!afterChange) expandTo(s.kind === "dir" ? [...ancestors(path), path] : ancestors(path));
      } catch (e) {
        if (current.current !== path) return;
        const gone = e instanceof RpcError && e.code === -32001;
        setTarget({ path, kind: gone && afterChange ? "removed" : "missing", size: 0, error: errorMessage(e) });
      }
    },
    [path, expandTo],
  );

  useEffect(() => {
    if (connection === "open") void stat(false);
  }, [stat, connection]);

  // The shown file (or a folder above it) changed: look again, and re-read it.
  useNotification("fs.changed", ({ changes }) => {
    if (changes.some((c) => c.path === path || (c.kind === "removed" && within(path, c.path)))) {
      void stat(true);
      setVersion((v) => v + 1);
    }
  });

  const shown = target?.path === path ? target : null;
  const open = (p: string) => navigate(fileUrl(p));

  let body;
  if (!shown) body = <p className="p-6 text-sm text-zinc-500">{t("files.loading")}</p>;
  else if (shown.kind === "dir") body = <DirListing path={path} state={tree.dirs[path]} />;
  else if (shown.kind === "file") body = <Viewer path={path} size={shown.size} version={version} />;
  else {
    const text =
      shown.kind === "removed"
        ? t("files.removed")
        : shown.kind === "symlink"
          ? t("files.symlink")
          : shown.kind === "other"
            ? t("files.other")
            : (shown.error ?? "");
    body = (
      <div className="p-6">
        <p role={shown.kind === "missing" ? "alert" : "status"} className="text-sm text-zinc-700 dark:text-zinc-300">
          {text}
        </p>
      </div>
    );
  }

  return (
    <div className="flex min-h-0 flex-1">
      <aside className="flex w-72 shrink-0 flex-col border-r border-zinc-200 bg-zinc-50/60 dark:border-zinc-800 dark:bg-zinc-900/40">
        <div className="flex h-11 shrink-0 items-center border-b border-zinc-200 px-4 dark:border-zinc-800">
          <h1 className="text-sm font-semibold">{t("files.title")}</h1>
        </div>
        <div className="min-h-0 flex-1 overflow-auto">
          <FileTree tree={tree} selected={path} onOpen={open} />
        </div>
      </aside>
      <section className="flex min-w-0 flex-1 flex-col" aria-label={path || t("files.root")}>
        <div className="flex h-11 shrink-0 items-center border-b border-zinc-200 px-4 dark:border-zinc-800">
          <Breadcrumbs path={path} />
        </div>
        {body}
      </section>
    </div>
  );
}
