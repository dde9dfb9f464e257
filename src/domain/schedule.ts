/**
 * Schedule generators (TypeScript only: the contract accepts any valid schedule)
 * and the validation that mirrors the contract's checks. Arithmetic is exactly
 * docs/ledger-rules.md, "Schedule".
 */
import { BPS, MAX_DUE_DATE_EXCLUSIVE, MAX_INSTALLMENTS, MAX_PART_EXCLUSIVE, PERIODS_PER_YEAR } from "./constants";
import { dueDates } from "./dates";
import {
  DueDateTooLateError,
  DueDatesNotIncreasingError,
  EmptyInstallmentError,
  FirstDueNotAfterNowError,
  InstallmentCountError,
  InstallmentPartOutOfRangeError,
  InvalidArgumentError,
  PrincipalMismatchError,
} from "./errors";
import { halfUp } from "./rounding";
import type { Frequency, Installment, Schedule, ScheduleKind } from "./types";

/** Parameters of {@link generateSchedule}. */
export interface GenerateScheduleParameters {
  readonly kind: ScheduleKind;
  /** Loan principal in minor units, 0 < principal < 2^96. */
  readonly principal: bigint;
  /** Annual contract rate in bps (non-negative integer). */
  readonly annualRateBps: number;
  /** Number of installments, 1..MAX_INSTALLMENTS (600). */
  readonly count: number;
  /** First due date "YYYY-MM-DD" (00:00:00 UTC). */
  readonly firstDue: string;
  readonly frequency: Frequency;
}

/** Sums of a schedule. */
export interface ScheduleTotals {
  readonly principal: bigint;
  readonly interest: bigint;
  readonly total: bigint;
}

/**
 * Interest of one period on `outstanding`: `halfUp(outstanding * bps, 10_000 * periodsPerYear)`.
 * Half-up so that a schedule's interest is the nearest minor unit of the exact periodic rate.
 */
function periodInterest(outstanding: bigint, rateBps: bigint, periodsPerYear: bigint): bigint {
  return halfUp(outstanding * rateBps, BPS * periodsPerYear);
}

/**
 * The level annuity payment, `halfUp(PMT)` with PMT computed as one exact fraction.
 * With r = b/m (b = bps, m = 10_000 * periodsPerYear):
 * PMT = P r (1+r)^n / ((1+r)^n - 1) = P b (m+b)^n / (m ((m+b)^n - m^n)).
 * Rounded half-up once, as Excel's PMT shown to the minor unit; `P / n` (half-up) at rate 0.
 */
export function annuityPayment(principal: bigint, rateBps: bigint, periodsPerYear: bigint, count: number): bigint {
  const n = BigInt(count);
  if (rateBps === 0n) return halfUp(principal, n);
  const m = BPS * periodsPerYear;
  const grown = (m + rateBps) ** n;
  return halfUp(principal * rateBps * grown, m * (grown - m ** n));
}

function checkParameters(p: GenerateScheduleParameters): void {
  if (typeof p.principal !== "bigint" || p.principal <= 0n || p.principal >= MAX_PART_EXCLUSIVE) {
    throw new InvalidArgumentError("principal", "must be an integer in (0, 2^96) minor units");
  }
  if (!Number.isSafeInteger(p.annualRateBps) || p.annualRateBps < 0) {
    throw new InvalidArgumentError("annualRateBps", "must be a non-negative integer");
  }
  if (!Number.isInteger(p.count) || p.count < 1 || p.count > MAX_INSTALLMENTS) {
    throw new InstallmentCountError(p.count);
  }
  if (!Object.hasOwn(PRINCIPAL_PARTS, p.kind)) throw new InvalidArgumentError("kind", `unknown "${String(p.kind)}"`);
  if (!Object.hasOwn(PERIODS_PER_YEAR, p.frequency)) {
    throw new InvalidArgumentError("frequency", `unknown "${String(p.frequency)}"`);
  }
}

/**
 * How much principal installment `k` (not the last) repays, given the period's
 * interest and what is still outstanding. Each result is clamped to the
 * outstanding principal: with a tiny principal and many periods the rounded
 * part times (n-1) could exceed P, and a part can never be negative on chain.
 */
type PrincipalPart = (ctx: { interest: bigint; outstanding: bigint }) => bigint;

