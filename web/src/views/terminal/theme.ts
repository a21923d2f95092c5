// Terminal colours for the light and dark themes (xterm's ITheme).

import type { ITheme } from "@xterm/xterm";

/** Light: dark text on white, ANSI colours dark enough to read on it. */
export const LIGHT: ITheme = {
  background: "#ffffff",
  foreground: "#18181b",
  cursor: "#4f46e5",
  cursorAccent: "#ffffff",
  selectionBackground: "#c7d2fe",
  black: "#18181b",
  red: "#b91c1c",
  green: "#15803d",
  yellow: "#a16207",
  blue: "#1d4ed8",
  magenta: "#a21caf",
  cyan: "#0e7490",
  white: "#a1a1aa",
  brightBlack: "#52525b",
  brightRed: "#dc2626",
  brightGreen: "#16a34a",
  brightYellow: "#ca8a04",
  brightBlue: "#2563eb",
  brightMagenta: "#c026d3",
  brightCyan: "#0891b2",
  brightWhite: "#d4d4d8",
};

/** Dark: light text on near-black. */
export const DARK: ITheme = {
  background: "#09090b",
  foreground: "#e4e4e7",
  cursor: "#a5b4fc",
  cursorAccent: "#09090b",
  selectionBackground: "#3730a3",
  black: "#27272a",
  red: "#f87171",
  green: "#4ade80",
  yellow: "#facc15",
  blue: "#60a5fa",
  magenta: "#e879f9",
  cyan: "#22d3ee",
  white: "#d4d4d8",
  brightBlack: "#71717a",
  brightRed: "#fca5a5",
  brightGreen: "#86efac",
  brightYellow: "#fde047",
  brightBlue: "#93c5fd",
  brightMagenta: "#f0abfc",
  brightCyan: "#67e8f9",
  brightWhite: "#fafafa",
};
