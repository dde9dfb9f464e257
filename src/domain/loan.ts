/**
 * The loan state machine, mirroring LoanLedger transition for transition:
 * registration, the repayment waterfall, pokes (reminders, penalty assessment,
 * classification, default, end of observation), charge-off, write-off and
 * restructuring. Every function is pure and returns a new state.
 */
import {
  DAY,
  MAX_ON_TIME_STREAK,
  MAX_REMINDER_STAGES,
  OBSERVATION_ON_TIME_INSTALLMENTS,
  OBSERVATION_PERIOD,
} from "./constants";
import { classify, daysLate, penaltyDays } from "./delinquency";
import {
  InvalidArgumentError,
  InvalidPaymentTimeError,
  InvalidPolicyError,
  LoanNotOpenError,
  OverpaymentError,
  ZeroAmountError,
} from "./errors";
import {
  accumulatorAt,
  amountOf,
  assertNotBeforeCheckpoint,
  checkpointTime,
  dpdAt,
  penaltyOutstandingAt,
  type LoanState,
} from "./loan-state";
import { penaltyFor } from "./penalty";
import { validateSchedule } from "./schedule";
import { Classification, DEFAULT_POLICY, LoanStatus, type LoanTerms, type Policy, type Schedule } from "./types";

/** Everything a poke or a repayment can emit, in the contract's event order. */
export type LoanEvent =
  | { readonly type: "reminder"; readonly installment: number; readonly stage: number; readonly offsetDays: number }
  | { readonly type: "penaltyAssessed"; readonly installment: number; readonly penaltyOutstanding: bigint; readonly dpd: bigint }
  | { readonly type: "classificationChanged"; readonly from: Classification; readonly to: Classification; readonly dpd: bigint }
  | { readonly type: "defaulted"; readonly dpd: bigint }
  | { readonly type: "observationEnded" };

/** How one repayment was allocated. `penalty + interest + principal` equals the amount. */
export interface RepaymentBreakdown {
  readonly penalty: bigint;
  readonly interest: bigint;
  readonly principal: bigint;
  /** Installments that became fully settled. */
  readonly installmentsSettled: number;
  readonly cursorAfter: number;
  /** The loan was charged off: the payment is a recovery. */
  readonly recovery: boolean;
  /** The payment completed the loan. */
  readonly closed: boolean;
}

/** Result of {@link applyRepayment}. */
export interface ApplyRepaymentReturnType {
  readonly state: LoanState;
  readonly breakdown: RepaymentBreakdown;
  /** classificationChanged and/or observationEnded, evaluated at block time. */
  readonly events: LoanEvent[];
}

/** Result of {@link poke}. */
export interface PokeReturnType {
  readonly state: LoanState;
  readonly events: LoanEvent[];
}