const PRINCIPAL_PARTS: Record<ScheduleKind, (p: GenerateScheduleParameters, ppy: bigint) => PrincipalPart> = {
  annuity: (p, ppy) => {
    const payment = annuityPayment(p.principal, BigInt(p.annualRateBps), ppy, p.count);
    // payment >= interest always: halfUp is monotone and outstanding * r <= P * r < PMT.
    return ({ interest, outstanding }) => min(payment - interest, outstanding);
  },
  // halfUp(P, n) per installment (ledger rules); the last absorbs the residue.
  "equal-principal": (p) => {
    const part = halfUp(p.principal, BigInt(p.count));
    return ({ outstanding }) => min(part, outstanding);
  },
  "interest-only": () => () => 0n,
};

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/**
 * Generates a schedule exactly per docs/ledger-rules.md:
 * - annuity: payment = halfUp(exact PMT); each period's interest is
 *   halfUp(outstanding * bps, 10_000 * periodsPerYear), principal = payment - interest;
 * - equal-principal: principal halfUp(P, n) each period;
 * - interest-only: interest every period, all principal with the last;
 * in every kind the last installment's principal is whatever is outstanding
 * (its interest computed the same way), so principal parts sum exactly to P.
 *
 * @throws InvalidArgumentError, InstallmentCountError on bad parameters;
 *   InstallmentPartOutOfRangeError if a part reaches 2^96; EmptyInstallmentError when an
 *   installment would be 0 + 0 (interest-only at rate 0, or fewer minor units than
 *   installments), which the contract would refuse.
 */
export function generateSchedule(parameters: GenerateScheduleParameters): Installment[] {
  checkParameters(parameters);
  const ppy = PERIODS_PER_YEAR[parameters.frequency];
  const rate = BigInt(parameters.annualRateBps);
  const principalPart = PRINCIPAL_PARTS[parameters.kind](parameters, ppy);
  const dates = dueDates(parameters.firstDue, parameters.count, parameters.frequency);
  const schedule: Installment[] = [];
  let outstanding = parameters.principal;
  dates.forEach((dueDate, k) => {
    const interest = periodInterest(outstanding, rate, ppy);
    const principal =
      k === dates.length - 1 ? outstanding : principalPart({ interest, outstanding });
    outstanding -= principal;
    schedule.push({ dueDate, principal, interest });
  });
  check(schedule, parameters.principal, null);
  return schedule;
}

/**
 * The contract's checks in the contract's order, `now` = null skipping "first due after now"
 * (generators know no registration time).
 */
function check(schedule: Schedule, principal: bigint, now: bigint | null): void {
  const n = schedule.length;
  if (n < 1 || n > MAX_INSTALLMENTS) throw new InstallmentCountError(n);
  let sum = 0n;
  schedule.forEach((inst, i) => {
    if (i === 0 && now !== null && inst.dueDate <= now) throw new FirstDueNotAfterNowError(inst.dueDate, now);
    if (i > 0 && inst.dueDate <= schedule[i - 1]!.dueDate) {
      throw new DueDatesNotIncreasingError(i, schedule[i - 1]!.dueDate, inst.dueDate);
    }
    if (inst.dueDate >= MAX_DUE_DATE_EXCLUSIVE) throw new DueDateTooLateError(i, inst.dueDate);
    if (inst.principal < 0n || inst.principal >= MAX_PART_EXCLUSIVE) {
      throw new InstallmentPartOutOfRangeError(i, "principal", inst.principal);
    }
    if (inst.interest < 0n || inst.interest >= MAX_PART_EXCLUSIVE) {
      throw new InstallmentPartOutOfRangeError(i, "interest", inst.interest);
    }
    if (inst.principal === 0n && inst.interest === 0n) throw new EmptyInstallmentError(i);
    sum += inst.principal;
  });
  if (sum >= MAX_PART_EXCLUSIVE) throw new InstallmentPartOutOfRangeError(n, "sum", sum);
  if (sum !== principal) throw new PrincipalMismatchError(principal, sum);
}

/**
 * Checks a schedule the way the contract does when it registers or restructures a loan,
 * in the contract's order (the first failing check wins):
 * 1..600 installments; the first due date strictly after `now`; due dates strictly
 * increasing and below 2^40; every part in [0, 2^96); no installment with neither
 * principal nor interest; principal parts summing to `principal` (and below 2^96).
 * `principal > 0` is a registration check ({@link newLoan}), not a schedule check:
 * a restructuring may cover an outstanding principal of 0.
 *
 * @throws ScheduleError subclasses: InstallmentCountError, FirstDueNotAfterNowError,
 *   DueDatesNotIncreasingError, DueDateTooLateError, InstallmentPartOutOfRangeError,
 *   EmptyInstallmentError, PrincipalMismatchError.
 */
export function validateSchedule(schedule: Schedule, principal: bigint, now: bigint): void {
  check(schedule, principal, now);
}

/** Principal, interest and total of a schedule. */
export function scheduleTotals(schedule: Schedule): ScheduleTotals {
  let principal = 0n;
  let interest = 0n;
  for (const inst of schedule) {
    principal += inst.principal;
    interest += inst.interest;
  }
  return { principal, interest, total: principal + interest };
}
