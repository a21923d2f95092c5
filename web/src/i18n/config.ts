// Strings of the config views.
export const en = {};

export const zh: Record<keyof typeof en, string> = {};
