/**
 * Amounts and dates as a notice prints them. Amounts go from bigint minor units to a decimal
 * string built digit by digit (never a float), and that string to Intl.NumberFormat, which formats
 * decimal strings exactly (ECMA-402's "Intl.NumberFormat v3", in Node 20): 2^64 wei prints as
 * 18.446744073709551616, not 18.446744073709552. Dates are Intl.DateTimeFormat in the borrower's
 * IANA time zone and the notice's language.
 */
import { TemplateError } from "../errors";
import type { NoticeCurrency } from "./data";

/** The five-category classification by its on-chain value (as the API names them). */
export const CLASSIFICATION_NAMES = ["normal", "special_mention", "substandard", "doubtful", "loss"] as const;
export type ClassificationName = (typeof CLASSIFICATION_NAMES)[number];

/** Largest token decimals accepted (uint256 has 78 digits; Intl formats up to 100 fraction digits). */
export const MAX_TOKEN_DECIMALS = 77;

/**
 * `minor` / 10^digits as a plain decimal string, exactly: 123456n, 2 → "1234.56"; 5n, 3 → "0.005";
 * 7n, 0 → "7".
 */
export function decimalString(minor: bigint, digits: number): string {
  if (minor < 0n) throw new TemplateError(`amount ${minor} is negative`);
  if (digits === 0) return minor.toString();
  const s = minor.toString().padStart(digits + 1, "0");
  return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/** Minor-unit digits of an ISO 4217 code as Intl knows them (CNY 2, JPY 0, BHD 3). */
export function currencyDigits(code: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch (err) {
    throw new TemplateError(`currency "${code}" is not an ISO 4217 code`, { cause: err });
  }
}

/** Minor-unit digits of a currency or token. */
export function digitsOf(currency: NoticeCurrency): number {
  if ("code" in currency) return currencyDigits(currency.code);
  if (!Number.isInteger(currency.decimals) || currency.decimals < 0 || currency.decimals > MAX_TOKEN_DECIMALS) {
    throw new TemplateError(`token ${currency.symbol}: decimals must be an integer from 0 to ${MAX_TOKEN_DECIMALS}, not ${currency.decimals}`);
  }
  return currency.decimals;
}

const numberFormats = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = numberFormats.get(key);
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(locale, options)));
  return f;
}

/**
 * An amount in `locale`: an ISO currency with its symbol and all its minor digits ("¥1,234.50",
 * "CN¥1,234.50", "¥1,235" for JPY); a token's number with at least two and at most all its
 * decimals, trailing zeros dropped ("1,234.50", "0.000000000000000001"); the caller places the
 * token's symbol with the language's pattern.
 */
export function formatAmount(minor: bigint, currency: NoticeCurrency, locale: string): string {
  const digits = digitsOf(currency);
  const text = decimalString(minor, digits) as unknown as number; // a decimal string: formatted exactly (see the module comment)
  if ("code" in currency) {
    return numberFormat(locale, { style: "currency", currency: currency.code, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(text);
  }
  return numberFormat(locale, { minimumFractionDigits: Math.min(2, digits), maximumFractionDigits: digits }).format(text);
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** A chain time (seconds) as a long date in `timeZone`: "March 1, 2024", "2024年3月1日". */
export function formatDate(seconds: bigint, locale: string, timeZone: string): string {
  const key = `${locale}|${timeZone}`;
  let f = dateFormats.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(locale, { timeZone, dateStyle: "long" });
    } catch (err) {
      throw new TemplateError(`time zone "${timeZone}" is not an IANA time zone`, { cause: err });
    }
    dateFormats.set(key, f);
  }
  if (seconds < 0n || seconds > 8_640_000_000_000n) throw new TemplateError(`time ${seconds} is out of range`);
  return f.format(new Date(Number(seconds) * 1000));
}

/** A classification's name, from its on-chain value or its name. */
export function classificationName(v: number | ClassificationName): ClassificationName {
  const name = typeof v === "number" ? CLASSIFICATION_NAMES[v] : CLASSIFICATION_NAMES.find((n) => n === v);
  if (!name) throw new TemplateError(`classification ${JSON.stringify(v)} is not one of 0..4 or ${CLASSIFICATION_NAMES.join(", ")}`);
  return name;
}
