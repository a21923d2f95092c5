import { useT } from "../i18n";

/** An agent's reasoning, collapsed under "Thinking". */
export function Thinking({ text, open = false }: { text: string; open?: boolean }) {
  const t = useT();
  if (!text.trim()) return null;
  return (
    <details open={open} className="group">
      <summary className="cursor-pointer text-xs font-medium text-zinc-500 select-none hover:text-zinc-800 dark:hover:text-zinc-200">
        {t("step.thinking")}
      </summary>
      <p className="mt-1 border-l-2 border-zinc-200 pl-3 text-sm whitespace-pre-wrap text-zinc-600 italic dark:border-zinc-700 dark:text-zinc-400">{text}</p>
    </details>
  );
}
