// Workspace paths ("" is the root, "/"-separated) and their place in the URL (/files/<path>).

/** The directory holding `path` ("" for top-level entries). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** The last component of `path`. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** `dir`/`name`. */
export function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/** Every directory above `path`, the root first: "a/b/c" → ["", "a", "a/b"]. */
export function ancestors(path: string): string[] {
  const out = [""];
  const parts = path.split("/").filter(Boolean);
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join("/"));
  return out;
}

/** Whether `path` is `dir` or inside it. */
export function within(path: string, dir: string): boolean {
  return dir === "" || path === dir || path.startsWith(`${dir}/`);
}

/** The URL of a workspace path. */
export function fileUrl(path: string): string {
  return path ? `/files/${path.split("/").map(encodeURIComponent).join("/")}` : "/files";
}

/** The workspace path of the part of the URL after /files/. */
export function pathFromUrl(raw: string): string {
  return raw
    .split("/")
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    })
    .join("/");
}

/** A size for people: 512 B, 3.4 KB, 1.2 MB. */
export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
