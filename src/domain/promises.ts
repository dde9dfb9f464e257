/**
 * Promises to pay (SPEC "Collection evidence rules"): a PromiseToPay action commits to an
 * amount and a date; whether it was kept is derived from repayments, never asserted by hand.
 */
import { encodeAbiParameters, keccak256, type Hex } from "viem";
import { InvalidArgumentError } from "./errors";

const COMMITMENT_PARAMS = [{ type: "uint256" }, { type: "uint64" }, { type: "bytes32" }] as const;

/**
 * The evidenceHash of a PromiseToPay action recorded by `recordPromise`:
 * keccak256(abi.encode(uint256 amount, uint64 dueBy, bytes32 artifactHash)).
 */
export function promiseCommitment(amount: bigint, dueBy: bigint, artifactHash: Hex): Hex {
  return keccak256(encodeAbiParameters(COMMITMENT_PARAMS, [amount, dueBy, artifactHash]));
}

/** A promise: pay at least `amount` (minor units) between `madeAt` and `dueBy` (chain time, inclusive). */
export interface PromiseToPay {
  amount: bigint;
  dueBy: bigint;
  /** When the promise was recorded (the action's occurredAt). */
  madeAt: bigint;
}

/** A repayment received: `amount` in minor units at chain time `at`. */
export interface PromiseRepayment {
  amount: bigint;
  at: bigint;
}

/** Derived state of a promise as of a time. */
export type PromiseStatus = "kept" | "broken" | "pending";

/**
 * The status of `promise` as of `asOf`:
 * - "kept" when the repayments made in [madeAt, dueBy], and already made by `asOf`, sum to at
 *   least `amount` (a payment before the promise does not keep it; nor does one after the date);
 * - "broken" when `asOf` is after `dueBy` and they do not;
 * - "pending" otherwise (at `asOf == dueBy` there is still time).
 * Repayments later than `asOf` are ignored, so the answer never depends on the future.
 * @throws InvalidArgumentError when an amount is not positive or dueBy is before madeAt.
 */
export function promiseStatus(promise: PromiseToPay, repayments: readonly PromiseRepayment[], asOf: bigint): PromiseStatus {
  if (promise.amount <= 0n) throw new InvalidArgumentError("promise.amount", "must be positive");
  if (promise.dueBy < promise.madeAt) throw new InvalidArgumentError("promise.dueBy", "must not be before madeAt");
  const until = asOf < promise.dueBy ? asOf : promise.dueBy;
  let paid = 0n;
  for (const r of repayments) {
    if (r.amount < 0n) throw new InvalidArgumentError("repayment.amount", "must not be negative");
    if (r.at >= promise.madeAt && r.at <= until) paid += r.amount;
  }
  if (paid >= promise.amount) return "kept";
  return asOf > promise.dueBy ? "broken" : "pending";
}
