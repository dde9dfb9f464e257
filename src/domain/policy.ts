/**
 * Validation of a lender's collection policy, as LoanLedger's setPolicy checks it.
 */
import { MAX_GRACE_DAYS, MAX_OFFSET_DAYS, MAX_PART_EXCLUSIVE, MAX_REMINDER_STAGES, MAX_UINT16, MIN_OFFSET_DAYS } from "./constants";
import { InvalidPolicyError } from "./errors";
import type { Policy } from "./types";

/** An integer that fits the contract's uint16 fields. */
export function isUint16(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= MAX_UINT16;
}

/**
 * Checks a policy as the contract's setPolicy does: graceDays <= 90; uint16 rates and days;
 * late fee in [0, 2^96); thresholds 0 < substandard < doubtful < loss; defaultAfterDays > 0;
 * at most 15 strictly increasing reminder offsets in [-365, 3650].
 * (penaltyRateBps against the legal cap is checked by {@link makeTerms}.)
 * @throws InvalidPolicyError naming the first bad field.
 */
export function validatePolicy(policy: Policy): void {
  for (const f of ["graceDays", "penaltyRateBps", "substandardAfterDays", "doubtfulAfterDays", "lossAfterDays", "defaultAfterDays"] as const) {
    if (!isUint16(policy[f])) throw new InvalidPolicyError(f, "must be an integer in [0, 65535]");
  }
  if (policy.graceDays > MAX_GRACE_DAYS) throw new InvalidPolicyError("graceDays", `at most ${MAX_GRACE_DAYS}`);
  if (policy.lateFee < 0n || policy.lateFee >= MAX_PART_EXCLUSIVE) throw new InvalidPolicyError("lateFee", "must be in [0, 2^96)");
  const { substandardAfterDays: sub, doubtfulAfterDays: doubt, lossAfterDays: loss } = policy;
  if (sub === 0 || doubt <= sub || loss <= doubt) {
    throw new InvalidPolicyError("thresholds", "need 0 < substandard < doubtful < loss");
  }
  if (policy.defaultAfterDays === 0) throw new InvalidPolicyError("defaultAfterDays", "must be positive");
  const offsets = policy.reminderOffsetsDays;
  if (offsets.length > MAX_REMINDER_STAGES) throw new InvalidPolicyError("reminderOffsetsDays", "at most 15 stages");
  offsets.forEach((o, k) => {
    if (!Number.isSafeInteger(o) || o < MIN_OFFSET_DAYS || o > MAX_OFFSET_DAYS || (k > 0 && o <= offsets[k - 1]!)) {
      throw new InvalidPolicyError("reminderOffsetsDays", `stage ${k}: strictly increasing integers in [-365, 3650]`);
    }
  });
}
