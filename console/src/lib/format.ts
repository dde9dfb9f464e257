/** Numbers and times for display: amounts stay exact (bigint); chain times in the viewer's zone. */

const numberFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** One Intl.NumberFormat per language and options: building one costs far more than formatting (a queue formats hundreds). */
function numberFormat(lang: string, options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  const key = `${lang}|${JSON.stringify(options)}`;
  let f = numberFormats.get(key);
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(lang, options)));
  return f;
}

/** An integer amount in minor units, grouped for the language ("1,234,567"); exact for any size. */
export function formatMinor(amount: string, lang: string): string {
  return numberFormat(lang).format(BigInt(amount));
}

/** What a loan's amounts are in: an ISO 4217 currency, an ERC-20 token (symbol and decimals), or not known yet. */
export type Unit = { code: string } | { symbol: string; decimals: number } | null;

/** `minor` / 10^digits as a plain decimal string, exactly (no float): 123456n, 2 → "1234.56"; 5n, 3 → "0.005". */
export function decimalString(minor: bigint, digits: number): string {
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  if (digits === 0) return `${negative ? "-" : ""}${abs}`;
  const s = abs.toString().padStart(digits + 1, "0");
  return `${negative ? "-" : ""}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/**
 * An amount in minor units in its currency or token, exactly: Intl formats the decimal string digit
 * for digit (ECMA-402 NumberFormat v3), so 2^64 wei is 18.446744073709551616 TUSD, not a rounded float.
 * A currency shows all its minor digits ("CN¥1,234.50"); a token at least two and at most all its
 * decimals, then its symbol. Without a unit: the integer in minor units.
 */
export function formatAmount(amount: string, unit: Unit, lang: string): string {
  const minor = BigInt(amount);
  if (!unit) return formatMinor(amount, lang);
  try {
    if ("code" in unit) {
      const f = numberFormat(lang, { style: "currency", currency: unit.code });
      const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
      return f.format(decimalString(minor, digits) as Intl.StringNumericLiteral);
    }
    const f = numberFormat(lang, { minimumFractionDigits: Math.min(2, unit.decimals), maximumFractionDigits: unit.decimals });
    return `${f.format(decimalString(minor, unit.decimals) as Intl.StringNumericLiteral)} ${unit.symbol}`;
  } catch {
    // A unit Intl cannot format (a currency field that is no ISO code, a token with over 100 decimals): minor units, not a broken page.
    return formatMinor(amount, lang);
  }
}

/** A chain timestamp (seconds) in the viewer's time zone. */
export function formatChainTime(seconds: number, lang: string): string {
  let f = dateFormats.get(lang);
  if (!f) dateFormats.set(lang, (f = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" })));
  return f.format(new Date(seconds * 1000));
}

/** 0x1234…abcd */
export const shortAddress = (a: string) => (a.length > 12 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a);
