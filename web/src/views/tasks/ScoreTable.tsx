import { useT } from "../../i18n";
import type { Score, Task } from "../../protocol.gen";

/** The Scheduler's weights (crates/team: scene 0.35, tags 0.30, load 0.20, success 0.15). */
export const WEIGHTS = { scene: 0.35, tags: 0.3, load: 0.2, success: 0.15 } as const;
const PARTS = ["scene", "tags", "load", "success"] as const;

function Cell({ value, weight }: { value: number; weight: number }) {
  return (
    <td className="px-2 py-1.5 text-right tabular-nums">
      <div className="flex items-center justify-end gap-2">
        <span aria-hidden className="hidden h-1.5 w-10 overflow-hidden rounded-full bg-zinc-200 sm:block dark:bg-zinc-800">
          <span className="block h-full rounded-full bg-indigo-500" style={{ width: `${Math.round(value * 100)}%` }} />
        </span>
        <span>{value.toFixed(2)}</span>
        <span className="text-[10px] text-zinc-400">→ {(value * weight).toFixed(2)}</span>
      </div>
    </td>
  );
}

/** The Scheduler's score of every candidate at the last assignment, the chosen one highlighted. */
export function ScoreTable({ task }: { task: Task }) {
  const t = useT();
  const scores: Score[] = task.scores ?? [];
  if (scores.length === 0) return <p className="text-sm text-zinc-500">{t("scores.none")}</p>;
  const chosen = task.assignee ?? scores.find((s) => !s.excluded)?.agent;
  return (
    <div className="space-y-2">
      <p className="text-xs text-zinc-500">{t("scores.formula")}</p>
      <div className="overflow-x-auto">
        <table className="w-full text-sm">
          <caption className="sr-only">{t("scores.caption")}</caption>
          <thead>
            <tr className="border-b border-zinc-200 text-xs text-zinc-500 dark:border-zinc-800">
              <th scope="col" className="px-2 py-1.5 text-left font-medium">
                {t("scores.agent")}
              </th>
              {PARTS.map((p) => (
                <th key={p} scope="col" className="px-2 py-1.5 text-right font-medium">
                  {t(`scores.${p}`)} <span className="font-normal text-zinc-400">×{WEIGHTS[p].toFixed(2)}</span>
                </th>
              ))}
              <th scope="col" className="px-2 py-1.5 text-right font-medium">
                {t("scores.total")}
              </th>
            </tr>
          </thead>
          <tbody>
            {scores.map((s) => {
              const isChosen = s.agent === chosen && !s.excluded;
              return (
                <tr
                  key={s.agent}
                  data-chosen={isChosen || undefined}
                  aria-current={isChosen ? "true" : undefined}
                  className={`border-b border-zinc-100 dark:border-zinc-800/60 ${
                    isChosen ? "bg-indigo-50 dark:bg-indigo-950/60" : s.excluded ? "text-zinc-400 dark:text-zinc-600" : ""
                  }`}
                >
                  <th scope="row" className="px-2 py-1.5 text-left font-medium">
                    <span className="flex flex-wrap items-center gap-1.5">
                      {s.name}
                      {isChosen && (
                        <span className="rounded-full bg-indigo-600 px-1.5 py-px text-[10px] font-semibold text-white uppercase">
                          {t("scores.chosen")}
                        </span>
                      )}
                    </span>
                    {s.excluded && <span className="block text-xs font-normal">{t("scores.excluded", { reason: s.excluded })}</span>}
                  </th>
                  {PARTS.map((p) => (
                    <Cell key={p} value={s[p]} weight={WEIGHTS[p]} />
                  ))}
                  <td className="px-2 py-1.5 text-right font-semibold tabular-nums">{s.total.toFixed(2)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
