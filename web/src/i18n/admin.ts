// Strings of the admin views.
export const en = {};

export const zh: Record<keyof typeof en, string> = {};
