import { useT } from "../../i18n";

const TONE = [
  "",
  "text-zinc-500 dark:text-zinc-400",
  "text-zinc-600 dark:text-zinc-300",
  "text-sky-700 dark:text-sky-300",
  "text-orange-700 dark:text-orange-300",
  "text-red-700 dark:text-red-400",
];

/** A priority (1 lowest – 5 highest) as "P4" with signal bars. */
export function Priority({ value }: { value: number }) {
  const t = useT();
  const p = Math.min(5, Math.max(1, Math.round(value)));
  return (
    <span className={`inline-flex items-center gap-1 font-medium ${TONE[p]}`} title={t("tasks.priorityN", { n: p })}>
      <span aria-hidden className="flex h-2.5 items-end gap-px">
        {[1, 2, 3, 4, 5].map((i) => (
          <span key={i} className={`w-0.5 rounded-sm ${i <= p ? "bg-current" : "bg-zinc-300 dark:bg-zinc-700"}`} style={{ height: `${i * 2}px` }} />
        ))}
      </span>
      <span aria-hidden>P{p}</span>
      <span className="sr-only">{t("tasks.priorityN", { n: p })}</span>
    </span>
  );
}
