/**
 * zod schemas for the values operator files and flags carry: integers that may come as JSON
 * numbers or decimal strings (amounts become bigint), addresses, 32-byte hashes, dates. Each
 * failure message says what the value must be, to follow `field X: `.
 */
import { z } from "zod";
import { getAddress, isAddress, zeroAddress, type Address, type Hex } from "viem";
import { MAX_PART_EXCLUSIVE } from "../domain/constants";
import { parseIsoDate, parseIsoTimestamp } from "../domain/dates";

/** Integers as JSON numbers (safe integers only) or decimal strings. */
function integerText(v: unknown): string | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) ? String(v) : undefined;
  if (typeof v === "string" && /^-?(0|[1-9]\d*)$/.test(v.trim())) return v.trim();
  return undefined;
}

/** An amount in minor units, min..2^96-1, as bigint (numbers above 2^53 must be strings). */
export function amount(min = 0n, max = MAX_PART_EXCLUSIVE - 1n) {
  const what = min === 1n ? "a positive integer in minor units" : "a non-negative integer in minor units";
  return z.unknown().transform((v, ctx): bigint => {
    if (typeof v === "number" && Number.isInteger(v) && !Number.isSafeInteger(v)) {
      ctx.addIssue({ code: "custom", message: "is too large for a JSON number: write it as a string" });
      return z.NEVER;
    }
    const t = integerText(v);
    if (t === undefined || BigInt(t) < min) {
      ctx.addIssue({ code: "custom", message: v === undefined ? "is required" : `must be ${what}` });
      return z.NEVER;
    }
    if (BigInt(t) > max) {
      ctx.addIssue({ code: "custom", message: max === MAX_PART_EXCLUSIVE - 1n ? "must be below 2^96" : `must be at most ${max}` });
      return z.NEVER;
    }
    return BigInt(t);
  });
}

/** A small integer in [min, max] (bps, days, minutes), as number. */
export function int(min: number, max: number) {
  return z.unknown().transform((v, ctx): number => {
    const t = integerText(v);
    if (t === undefined || Number(t) < min || Number(t) > max) {
      ctx.addIssue({ code: "custom", message: v === undefined ? "is required" : `must be an integer from ${min} to ${max}` });
      return z.NEVER;
    }
    return Number(t);
  });
}

/** A 0x-prefixed 20-byte address (checksummed on output); `nonZero` refuses 0x000...0. */
export function address(opts: { nonZero?: boolean } = {}) {
  return z.unknown().transform((v, ctx): Address => {
    if (typeof v !== "string" || !isAddress(v, { strict: false })) {
      ctx.addIssue({ code: "custom", message: v === undefined ? "is required" : "must be a 0x-prefixed 20-byte hex address" });
      return z.NEVER;
    }
    if (opts.nonZero && v.toLowerCase() === zeroAddress) {
      ctx.addIssue({ code: "custom", message: "must not be the zero address" });
      return z.NEVER;
    }
    return getAddress(v);
  });
}

/** A 0x-prefixed 32-byte hex value. */
export const bytes32 = z.unknown().transform((v, ctx): Hex => {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(v)) {
    ctx.addIssue({ code: "custom", message: v === undefined ? "is required" : "must be 0x followed by 64 hex digits (a 32-byte hash)" });
    return z.NEVER;
  }
  return v.toLowerCase() as Hex;
});

/** An ISO-4217 currency code (three capital letters). */
export const currencyCode = z.string({ error: "must be an ISO-4217 code such as CNY" }).regex(/^[A-Z]{3}$/, "must be an ISO-4217 code such as CNY (three capital letters)");

/** A calendar date YYYY-MM-DD, kept as text (generators take it so). */
export const isoDate = z.string({ error: "must be a date YYYY-MM-DD" }).refine((s) => {
  try {
    parseIsoDate(s);
    return true;
  } catch {
    return false;
  }
}, "must be a calendar date YYYY-MM-DD (1970 or later)");

/** A time as unix seconds (integer) or ISO-8601 UTC ("2027-01-31" or "2027-01-31T10:00:00Z"), as bigint seconds. */
export const unixTime = z.unknown().transform((v, ctx): bigint => {
  const t = integerText(v);
  if (t !== undefined && !t.startsWith("-")) return BigInt(t);
  if (typeof v === "string") {
    try {
      return parseIsoTimestamp(v.trim());
    } catch {
      // fall through to the message
    }
  }
  ctx.addIssue({ code: "custom", message: v === undefined ? "is required" : "must be unix seconds or an ISO-8601 UTC time (2027-01-31 or 2027-01-31T10:00:00Z)" });
  return z.NEVER;
});
