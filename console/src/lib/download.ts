/** Downloads from the console: bytes it fetched or built, saved through a Blob URL. */

/**
 * Saves bytes the console fetched with the session's token (a plain link cannot send the bearer token)
 * or built itself (a CSV export).
 */
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
