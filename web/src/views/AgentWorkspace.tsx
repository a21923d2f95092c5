/** AgentWorkspace (to be built). */
export function AgentWorkspace({ agent }: { agent: string | null }) {
  return <p className="p-6 text-sm text-zinc-500">{String(agent)}</p>;
}