function isNonNegativeInt(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

/**
 * Checks a policy: non-negative integer days and rates, non-negative late fee,
 * 0..16 strictly increasing integer reminder offsets, thresholds substandard <= doubtful <= loss.
 * @throws InvalidPolicyError naming the first bad field.
 */
export function validatePolicy(policy: Policy): void {
  for (const f of ["graceDays", "penaltyRateBps", "substandardAfterDays", "doubtfulAfterDays", "lossAfterDays", "defaultAfterDays"] as const) {
    if (!isNonNegativeInt(policy[f])) throw new InvalidPolicyError(f, "must be a non-negative integer");
  }
  if (policy.lateFee < 0n) throw new InvalidPolicyError("lateFee", "must be non-negative");
  const offsets = policy.reminderOffsetsDays;
  if (offsets.length > MAX_REMINDER_STAGES) throw new InvalidPolicyError("reminderOffsetsDays", "at most 16 stages");
  offsets.forEach((o, k) => {
    if (!Number.isSafeInteger(o) || (k > 0 && o <= offsets[k - 1]!)) {
      throw new InvalidPolicyError("reminderOffsetsDays", "must be strictly increasing integers");
    }
  });
  if (policy.substandardAfterDays > policy.doubtfulAfterDays || policy.doubtfulAfterDays > policy.lossAfterDays) {
    throw new InvalidPolicyError("thresholds", "need substandard <= doubtful <= loss");
  }
}

/**
 * Registers a loan: validates the policy and the schedule against `terms`
 * (first due strictly after `terms.registeredAt`) and returns its initial state.
 * @throws InvalidPolicyError, InvalidArgumentError, ScheduleError subclasses.
 */
export function newLoan(schedule: Schedule, terms: LoanTerms, policy: Policy = DEFAULT_POLICY): LoanState {
  validatePolicy(policy);
  for (const f of ["contractRateBps", "penaltyRateBps", "capRoomBps", "graceDays"] as const) {
    if (!isNonNegativeInt(terms[f])) throw new InvalidArgumentError(`terms.${f}`, "must be a non-negative integer");
  }
  if (terms.lateFee < 0n) throw new InvalidArgumentError("terms.lateFee", "must be non-negative");
  validateSchedule(schedule, terms.principal, terms.registeredAt);
  return {
    schedule: Object.freeze([...schedule]),
    terms,
    policy,
    cursor: 0,
    paid: 0n,
    penaltyPaid: 0n,
    // The first due date is after registration, so U_0 = 0 with 0 penalty days.
    base: 0n,
    baseDays: 0n,
    lastPaidAt: 0n,
    status: LoanStatus.Active,
    classification: Classification.Normal,
    reminderStage: 0,
    penaltyAssessed: 0n,
    defaulted: false,
    observation: false,
    onTimeStreak: 0,
    restructuredAt: 0n,
  };
}

/** Active or ChargedOff. */
export function isOpen(state: LoanState): boolean {
  return state.status === LoanStatus.Active || state.status === LoanStatus.ChargedOff;
}

/** @throws LoanNotOpenError unless Active or ChargedOff. */
export function assertOpen(state: LoanState): void {
  if (!isOpen(state)) throw new LoanNotOpenError(state.status);
}

/** Records the classification at `t`, emitting classificationChanged when it differs. */
function recordClassification(state: LoanState, t: bigint, events: LoanEvent[]): LoanState {
  const dpd = dpdAt(state, t);
  const to = classify(dpd, state.policy, state.status);
  if (to === state.classification) return state;
  events.push({ type: "classificationChanged", from: state.classification, to, dpd });
  return { ...state, classification: to };
}

/** Ends observation after two on-time installments, a year since restructuring and nothing overdue. */
function maybeEndObservation(state: LoanState, t: bigint, events: LoanEvent[]): LoanState {
  if (
    !state.observation ||
    state.onTimeStreak < OBSERVATION_ON_TIME_INSTALLMENTS ||
    t < state.restructuredAt + OBSERVATION_PERIOD ||
    dpdAt(state, t) !== 0n
  ) {
    return state;
  }
  events.push({ type: "observationEnded" });
  return { ...state, observation: false };
}

/**
 * Applies a repayment of `amount` made at `at` (block time for `repay`, `paidAt`
 * for `recordRepayment`), then records classification and observation at `blockTime`.
 * Waterfall per installment, oldest first: penalties and fees, interest, principal;
 * money beyond what is due prepays the next installments.
 *
 * @throws LoanNotOpenError unless Active or ChargedOff; ZeroAmountError when amount is 0;
 *   InvalidPaymentTimeError unless max(lastPaidAt, registeredAt, restructuredAt) <= at <= blockTime;
 *   OverpaymentError (with the excess) when money is left after full payoff — nothing is applied.
 */
export function applyRepayment(state: LoanState, amount: bigint, at: bigint, blockTime: bigint): ApplyRepaymentReturnType {
  assertOpen(state);
  if (amount === 0n) throw new ZeroAmountError();
  if (amount < 0n) throw new InvalidArgumentError("amount", "must be positive");
  const earliest = checkpointTime(state);
  if (at < earliest || at > blockTime) throw new InvalidPaymentTimeError(at, earliest, blockTime);

  const { schedule, terms } = state;
  let s: LoanState = state;
  let x = amount;
  let [penalty, interest, principal, settled] = [0n, 0n, 0n, 0];
  while (x > 0n && s.cursor < schedule.length) {
    const inst = schedule[s.cursor]!;
    const a = amountOf(inst);
    // Checkpoint U_c to `at` before this payment changes paid_c.
    const days = penaltyDays(inst.dueDate, at, terms.graceDays);
    s = { ...s, base: accumulatorAt(s, s.cursor, at), baseDays: days };
    const penaltyTotal = penaltyFor(s.base, days, terms);
    const penaltyDue = penaltyTotal - s.penaltyPaid;
    const payPenalty = x < penaltyDue ? x : penaltyDue;
    x -= payPenalty;
    penalty += payPenalty;
    const interestDue = inst.interest - (s.paid < inst.interest ? s.paid : inst.interest);
    const payInterest = x < interestDue ? x : interestDue;
    x -= payInterest;
    interest += payInterest;
    // Interest is now fully paid or x is 0, so what remains of A_c is principal.
    const principalDue = a - s.paid - payInterest;
    const payPrincipal = x < principalDue ? x : principalDue;
    x -= payPrincipal;
    principal += payPrincipal;
    s = { ...s, penaltyPaid: s.penaltyPaid + payPenalty, paid: s.paid + payInterest + payPrincipal };
    if (s.penaltyPaid !== penaltyTotal || s.paid !== a) break;
    s = settleCursor(s, at);
    settled += 1;
  }
  if (x > 0n) throw new OverpaymentError(amount, x);

  const closed = s.cursor === schedule.length;
  s = {
    ...s,
    lastPaidAt: at,
    // A payment that pays penalties resets the assessment.
    penaltyAssessed: penalty > 0n ? 0n : s.penaltyAssessed,
    status: closed ? LoanStatus.Closed : s.status,
  };
  const events: LoanEvent[] = [];
  s = recordClassification(s, blockTime, events);
  s = maybeEndObservation(s, blockTime, events);
  const breakdown: RepaymentBreakdown = {
    penalty,
    interest,
    principal,
    installmentsSettled: settled,
    cursorAfter: s.cursor,
    recovery: state.status === LoanStatus.ChargedOff,
    closed,
  };
  return { state: s, breakdown, events };
}

/** Moves the cursor past a settled installment at `at`: streak, reset of paid amounts, new checkpoint, reminders. */
function settleCursor(s: LoanState, at: bigint): LoanState {
  const settledInst = s.schedule[s.cursor]!;
  // The streak only matters (and is only kept) while under observation.
  const onTimeStreak = !s.observation
    ? s.onTimeStreak
    : daysLate(settledInst.dueDate, at) === 0n
      ? Math.min(s.onTimeStreak + 1, MAX_ON_TIME_STREAK)
      : 0;
  const cursor = s.cursor + 1;
  const next = s.schedule[cursor];
  const days = next === undefined ? 0n : penaltyDays(next.dueDate, at, s.terms.graceDays);
  return {
    ...s,
    cursor,
    paid: 0n,
    penaltyPaid: 0n,
    // The checkpoint moves onto the new cursor: (A_c * penaltyDays_c(at), penaltyDays_c(at)).
    base: next === undefined ? 0n : amountOf(next) * days,
    baseDays: days,
    reminderStage: 0,
    onTimeStreak,
  };
}

/**
 * What a keeper's poke at `t` does to an open loan, in this order:
 * 1. due reminder stages of the cursor installment; 2. penaltyAssessed when the
 * penalty outstanding is > 0 and differs from the last assessment;
 * 3. classificationChanged; 4. defaulted (once); 5. observationEnded.
 * A loan that is not open is returned unchanged with no events.
 * @throws InvalidPaymentTimeError when `t` is before the last checkpoint.
 */
export function poke(state: LoanState, t: bigint): PokeReturnType {
  if (!isOpen(state)) return { state, events: [] };
  assertNotBeforeCheckpoint(state, t);
  const events: LoanEvent[] = [];
  let s = state;
  const c = s.cursor;
  const due = s.schedule[c]!.dueDate;
  const offsets = s.policy.reminderOffsetsDays;
  let stage = s.reminderStage;
  while (stage < offsets.length && due + BigInt(offsets[stage]!) * DAY <= t) {
    events.push({ type: "reminder", installment: c, stage, offsetDays: offsets[stage]! });
    stage += 1;
  }
  s = { ...s, reminderStage: stage };

  const dpd = dpdAt(s, t);
  const outstanding = penaltyOutstandingAt(s, t);
  if (outstanding > 0n && outstanding !== s.penaltyAssessed) {
    events.push({ type: "penaltyAssessed", installment: c, penaltyOutstanding: outstanding, dpd });
    s = { ...s, penaltyAssessed: outstanding };
  }
  s = recordClassification(s, t, events);
  if (!s.defaulted && dpd > BigInt(s.policy.defaultAfterDays)) {
    events.push({ type: "defaulted", dpd });
    s = { ...s, defaulted: true };
  }
  s = maybeEndObservation(s, t, events);
  return { state: s, events };
}
