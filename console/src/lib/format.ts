/** Numbers and times for display: amounts stay exact (bigint); chain times in the viewer's zone. */

/** An integer amount in minor units, grouped for the language ("1,234,567"); exact for any size. */
export function formatMinor(amount: string, lang: string): string {
  return new Intl.NumberFormat(lang).format(BigInt(amount));
}

/** A chain timestamp (seconds) in the viewer's time zone. */
export function formatChainTime(seconds: number, lang: string): string {
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(seconds * 1000));
}

/** 0x1234…abcd */
export const shortAddress = (a: string) => (a.length > 12 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a);
