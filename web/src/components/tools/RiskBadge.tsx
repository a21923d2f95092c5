import { useT } from "../../i18n";
import type { Risk } from "../../protocol.gen";

/** Badge colours per risk level (High is red). */
export const RISK_STYLE: Record<Risk, string> = {
  low: "bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-950 dark:text-emerald-300 dark:ring-emerald-400/30",
  medium: "bg-amber-50 text-amber-900 ring-amber-600/30 dark:bg-amber-950 dark:text-amber-300 dark:ring-amber-400/30",
  high: "bg-red-50 text-red-800 ring-red-600/30 dark:bg-red-950 dark:text-red-300 dark:ring-red-400/40",
};

const DOT: Record<Risk, string> = { low: "bg-emerald-500", medium: "bg-amber-500", high: "bg-red-500" };

/** A risk level in words and colour. `short` says only the level ("High"). */
export function RiskBadge({ risk, short = false }: { risk: Risk; short?: boolean }) {
  const t = useT();
  return (
    <span
      data-risk={risk}
      className={`inline-flex shrink-0 items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${RISK_STYLE[risk]}`}
    >
      <span className={`h-1.5 w-1.5 rounded-full ${DOT[risk]}`} aria-hidden />
      {t(short ? `risk.level.${risk}` : `risk.${risk}`)}
    </span>
  );
}
