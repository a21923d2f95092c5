import { setLang, useLang, useT, type Lang } from "../i18n";
import { setTheme, useTheme } from "../lib/theme";

/** Language and theme switches. */
export function Prefs({ compact = false }: { compact?: boolean }) {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const theme = useTheme((s) => s.theme);
  return (
    <div className={`flex items-center gap-2 ${compact ? "" : "text-xs"}`}>
      <label className="sr-only" htmlFor="lang-select">
        {t("lang.label")}
      </label>
      <select
        id="lang-select"
        value={lang}
        onChange={(e) => setLang(e.target.value as Lang)}
        className="rounded border border-zinc-300 bg-transparent px-1 py-0.5 text-xs dark:border-zinc-700"
      >
        <option value="en">English</option>
        <option value="zh">简体中文</option>
      </select>
      <button
        type="button"
        onClick={() => setTheme(theme === "dark" ? "light" : "dark")}
        aria-label={t("theme.toggle")}
        title={t("theme.toggle")}
        className="rounded border border-zinc-300 px-1.5 py-0.5 text-xs dark:border-zinc-700"
      >
        {theme === "dark" ? "☾" : "☀"}
      </button>
    </div>
  );
}
