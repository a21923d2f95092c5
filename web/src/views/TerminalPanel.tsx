/** Terminal panel (to be built). */
export default function TerminalPanel() {
  return <p className="p-6 text-sm text-zinc-500">terminal</p>;
}
