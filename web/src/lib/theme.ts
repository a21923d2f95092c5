// Light and dark themes: the user's choice, else the system's.

import { create } from "zustand";

export type Theme = "light" | "dark";
const KEY = "arranger.theme";

function initial(): Theme {
  const saved = localStorage.getItem(KEY);
  if (saved === "light" || saved === "dark") return saved;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export const useTheme = create<{ theme: Theme }>(() => ({ theme: initial() }));

export function applyTheme(t: Theme): void {
  document.documentElement.classList.toggle("dark", t === "dark");
}

export function setTheme(t: Theme): void {
  localStorage.setItem(KEY, t);
  applyTheme(t);
  useTheme.setState({ theme: t });
}
