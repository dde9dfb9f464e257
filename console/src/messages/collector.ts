/** Messages of the collector's loan work: actions, promises, notices, live updates. */
export const en = {};

export const zh: Record<keyof typeof en, string> = {};
