/** TaskBoard (to be built). */
export function TaskBoard({ task }: { task: string | null }) {
  return <p className="p-6 text-sm text-zinc-500">{String(task)}</p>;
}
