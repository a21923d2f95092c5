// A round initial for an author; agents get a colour of their own from their name.

const PALETTE = [
  "bg-sky-600",
  "bg-emerald-600",
  "bg-amber-600",
  "bg-rose-600",
  "bg-violet-600",
  "bg-teal-600",
  "bg-fuchsia-600",
  "bg-lime-700",
];

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}

/** The author's initial in a coloured circle (decorative: the name is always shown beside it). */
export function Avatar({ name, kind }: { name: string; kind: "user" | "agent" | "manager" }) {
  const colour =
    kind === "user" ? "bg-indigo-600" : kind === "manager" ? "bg-zinc-800 dark:bg-zinc-600" : PALETTE[hash(name) % PALETTE.length];
  const initial = Array.from(name.trim())[0]?.toUpperCase() ?? "?";
  return (
    <span
      aria-hidden
      className={`flex h-9 w-9 shrink-0 items-center justify-center rounded-lg text-sm font-semibold text-white select-none ${colour}`}
    >
      {initial}
    </span>
  );
}
