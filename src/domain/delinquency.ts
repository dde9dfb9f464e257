/**
 * Lateness, collection buckets and classification (docs/ledger-rules.md, "Lateness").
 * Day counts are bigint because they are derived from chain time.
 */
import { BUCKET_DAYS, DAY } from "./constants";
import { InvalidArgumentError } from "./errors";
import { floorDiv } from "./rounding";
import {
  BUCKET_LABELS,
  Bucket,
  Classification,
  LoanStatus,
  type BucketLabel,
  type ClassificationThresholds,
} from "./types";

/**
 * Whole days installment due at `dueDate` is late at time `t`:
 * `t > dueDate ? floor((t - dueDate) / DAY) : 0`. Floor: a day counts only when complete.
 */
export function daysLate(dueDate: bigint, t: bigint): bigint {
  return t > dueDate ? floorDiv(t - dueDate, DAY) : 0n;
}

/** Days of default interest: `max(0, daysLate - graceDays)`. */
export function penaltyDays(dueDate: bigint, t: bigint, graceDays: number | bigint): bigint {
  const grace = BigInt(graceDays);
  if (grace < 0n) throw new InvalidArgumentError("graceDays", "must be non-negative");
  const late = daysLate(dueDate, t);
  return late > grace ? late - grace : 0n;
}

/** The last bucket, M7+: every DPD above the six 30-day bands. */
const LAST_BUCKET = BigInt(Bucket.M7);

/** Collection bucket of a DPD: 0 M0, 1-30 M1, 31-60 M2, ... 151-180 M6, over 180 M7 ("M7+"). */
export function bucketOf(dpd: bigint): Bucket {
  if (dpd < 0n) throw new InvalidArgumentError("dpd", "must be non-negative");
  // ceil(dpd / 30) puts 1..30 in 1, 31..60 in 2, ...; everything above 180 shares bucket 7.
  const b = (dpd + BUCKET_DAYS - 1n) / BUCKET_DAYS;
  return Number(b > LAST_BUCKET ? LAST_BUCKET : b) as Bucket;
}

/** The DPD range of a bucket, both ends included; `max` is null for M7+ (no upper end). */
export interface BucketDpdRange {
  readonly min: bigint;
  readonly max: bigint | null;
}

/**
 * The DPDs {@link bucketOf} puts in `bucket`: M0 0..0, M1 1..30, ..., M6 151..180, M7+ 181 and up.
 * Filters by bucket use it (as a due-date range), so they select what bucketOf would.
 */
export function bucketDpdRange(bucket: Bucket): BucketDpdRange {
  if (!Number.isInteger(bucket) || bucket < Bucket.M0 || bucket > Bucket.M7) throw new InvalidArgumentError("bucket", `unknown ${String(bucket)}`);
  const b = BigInt(bucket);
  if (b === 0n) return { min: 0n, max: 0n };
  return { min: (b - 1n) * BUCKET_DAYS + 1n, max: b === LAST_BUCKET ? null : b * BUCKET_DAYS };
}

/** Display label of a bucket ("M0".."M6", "M7+"). */
export function bucketLabel(bucket: Bucket): BucketLabel {
  const label = BUCKET_LABELS[bucket];
  if (label === undefined) throw new InvalidArgumentError("bucket", `unknown ${String(bucket)}`);
  return label;
}

/**
 * Classification of a loan with `dpd` days past due under `thresholds`:
 * 0 Normal; >= 1 SpecialMention; > substandard Substandard; > doubtful Doubtful; > loss Loss.
 * A written-off loan is Loss and a closed or settled loan Normal, whatever the DPD.
 */
export function classify(
  dpd: bigint,
  thresholds: ClassificationThresholds,
  status: LoanStatus = LoanStatus.Active,
): Classification {
  if (status === LoanStatus.WrittenOff) return Classification.Loss;
  if (status === LoanStatus.Closed || status === LoanStatus.Settled) return Classification.Normal;
  if (dpd > BigInt(thresholds.lossAfterDays)) return Classification.Loss;
  if (dpd > BigInt(thresholds.doubtfulAfterDays)) return Classification.Doubtful;
  if (dpd > BigInt(thresholds.substandardAfterDays)) return Classification.Substandard;
  return dpd >= 1n ? Classification.SpecialMention : Classification.Normal;
}
