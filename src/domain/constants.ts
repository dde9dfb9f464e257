/**
 * Constants shared by every money and time computation in Duetrail.
 * They mirror the Solidity constants in LoanLedger (see docs/ledger-rules.md).
 */

/** Seconds in a day; lateness is counted in whole days of this length. */
export const DAY = 86_400n;
/** {@link DAY} as a number, for server-clock durations and database integers. */
export const DAY_SECONDS = 86_400;

/** Basis points in one (100% = 10_000 bps). */
export const BPS = 10_000n;

/** Days in the ACT/365 year used for default interest. */
export const DAYS_PER_YEAR = 365n;

/** `BPS * DAYS_PER_YEAR`: the denominator of a per-day rate expressed in bps per year. */
export const YEAR_BPS = 3_650_000n;

/** A schedule has 1..MAX_INSTALLMENTS installments; equals LoanLedger's public MAX_INSTALLMENTS (test/contracts/LoanLedger.registration.test.ts). */
export const MAX_INSTALLMENTS = 600;

/** Each principal and interest part, and the principal sum, must be strictly below this (uint96 on chain). */
export const MAX_PART_EXCLUSIVE = 1n << 96n;

/** Due dates must be strictly below this (uint40 seconds on chain). */
export const MAX_DUE_DATE_EXCLUSIVE = 1n << 40n;

/** A policy lists at most this many reminder stages. */
export const MAX_REMINDER_STAGES = 15;

/** Reminder offsets must lie in [MIN_OFFSET_DAYS, MAX_OFFSET_DAYS] (int16 on chain, policy check). */
export const MIN_OFFSET_DAYS = -365;
export const MAX_OFFSET_DAYS = 3650;

/** A policy's grace period is at most this many days. */
export const MAX_GRACE_DAYS = 90;

/** Largest value of the contract's uint16 policy and rate fields. */
export const MAX_UINT16 = 65_535;

/**
 * The domain's on-time streak saturates here. The contract keeps the streak in two bits and
 * saturates at 3 (LoanBits.MAX_STREAK); both agree on all the streak decides, since only
 * `streak >= OBSERVATION_ON_TIME_INSTALLMENTS` is ever read. The indexer stores this count
 * (loans.on_time_streak), so it stays 255.
 */
export const MAX_ON_TIME_STREAK = 255;

/** Consecutive on-time installments a restructured loan needs before its observation ends. */
export const OBSERVATION_ON_TIME_INSTALLMENTS = 2;

/** Time that must pass after a restructuring before its observation can end (365 days). */
export const OBSERVATION_PERIOD = 365n * DAY;

/** Default grace period in days before default interest starts. */
export const DEFAULT_GRACE_DAYS = 3;

/** Default reminder offsets in days relative to each due date. */
export const DEFAULT_REMINDER_OFFSETS_DAYS: readonly number[] = Object.freeze([-3, 1, 7, 15, 30, 60, 90]);

/** Default classification thresholds (DPD strictly above each). */
export const DEFAULT_SUBSTANDARD_AFTER_DAYS = 90;
export const DEFAULT_DOUBTFUL_AFTER_DAYS = 270;
export const DEFAULT_LOSS_AFTER_DAYS = 360;

/** Default DPD after which a loan is in default. */
export const DEFAULT_DEFAULT_AFTER_DAYS = 90;

/** Days of DPD in each collection bucket M1..M6 (LoanMath.bucketOf's 30-day bands; over 6 bands is M7+). */
export const BUCKET_DAYS = 30n;

/** Periods per year for each schedule frequency. */
export const PERIODS_PER_YEAR = Object.freeze({ monthly: 12n, quarterly: 4n } as const);

/** Calendar months between due dates for each schedule frequency. */
export const MONTHS_PER_PERIOD = Object.freeze({ monthly: 1, quarterly: 3 } as const);
