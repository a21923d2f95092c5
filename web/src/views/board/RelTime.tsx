import { useLang, useT } from "../../i18n";
import { fullTime, relativeTime, useNow } from "./time";

/** A relative time ("5 min ago") that stays current, with the full time as its title. */
export function RelTime({ at, className = "" }: { at: number; className?: string }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const now = useNow();
  return (
    <time dateTime={new Date(at).toISOString()} title={fullTime(at, lang)} className={className}>
      {relativeTime(at, now, lang, t)}
    </time>
  );
}
