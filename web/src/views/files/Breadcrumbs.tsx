// Where the shown file or folder is: Workspace / a / b / file.

import { useT } from "../../i18n";
import { navigate } from "../../lib/router";
import { fileUrl } from "./paths";

/** Breadcrumbs of `path`; every part but the last opens its folder. */
export function Breadcrumbs({ path }: { path: string }) {
  const t = useT();
  const parts = path.split("/").filter(Boolean);
  const crumbs = [{ name: t("files.root"), path: "" }, ...parts.map((p, i) => ({ name: p, path: parts.slice(0, i + 1).join("/") }))];
  return (
    <nav aria-label={t("files.breadcrumbs")} className="min-w-0">
      <ol className="flex min-w-0 flex-wrap items-center gap-1 text-sm">
        {crumbs.map((c, i) => {
          const last = i === crumbs.length - 1;
          return (
            <li key={c.path} className="flex min-w-0 items-center gap-1">
              {i > 0 && (
                <span aria-hidden className="text-zinc-400">
                  /
                </span>
              )}
              {last ? (
                <span aria-current="page" className="truncate font-semibold">
                  {c.name}
                </span>
              ) : (
                <a
                  href={fileUrl(c.path)}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(fileUrl(c.path));
                  }}
                  className="truncate text-indigo-700 hover:underline dark:text-indigo-300"
                >
                  {c.name}
                </a>
              )}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
