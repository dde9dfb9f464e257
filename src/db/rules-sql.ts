/**
 * The lateness rules of src/domain/delinquency.ts (DPD, bucket, classification, the start of
 * default interest) as SQL, for the API's filters and aggregates. Each generator is built from
 * the domain's constants and enums and mirrors one domain function; test/db/rules-sql.test.ts
 * evaluates them on SQLite and PostgreSQL against those functions, so the two cannot drift.
 *
 * Integer arithmetic only, the same on both databases: a time enters as an integer literal, never
 * a bound parameter (better-sqlite3 binds a JS number as REAL, which would make `/` fractional:
 * half a day late would count as DPD 0.5, not 0), and due dates are integer (bigint) columns. `/`
 * then truncates toward zero on both, and it only ever divides a positive number, where
 * truncating is the domain's floor.
 */
import { sql, type Expression, type RawBuilder } from "kysely";
import {
  Bucket,
  bucketDpdRange,
  Classification,
  DAY,
  InvalidArgumentError,
  LoanStatus,
  type ClassificationThresholds,
} from "../domain";

const SEC_PER_DAY = Number(DAY);

/** due_key of a repaid loan (no installment left): above every due date, so its DPD is 0. */
const DUE_KEY_MAX = Number.MAX_SAFE_INTEGER;

/** An integer SQL literal (see the module comment for why not a parameter). */
function int(n: number | bigint, name = "value"): RawBuilder<number> {
  if (typeof n === "number" && !Number.isSafeInteger(n)) throw new InvalidArgumentError(name, `must be a safe integer, got ${n}`);
  return sql.lit(Number(n));
}

/**
 * Mirrors `daysLate(due, t)`: `case when due < t then (t - due) / DAY else 0 end`.
 * `t - due` is positive where it is divided, so truncation is floor: a day counts when complete.
 * A null `due` gives 0, as does the repaid sentinel (DUE_KEY_MAX).
 * @param due an integer column or expression of unix seconds (e.g. `loans.due_key`).
 * @param t unix seconds (a safe integer).
 */
export function dpd(due: Expression<unknown>, t: number): RawBuilder<number> {
  const at = int(t, "t");
  return sql<number>`case when ${due} < ${at} then (${at} - ${due}) / ${int(SEC_PER_DAY)} else 0 end`;
}

/**
 * Mirrors `bucketOf(dpd)` with the boundaries of {@link bucketDpdRange}:
 * `case when dpd <= 0 then 0 when dpd <= 30 then 1 ... when dpd <= 180 then 6 else 7 end`.
 * @param dpd a {@link dpd} expression (never negative); a null one falls into the last bucket.
 */
export function bucket(dpd: Expression<unknown>): RawBuilder<number> {
  const bounded = Object.values(Bucket).flatMap((b) => {
    const { max } = bucketDpdRange(b);
    return max === null ? [] : [sql`when ${dpd} <= ${int(max)} then ${int(b)}`];
  });
  return sql<number>`case ${sql.join(bounded, sql` `)} else ${int(Bucket.M7)} end`;
}

/** SQL expressions of a policy's classification thresholds (days; DPD strictly above each). */
export type ThresholdExpressions = { readonly [K in keyof ClassificationThresholds]: Expression<unknown> };

/** The thresholds of the `policies` row aliased `alias` in the query. */
export function policyThresholds(alias: string): ThresholdExpressions {
  return {
    substandardAfterDays: sql.ref(`${alias}.substandard_after_days`),
    doubtfulAfterDays: sql.ref(`${alias}.doubtful_after_days`),
    lossAfterDays: sql.ref(`${alias}.loss_after_days`),
  };
}

/**
 * Mirrors `classify(dpd, thresholds, status)`: written off is Loss and closed Normal
 * whatever the DPD; otherwise Loss, Doubtful, Substandard when DPD is strictly above the
 * threshold (checked from the highest), Special mention from 1 day, else Normal.
 * @param dpd a {@link dpd} expression.
 * @param thresholds e.g. {@link policyThresholds}`("p")`.
 * @param status the loan's status column; omitted, the loan is taken as open (classify's default).
 */
export function classification(dpd: Expression<unknown>, thresholds: ThresholdExpressions, status?: Expression<unknown>): RawBuilder<number> {
  const C = Classification;
  const byStatus = status
    ? sql`when ${status} = ${int(LoanStatus.WrittenOff)} then ${int(C.Loss)} when ${status} in (${int(LoanStatus.Closed)}, ${int(LoanStatus.Settled)}) then ${int(C.Normal)} `
    : sql``;
  return sql<number>`case ${byStatus}when ${dpd} > ${thresholds.lossAfterDays} then ${int(C.Loss)}
    when ${dpd} > ${thresholds.doubtfulAfterDays} then ${int(C.Doubtful)}
    when ${dpd} > ${thresholds.substandardAfterDays} then ${int(C.Substandard)}
    when ${dpd} >= 1 then ${int(C.SpecialMention)} else ${int(C.Normal)} end`;
}

/**
 * Mirrors `penaltyDays(due, t, graceDays) > 0` (default interest has started):
 * `due + (graceDays + 1) * DAY <= t`, i.e. daysLate > graceDays, without dividing.
 */
export function penaltyStarted(due: Expression<unknown>, t: number, graceDays: Expression<unknown>): RawBuilder<boolean> {
  return sql<boolean>`${due} + (${graceDays} + 1) * ${int(SEC_PER_DAY)} <= ${int(t, "t")}`;
}

/**
 * Inverts `daysLate`: the due_key bounds (both included) of the loans with
 * `minDpd <= DPD <= maxDpd` at `t`, for a range scan of the due_key index.
 * DPD >= min (min >= 1) iff due <= t - min*DAY; DPD <= max iff due > t - (max+1)*DAY. A min of
 * 0 takes every due key (the repaid sentinel included); a max beyond any date takes no lower bound.
 */
export function dueKeyRange(t: number, minDpd: number, maxDpd: number): { lo: number; hi: number } {
  const hi = minDpd <= 0 ? DUE_KEY_MAX : t - minDpd * SEC_PER_DAY;
  const lo = maxDpd >= Number.MAX_SAFE_INTEGER / SEC_PER_DAY ? Number.MIN_SAFE_INTEGER : t - (maxDpd + 1) * SEC_PER_DAY + 1;
  return { lo, hi };
}
