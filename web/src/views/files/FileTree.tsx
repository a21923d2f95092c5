// The workspace as a tree: folders expand lazily; arrows, Home/End, Enter move and open.

import { useMemo, useRef, useState, type KeyboardEvent } from "react";
import { useT } from "../../i18n";
import type { FileKind } from "../../protocol.gen";
import { Chevron, FileIcon, FolderIcon } from "./icons";
import { joinPath, parentOf } from "./paths";
import type { Tree } from "./useTree";

interface Row {
  path: string;
  name: string;
  kind: FileKind | "loading" | "error";
  level: number;
  message?: string;
}

/** The visible rows: the entries of every expanded folder, depth first. */
export function visibleRows(tree: Pick<Tree, "dirs" | "expanded">, dir = "", level = 1): Row[] {
  const state = tree.dirs[dir];
  if (!state) return [{ path: `${dir}\u0000loading`, name: "", kind: "loading", level }];
  const out: Row[] = [];
  if (state.error && !state.entries) return [{ path: `${dir}\u0000error`, name: "", kind: "error", level, message: state.error }];
  for (const e of state.entries ?? []) {
    const path = joinPath(dir, e.name);
    out.push({ path, name: e.name, kind: e.kind, level });
    if (e.kind === "dir" && tree.expanded.has(path)) out.push(...visibleRows(tree, path, level + 1));
  }
  return out;
}

const isItem = (r: Row) => r.kind !== "loading" && r.kind !== "error";

/** The file tree; `onOpen` shows a file or folder (folders also expand or collapse). */
export function FileTree({ tree, selected, onOpen }: { tree: Tree; selected: string; onOpen: (path: string, kind: FileKind) => void }) {
  const t = useT();
  const rows = useMemo(() => visibleRows({ dirs: tree.dirs, expanded: tree.expanded }), [tree.dirs, tree.expanded]);
  const items = rows.filter(isItem);
  const [focus, setFocus] = useState<string | null>(null);
  const refs = useRef(new Map<string, HTMLLIElement>());
  const tabbable = items.some((r) => r.path === focus) ? focus : items.some((r) => r.path === selected) ? selected : items[0]?.path;

  const moveTo = (path: string | undefined) => {
    if (path === undefined) return;
    setFocus(path);
    refs.current.get(path)?.focus();
  };

  const open = (r: Row) => {
    // A folder opens expanded; clicking the shown folder again collapses it.
    if (r.kind === "dir" && (r.path === selected || !tree.expanded.has(r.path))) tree.toggle(r.path);
    onOpen(r.path, r.kind as FileKind);
  };

  const onKeyDown = (e: KeyboardEvent, r: Row) => {
    const i = items.findIndex((x) => x.path === r.path);
    const expanded = r.kind === "dir" && tree.expanded.has(r.path);
    switch (e.key) {
      case "ArrowDown":
        moveTo(items[i + 1]?.path);
        break;
      case "ArrowUp":
        moveTo(items[i - 1]?.path);
        break;
      case "Home":
        moveTo(items[0]?.path);
        break;
      case "End":
        moveTo(items[items.length - 1]?.path);
        break;
      case "ArrowRight":
        if (r.kind === "dir" && !expanded) tree.toggle(r.path);
        else if (expanded) moveTo(items[i + 1]?.level === r.level + 1 ? items[i + 1].path : undefined);
        break;
      case "ArrowLeft":
        if (expanded) tree.toggle(r.path);
        else if (r.level > 1) moveTo(parentOf(r.path));
        break;
      case "Enter":
      case " ":
        open(r);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  if (tree.dirs[""]?.entries?.length === 0) return <p className="px-4 py-2 text-xs text-zinc-500">{t("files.emptyTree")}</p>;

  return (
    <ul role="tree" aria-label={t("files.tree")} className="py-1 text-sm">
      {rows.map((r) => {
        const indent = { paddingLeft: `${0.5 + (r.level - 1) * 0.9}rem` };
        if (r.kind === "loading")
          return (
            <li key={r.path} role="none" style={indent} className="py-1 pl-6 text-xs text-zinc-400">
              {t("files.loading")}
            </li>
          );
        if (r.kind === "error")
          return (
            <li key={r.path} role="none" style={indent} className="py-1 text-xs break-words text-red-600 dark:text-red-400">
              {r.message}
            </li>
          );
        const isDir = r.kind === "dir";
        const expanded = isDir && tree.expanded.has(r.path);
        const sel = r.path === selected;
        return (
          <li
            key={r.path}
            ref={(el) => {
              if (el) refs.current.set(r.path, el);
              else refs.current.delete(r.path);
            }}
            role="treeitem"
            aria-level={r.level}
            aria-expanded={isDir ? expanded : undefined}
            aria-selected={sel}
            tabIndex={r.path === tabbable ? 0 : -1}
            onFocus={() => setFocus(r.path)}
            onClick={() => open(r)}
            onKeyDown={(e) => onKeyDown(e, r)}
            style={indent}
            title={r.path}
            className={`mx-1 flex h-7 cursor-pointer items-center gap-1.5 rounded pr-2 select-none focus-visible:outline-2 focus-visible:-outline-offset-2 ${
              sel
                ? "bg-indigo-50 font-medium text-indigo-800 dark:bg-indigo-950/70 dark:text-indigo-200"
                : "text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
            } ${r.name.startsWith(".") ? "opacity-70" : ""}`}
          >
            {isDir ? <Chevron open={expanded} /> : <span className="w-3.5 shrink-0" />}
            {isDir ? <FolderIcon open={expanded} /> : <FileIcon />}
            <span className="truncate">{r.name}</span>
          </li>
        );
      })}
    </ul>
  );
}
