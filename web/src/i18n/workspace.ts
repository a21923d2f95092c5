// Strings of the terminal panel and the file browser.
export const en = {};

export const zh: Record<keyof typeof en, string> = {};
