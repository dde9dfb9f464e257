/** Saves bytes the console fetched with the session's token (a plain link cannot send the bearer token). */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has started from the URL by now; free it a little later (some browsers read it asynchronously).
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The text the CLI writes for a bundle (`JSON.stringify(bundle, null, 2)` and a newline), so a download equals `evidence export`'s file. */
export const asCliWrites = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
