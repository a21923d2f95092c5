// Syntax highlighting of file content, with the languages components/Markdown registers.

import hljs from "highlight.js/lib/core";
import "../../components/Markdown"; // registers its languages (and their colours) on hljs

const BY_EXT: Record<string, string> = {
  h: "c",
  hpp: "cpp",
  hh: "cpp",
  cc: "cpp",
  cxx: "cpp",
  cjs: "javascript",
  jsonc: "json",
  md: "markdown",
  markdown: "markdown",
  toml: "toml",
  cfg: "toml",
  conf: "toml",
  bash: "bash",
  htm: "xml",
  xhtml: "xml",
  mts: "typescript",
  cts: "typescript",
  lock: "toml",
};

const BY_NAME: Record<string, string> = {
  "Cargo.lock": "toml",
  ".bashrc": "bash",
  ".profile": "bash",
  ".bash_profile": "bash",
  ".gitconfig": "toml",
};

/** The highlight.js language of a file name, if one is registered. */
export function languageOf(name: string): string | null {
  if (BY_NAME[name]) return BY_NAME[name];
  const dot = name.lastIndexOf(".");
  if (dot <= 0 && !name.startsWith(".")) return null;
  const ext = name.slice(dot + 1).toLowerCase();
  const lang = BY_EXT[ext] ?? ext;
  return hljs.getLanguage(lang) ? lang : null;
}

/** The display name of a language ("Rust"). */
export function languageName(lang: string): string {
  return hljs.getLanguage(lang)?.name ?? lang;
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Highlighted HTML of `text` (escaped, never raw), plain when the language is unknown. */
export function highlight(text: string, lang: string | null): string {
  if (!lang) return escape(text);
  try {
    return hljs.highlight(text, { language: lang, ignoreIllegals: true }).value;
  } catch {
    return escape(text);
  }
}
