/** Messages of the lender's dashboard, export and registration. */
export const en = {};

export const zh: Record<keyof typeof en, string> = {};
