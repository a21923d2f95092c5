// A folder's entries as a table (the main pane when a folder is selected).

import { useMemo } from "react";
import { useLang, useT } from "../../i18n";
import { navigate } from "../../lib/router";
import type { DirState } from "./useTree";
import { FileIcon, FolderIcon } from "./icons";
import { fileUrl, formatSize, joinPath } from "./paths";

/** The entries of folder `path`, linking to each. */
export function DirListing({ path, state }: { path: string; state: DirState | undefined }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const fmt = useMemo(
    () => new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en", { dateStyle: "medium", timeStyle: "short" }),
    [lang],
  );
  if (!state) return <p className="p-6 text-sm text-zinc-500">{t("files.loading")}</p>;
  if (state.error && !state.entries)
    return (
      <p role="alert" className="p-6 text-sm text-red-700 dark:text-red-300">
        {state.error}
      </p>
    );
  const entries = state.entries ?? [];
  if (entries.length === 0)
    return <p className="p-6 text-sm text-zinc-500">{path ? t("files.emptyDir") : t("files.emptyWorkspace")}</p>;
  return (
    <div className="min-h-0 flex-1 overflow-auto p-4">
      <table className="w-full text-sm">
        <caption className="sr-only">{path || t("files.root")}</caption>
        <thead>
          <tr className="border-b border-zinc-200 text-left text-xs text-zinc-500 uppercase dark:border-zinc-800">
            <th scope="col" className="py-1.5 pr-3 font-medium">
              {t("files.name")}
            </th>
            <th scope="col" className="w-28 py-1.5 pr-3 text-right font-medium">
              {t("files.size")}
            </th>
            <th scope="col" className="w-48 py-1.5 font-medium">
              {t("files.modified")}
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => {
            const p = joinPath(path, e.name);
            return (
              <tr key={e.name} className="border-b border-zinc-100 last:border-0 hover:bg-zinc-50 dark:border-zinc-800/60 dark:hover:bg-zinc-900">
                <td className="py-1.5 pr-3">
                  <a
                    href={fileUrl(p)}
                    onClick={(ev) => {
                      ev.preventDefault();
                      navigate(fileUrl(p));
                    }}
                    className="flex w-fit items-center gap-2 hover:underline"
                  >
                    {e.kind === "dir" ? <FolderIcon /> : <FileIcon />}
                    {e.name}
                  </a>
                </td>
                <td className="py-1.5 pr-3 text-right text-zinc-500 tabular-nums">{e.kind === "dir" ? "" : formatSize(e.size)}</td>
                <td className="py-1.5 text-zinc-500">{e.modified ? fmt.format(e.modified) : ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
