/** ConfigCenter (to be built). */
export function ConfigCenter({ section }: { section: string | null }) {
  return <p className="p-6 text-sm text-zinc-500">{String(section)}</p>;
}
