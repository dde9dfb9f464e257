/**
 * The only two ways Duetrail divides money (docs/ledger-rules.md, "Rounding").
 * Both take non-negative numerators and positive denominators, exactly like
 * the Solidity library, so that the two sides cannot disagree on signs.
 */
import { InvalidArgumentError } from "./errors";

function check(n: bigint, d: bigint): void {
  if (d <= 0n) throw new InvalidArgumentError("denominator", `must be positive, got ${d}`);
  if (n < 0n) throw new InvalidArgumentError("numerator", `must be non-negative, got ${n}`);
}

/**
 * `n / d` rounded down (integer division).
 * Used where rounding must never favour the lender, e.g. the legal cap term.
 * @throws InvalidArgumentError when `n < 0` or `d <= 0`.
 */
export function floorDiv(n: bigint, d: bigint): bigint {
  check(n, d);
  return n / d;
}

/**
 * `n / d` rounded to the nearest integer, exact halves up: `(2n + d) / (2d)`.
 * Used for every scheduled payment and for default interest.
 * Example: halfUp(5n, 2n) = 3n, halfUp(7n, 3n) = 2n, halfUp(1n, 3n) = 0n.
 * @throws InvalidArgumentError when `n < 0` or `d <= 0`.
 */
export function halfUp(n: bigint, d: bigint): bigint {
  check(n, d);
  return (2n * n + d) / (2n * d);
}
