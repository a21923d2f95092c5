/** Files (to be built). */
export function Files({ path }: { path: string }) {
  return <p className="p-6 text-sm text-zinc-500">{String(path)}</p>;
}
