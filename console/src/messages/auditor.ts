/** Messages of the auditor's evidence view and in-browser trail verification. */
export const en = {};

export const zh: Record<keyof typeof en, string> = {};
