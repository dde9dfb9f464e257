/**
 * Default interest (penalty) of one installment, and the terms/legal-cap check
 * at registration (docs/ledger-rules.md, "Default interest (penalty) and the legal cap").
 */
import { YEAR_BPS } from "./constants";
import { InvalidArgumentError, RateAboveCapError, ZeroPrincipalError } from "./errors";
import { floorDiv, halfUp } from "./rounding";
import type { LoanTerms, Policy } from "./types";

/** The terms a penalty depends on. */
export type PenaltyTerms = Pick<LoanTerms, "penaltyRateBps" | "lateFee" | "capRoomBps">;

/**
 * Penalty of one installment from its accumulator `U` (unpaid amount x penalty days):
 *
 *   min( halfUp(U * penaltyRateBps, YEAR_BPS) + fee,  floorDiv(U * capRoomBps, YEAR_BPS) )
 *   fee = penaltyDays >= 1 ? lateFee : 0
 *
 * Rounding: the rate term rounds half-up (nearest minor unit of ACT/365 simple
 * interest); the cap term rounds down so the legal maximum is never exceeded by
 * rounding. Hence with penaltyRateBps == capRoomBps the cap still wins on a
 * half: U = 1_825_000, rate = cap = 1 bps gives min(1, 0) = 0.
 */
export function penaltyFor(u: bigint, penaltyDays: bigint, terms: PenaltyTerms): bigint {
  if (u < 0n) throw new InvalidArgumentError("accumulator", "must be non-negative");
  // No penalty day yet means U = 0 in every reachable state; returning 0 early matches
  // LoanMath.penalty exactly even for synthetic inputs (U > 0 with 0 days).
  if (penaltyDays <= 0n) return 0n;
  const fee = penaltyDays >= 1n ? terms.lateFee : 0n;
  const byRate = halfUp(u * BigInt(terms.penaltyRateBps), YEAR_BPS) + fee;
  const cap = floorDiv(u * BigInt(terms.capRoomBps), YEAR_BPS);
  return byRate < cap ? byRate : cap;
}

/** Parameters of {@link makeTerms}. */
export interface MakeTermsParameters {
  readonly principal: bigint;
  readonly contractRateBps: number;
  /** The admin-set legal maximum annual rate (e.g. 4x the one-year LPR). */
  readonly maxAnnualRateBps: number;
  /** Penalty rate, late fee and grace days are captured from this policy. */
  readonly policy: Pick<Policy, "penaltyRateBps" | "lateFee" | "graceDays">;
  readonly registeredAt: bigint;
}

function nonNegativeInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(name, "must be a non-negative integer");
}

/**
 * Captures a loan's terms at registration, as the contract does:
 * `capRoomBps = maxAnnualRateBps - contractRateBps`.
 * @throws ZeroPrincipalError when principal is 0; RateAboveCapError when
 *   contractRateBps + penaltyRateBps > maxAnnualRateBps (both checked in this order, as on chain).
 */
export function makeTerms(p: MakeTermsParameters): LoanTerms {
  if (p.principal <= 0n) throw new ZeroPrincipalError(p.principal);
  nonNegativeInt("contractRateBps", p.contractRateBps);
  nonNegativeInt("penaltyRateBps", p.policy.penaltyRateBps);
  nonNegativeInt("maxAnnualRateBps", p.maxAnnualRateBps);
  nonNegativeInt("graceDays", p.policy.graceDays);
  if (p.policy.lateFee < 0n) throw new InvalidArgumentError("lateFee", "must be non-negative");
  if (p.contractRateBps + p.policy.penaltyRateBps > p.maxAnnualRateBps) {
    throw new RateAboveCapError(p.contractRateBps, p.policy.penaltyRateBps, p.maxAnnualRateBps);
  }
  return {
    principal: p.principal,
    contractRateBps: p.contractRateBps,
    penaltyRateBps: p.policy.penaltyRateBps,
    lateFee: p.policy.lateFee,
    capRoomBps: p.maxAnnualRateBps - p.contractRateBps,
    graceDays: p.policy.graceDays,
    registeredAt: p.registeredAt,
  };
}
