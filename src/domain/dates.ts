/**
 * Calendar arithmetic in integers: civil dates <-> unix seconds with the
 * days-from-civil algorithm (proleptic Gregorian, UTC), and due-date generation
 * with month-end clamping. No `Date.now`, no floating point.
 */
import { DAY, MONTHS_PER_PERIOD } from "./constants";
import { InvalidArgumentError } from "./errors";
import type { Frequency } from "./types";

/** A calendar date (month 1..12, day 1..31). */
export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** True in a Gregorian leap year. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in `month` (1..12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil). */
export function daysFromCivil({ year, month, day }: CivilDate): bigint {
  const y = BigInt(month <= 2 ? year - 1 : year);
  const era = (y >= 0n ? y : y - 399n) / 400n;
  const yoe = y - era * 400n;
  const m = BigInt(month);
  const doy = (153n * (m > 2n ? m - 3n : m + 9n) + 2n) / 5n + BigInt(day) - 1n;
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy;
  return era * 146_097n + doe - 719_468n;
}

/** Civil date of a day count since 1970-01-01 (H. Hinnant's civil_from_days). */
export function civilFromDays(days: bigint): CivilDate {
  const z = days + 719_468n;
  const era = (z >= 0n ? z : z - 146_096n) / 146_097n;
  const doe = z - era * 146_097n;
  const yoe = (doe - doe / 1_460n + doe / 36_524n - doe / 146_096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const day = Number(doy - (153n * mp + 2n) / 5n + 1n);
  const month = Number(mp < 10n ? mp + 3n : mp - 9n);
  const year = Number(yoe + era * 400n) + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

/** Floor division for possibly negative seconds (calendar only; never money). */
function floorDays(seconds: bigint): bigint {
  const q = seconds / DAY;
  return seconds % DAY < 0n ? q - 1n : q;
}

/**
 * Parses "YYYY-MM-DD" (a real calendar date, years 1970..9999) to 00:00:00 UTC in unix seconds.
 * @throws InvalidArgumentError on any other shape or an impossible date (2023-02-29).
 */
export function parseIsoDate(value: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) throw new InvalidArgumentError("date", `expected YYYY-MM-DD, got "${value}"`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new InvalidArgumentError("date", `"${value}" is not a calendar date from 1970 on`);
  }
  return daysFromCivil({ year, month, day }) * DAY;
}

/**
 * Parses an ISO-8601 UTC timestamp "YYYY-MM-DDTHH:MM:SS[.fff]Z" (or a bare date)
 * to unix seconds. Fractions of a second must be zero: chain time is whole seconds.
 * @throws InvalidArgumentError otherwise.
 */
export function parseIsoTimestamp(value: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z)?$/.exec(value);
  if (!m) throw new InvalidArgumentError("timestamp", `expected ISO-8601 UTC, got "${value}"`);
  const [h, min, s] = [Number(m[2] ?? 0), Number(m[3] ?? 0), Number(m[4] ?? 0)];
  if (h > 23 || min > 59 || s > 59 || /[1-9]/.test(m[5] ?? "")) {
    throw new InvalidArgumentError("timestamp", `"${value}" is not a whole-second UTC time`);
  }
  return parseIsoDate(m[1]!) + BigInt(h * 3600 + min * 60 + s);
}

/** Formats unix seconds as ISO-8601 UTC, identical to `Date.prototype.toISOString` ("2025-01-31T00:00:00.000Z"). */
export function toIsoString(seconds: bigint): string {
  const days = floorDays(seconds);
  const { year, month, day } = civilFromDays(days);
  const sod = Number(seconds - days * DAY);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const yyyy = year >= 0 && year <= 9999 ? p(year, 4) : (year < 0 ? "-" : "+") + p(Math.abs(year), 6);
  return `${yyyy}-${p(month)}-${p(day)}T${p(Math.floor(sod / 3600))}:${p(Math.floor(sod / 60) % 60)}:${p(sod % 60)}.000Z`;
}

/**
 * The date `months` calendar months after `anchor`, keeping the anchor's day
 * and clamping it to the target month's last day (Jan 31 + 1 = Feb 28/29,
 * Jan 31 + 2 = Mar 31: clamping never drifts because it starts from the anchor).
 */
export function addMonthsClamped(anchor: CivilDate, months: number): CivilDate {
  const index = anchor.year * 12 + (anchor.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return { year, month, day: Math.min(anchor.day, daysInMonth(year, month)) };
}

/**
 * `count` due dates in unix seconds: 00:00:00 UTC on `firstDue` ("YYYY-MM-DD"),
 * then the same day of month every 1 (monthly) or 3 (quarterly) months, clamped.
 */
export function dueDates(firstDue: string, count: number, frequency: Frequency): bigint[] {
  const anchor = civilFromDays(parseIsoDate(firstDue) / DAY);
  if (!Object.hasOwn(MONTHS_PER_PERIOD, frequency)) {
    throw new InvalidArgumentError("frequency", `unknown "${String(frequency)}"`);
  }
  const step = MONTHS_PER_PERIOD[frequency];
  return Array.from({ length: count }, (_, k) => daysFromCivil(addMonthsClamped(anchor, k * step)) * DAY);
}
