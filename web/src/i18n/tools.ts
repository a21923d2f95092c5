// Strings of tool runs, diffs and the confirmation dialog.
export const en = {};

export const zh: Record<keyof typeof en, string> = {};
