// English and Simplified Chinese. Each area keeps its own dictionary file; a Chinese
// dictionary must have exactly the English keys (the type checker says which are missing).

import { create } from "zustand";
import * as common from "./common";
import * as board from "./board";
import * as tasks from "./tasks";
import * as config from "./config";
import * as tools from "./tools";
import * as admin from "./admin";
import * as workspace from "./workspace";
import * as context from "./context";
import * as limits from "./limits";

const en = {
  ...common.en,
  ...board.en,
  ...tasks.en,
  ...config.en,
  ...tools.en,
  ...admin.en,
  ...workspace.en,
  ...context.en,
  ...limits.en,
};
const zh: Record<keyof typeof en, string> = {
  ...common.zh,
  ...board.zh,
  ...tasks.zh,
  ...config.zh,
  ...tools.zh,
  ...admin.zh,
  ...workspace.zh,
  ...context.zh,
  ...limits.zh,
};

export type Key = keyof typeof en;
export type Lang = "en" | "zh";
const dicts: Record<Lang, Record<Key, string>> = { en, zh };

const LANG_KEY = "arranger.lang";

function initialLang(): Lang {
  const saved = typeof localStorage !== "undefined" ? localStorage.getItem(LANG_KEY) : null;
  if (saved === "en" || saved === "zh") return saved;
  return typeof navigator !== "undefined" && navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

export const useLang = create<{ lang: Lang }>(() => ({ lang: initialLang() }));

export function setLang(lang: Lang): void {
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  useLang.setState({ lang });
}

/** Translates `key`, replacing `{name}` with `vars.name`. */
export function translate(lang: Lang, key: Key, vars?: Record<string, string | number>): string {
  let s = dicts[lang][key] ?? en[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

export type T = (key: Key, vars?: Record<string, string | number>) => string;

/** The translation function for the current language (re-renders when it changes). */
export function useT(): T {
  const lang = useLang((s) => s.lang);
  return (key, vars) => translate(lang, key, vars);
}
