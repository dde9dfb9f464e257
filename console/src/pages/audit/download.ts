/** The text the CLI writes for a bundle (`JSON.stringify(bundle, null, 2)` and a newline), so a download equals `evidence export`'s file. */
export const asCliWrites = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
