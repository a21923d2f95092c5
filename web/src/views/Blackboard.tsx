/** Blackboard (to be built). */
export function Blackboard({ session }: { session: string }) {
  return <p className="p-6 text-sm text-zinc-500">{String(session)}</p>;
}
