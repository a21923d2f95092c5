// The workspace tree as far as it has been opened: directories are listed when expanded,
// and re-listed when fs.changed says something in them changed (or after a reconnect).

import { useCallback, useEffect, useRef, useState } from "react";
import { RpcError } from "../../lib/rpc";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import type { DirEntry, FileChange } from "../../protocol.gen";
import { useNotification } from "../useNotification";
import { parentOf, within } from "./paths";
import { errorMessage } from "../../lib/errors";

/** A listed directory: its entries (folders first), or why it could not be listed. */
export interface DirState {
  entries: DirEntry[] | null;
  error: string | null;
}

/** What the tree shows and how to change it. */
export interface Tree {
  dirs: Record<string, DirState>;
  expanded: Set<string>;
  toggle: (dir: string) => void;
  expandTo: (dirs: string[]) => void;
}

/** Folders first, then by name. */
export function sortEntries(list: DirEntry[]): DirEntry[] {
  return [...list].sort((a, b) => {
    const da = a.kind === "dir" ? 0 : 1;
    const db = b.kind === "dir" ? 0 : 1;
    return da !== db ? da - db : a.name.localeCompare(b.name);
  });
}

/** Which listed directories a batch of changes affects, and which are gone. */
export function affected(changes: FileChange[], listed: string[]): { reload: Set<string>; gone: Set<string> } {
  const reload = new Set<string>();
  const gone = new Set<string>();
  for (const c of changes) {
    if (c.kind === "modified") {
      const p = parentOf(c.path);
      if (listed.includes(p)) reload.add(p);
      continue;
    }
    // Created or removed: intermediate folders may not be reported, so every listed
    // folder above the path is re-listed.
    for (const d of listed) if (d !== c.path && within(c.path, d)) reload.add(d);
    if (c.kind === "removed") for (const d of listed) if (within(d, c.path) && c.path !== "") gone.add(d);
  }
  for (const d of gone) reload.delete(d);
  return { reload, gone };
}

/** The tree's state, kept live by fs.changed. */
export function useTree(): Tree {
  const connection = useStore((s) => s.connection);
  const [dirs, setDirs] = useState<Record<string, DirState>>({});
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set([""]));
  const dirsRef = useRef(dirs);
  dirsRef.current = dirs;

  const load = useCallback(async (dir: string) => {
    try {
      const r = await api().call("fs.list", { path: dir });
      setDirs((d) => ({ ...d, [dir]: { entries: sortEntries(r.entries), error: null } }));
    } catch (e) {
      if (e instanceof RpcError && e.code === -32001 && dir !== "") {
        setDirs((d) => {
          const next = { ...d };
          delete next[dir];
          return next;
        });
        return;
      }
      const message = errorMessage(e);
      setDirs((d) => ({ ...d, [dir]: { entries: d[dir]?.entries ?? null, error: message } }));
    }
  }, []);

  // The root at once, and everything listed again after a reconnect.
  useEffect(() => {
    if (connection !== "open") return;
    const listed = Object.keys(dirsRef.current);
    for (const d of listed.length ? listed : [""]) void load(d);
  }, [connection, load]);

  const pending = useRef(new Set<string>());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  useNotification("fs.changed", ({ changes }) => {
    const { reload, gone } = affected(changes, Object.keys(dirsRef.current));
    if (gone.size) {
      setDirs((d) => Object.fromEntries(Object.entries(d).filter(([k]) => !gone.has(k))));
      setExpanded((s) => new Set([...s].filter((k) => !gone.has(k))));
    }
    for (const d of reload) pending.current.add(d);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      for (const d of pending.current) void load(d);
      pending.current.clear();
    }, 80);
  });

  const toggle = useCallback(
    (dir: string) => {
      setExpanded((s) => {
        const next = new Set(s);
        if (next.has(dir)) next.delete(dir);
        else next.add(dir);
        return next;
      });
      if (!dirsRef.current[dir]) void load(dir);
    },
    [load],
  );

  const expandTo = useCallback(
    (list: string[]) => {
      setExpanded((s) => new Set([...s, ...list]));
      for (const d of list) if (!dirsRef.current[d]) void load(d);
    },
    [load],
  );

  return { dirs, expanded, toggle, expandTo };
}

