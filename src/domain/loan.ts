/**
 * The loan state machine, mirroring LoanLedger transition for transition:
 * registration, the repayment waterfall, pokes (reminders, penalty assessment,
 * classification, default, end of observation), charge-off, write-off and
 * restructuring. Every function is pure and returns a new state.
 */
import { DAY, MAX_ON_TIME_STREAK, OBSERVATION_ON_TIME_INSTALLMENTS, OBSERVATION_PERIOD } from "./constants";
import { arrearsRequired, judgeArrearsPlan } from "./arrears";
import { classify, daysLate, penaltyDays } from "./delinquency";
import {
  InvalidArgumentError,
  InvalidPaymentTimeError,
  LoanNotOpenError,
  OverpaymentError,
  ZeroAmountError,
  ZeroPrincipalError,
} from "./errors";
import {
  accumulatorAt,
  amountOf,
  assertNotBeforeCheckpoint,
  checkpointTime,
  dpdAt,
  penaltyOutstandingAt,
  versionStart,
  type LoanState,
} from "./loan-state";
import { penaltyFor } from "./penalty";
import { isUint16, validatePolicy } from "./policy";
import { validateSchedule } from "./schedule";
import { Classification, DEFAULT_POLICY, LoanStatus, type LoanTerms, type Policy, type Schedule } from "./types";

/**
 * Everything a poke or a repayment can emit, in the contract's event order; fields follow
 * ReminderTriggered, PenaltyAssessed, ClassificationChanged, LoanDefaulted and ObservationEnded.
 */
export type LoanEvent =
  | {
      readonly type: "reminder";
      readonly installment: number;
      readonly stage: number;
      readonly offsetDays: number;
      readonly dueDate: bigint;
      readonly dpd: bigint;
    }
  | { readonly type: "penaltyAssessed"; readonly installment: number; readonly penaltyOutstanding: bigint; readonly dpd: bigint }
  | { readonly type: "classificationChanged"; readonly from: Classification; readonly to: Classification; readonly dpd: bigint }
  | { readonly type: "defaulted"; readonly installment: number; readonly dpd: bigint }
  | { readonly type: "observationEnded" }
  /** PaymentHolidayEnded: the first poke at or after the holiday's end closes it (before anything else). */
  | { readonly type: "holidayEnded"; readonly to: bigint }
  /** ArrearsPartKept, ArrearsPlanBroken: a part judged by the first poke at or after its due date. */
  | {
      readonly type: "arrearsPartKept" | "arrearsPlanBroken";
      readonly part: number;
      readonly dueDate: bigint;
      readonly required: bigint;
      readonly paid: bigint;
    }
  /** ArrearsPlanCompleted: the last part was kept. */
  | { readonly type: "arrearsPlanCompleted"; readonly paid: bigint };

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
  /** The time the waterfall was applied at: max(`at`, the last payment's); the new `lastPaidAt`. */
  readonly appliedAt: bigint;
}

/** Result of {@link poke}. */
export interface PokeReturnType {
  readonly state: LoanState;
  readonly events: LoanEvent[];
}

/**
 * Registers a loan: validates the policy ({@link validatePolicy}), the terms (principal > 0) and the schedule
 * against `terms` (first due strictly after `terms.registeredAt`) and returns its initial state.
 * Build `terms` with {@link makeTerms} to get the legal-cap check of registration.
 * @throws InvalidPolicyError, InvalidArgumentError, ZeroPrincipalError, ScheduleError subclasses.
 */
export function newLoan(schedule: Schedule, terms: LoanTerms, policy: Policy = DEFAULT_POLICY): LoanState {
  validatePolicy(policy);
  for (const f of ["contractRateBps", "penaltyRateBps", "capRoomBps", "graceDays"] as const) {
    if (!isUint16(terms[f])) throw new InvalidArgumentError(`terms.${f}`, "must be an integer in [0, 65535]");
  }
  if (terms.lateFee < 0n) throw new InvalidArgumentError("terms.lateFee", "must be non-negative");
  if (terms.principal <= 0n) throw new ZeroPrincipalError(terms.principal);
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
    // As on chain: the registration time, so repayments can never be dated before it.
    lastPaidAt: terms.registeredAt,
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

/** Ends observation after two on-time installments, a year since the version started (restructuring or holiday) and nothing overdue. */
function maybeEndObservation(state: LoanState, t: bigint, events: LoanEvent[]): LoanState {
  if (
    !state.observation ||
    state.onTimeStreak < OBSERVATION_ON_TIME_INSTALLMENTS ||
    // The year runs from the start of the current version: the restructuring, or a payment holiday since.
    t < versionStart(state) + OBSERVATION_PERIOD ||
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
 * The waterfall runs at t = max(at, lastPaidAt): an attestation dated before the last payment
 * (e.g. a bank payment recorded after a third party's on-chain repay) is accepted and applied as
 * of that payment, since the penalty checkpoint never goes back in time (docs/ledger-rules.md,
 * "Repayment waterfall"). LoanRepaid still reports `at`.
 *
 * @throws LoanNotOpenError unless Active or ChargedOff; ZeroAmountError when amount is 0;
 *   InvalidPaymentTimeError unless versionStart <= at <= blockTime (or when blockTime is before
 *   the last checkpoint, which chain time never is);
 *   OverpaymentError (with the excess) when money is left after full payoff — nothing is applied.
 */
export function applyRepayment(state: LoanState, amount: bigint, at: bigint, blockTime: bigint): ApplyRepaymentReturnType {
  assertOpen(state);
  if (amount === 0n) throw new ZeroAmountError();
  if (amount < 0n) throw new InvalidArgumentError("amount", "must be positive");
  const earliest = versionStart(state);
  if (at < earliest || at > blockTime) throw new InvalidPaymentTimeError(at, earliest, blockTime);
  assertNotBeforeCheckpoint(state, blockTime);
  const last = checkpointTime(state);
  const t = at > last ? at : last;

  const { schedule, terms } = state;
  let s: LoanState = state;
  let x = amount;
  let [penalty, interest, principal, settled] = [0n, 0n, 0n, 0];
  while (x > 0n && s.cursor < schedule.length) {
    const inst = schedule[s.cursor]!;
    const a = amountOf(inst);
    // Checkpoint U_c to t before this payment changes paid_c.
    const days = penaltyDays(inst.dueDate, t, terms.graceDays);
    s = { ...s, base: accumulatorAt(s, s.cursor, t), baseDays: days };
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
    s = settleCursor(s, t);
    settled += 1;
  }
  if (x > 0n) throw new OverpaymentError(amount, x);

  const closed = s.cursor === schedule.length;
  s = {
    ...s,
    // Under an arrears plan every repayment counts towards its parts.
    ...(s.arrearsPlan?.inForce ? { arrearsPlan: { ...s.arrearsPlan, paid: s.arrearsPlan.paid + amount } } : {}),
    lastPaidAt: t,
    // A payment that pays penalties resets the assessment.
    penaltyAssessed: penalty > 0n ? 0n : s.penaltyAssessed,
    status: closed ? LoanStatus.Closed : s.status,
  };
  const events: LoanEvent[] = [];
  s = recordClassification(s, blockTime, events);
  // As on chain, a loan that just closed keeps its observation flag and emits no ObservationEnded.
  if (!closed) s = maybeEndObservation(s, blockTime, events);
  const breakdown: RepaymentBreakdown = {
    penalty,
    interest,
    principal,
    installmentsSettled: settled,
    cursorAfter: s.cursor,
    recovery: state.status === LoanStatus.ChargedOff,
    closed,
  };
  return { state: s, breakdown, events, appliedAt: t };
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
  return {
    ...s,
    cursor: s.cursor + 1,
    paid: 0n,
    penaltyPaid: 0n,
    // The rules' checkpoint (A_c * pd, pd) for an untouched installment yields the same U_c(t)
    // as (0, 0), since paid_c = 0: A_c * pd + A_c * (pd(t) - pd) = 0 + A_c * (pd(t) - 0).
    // (0, 0) is what LoanLedger stores, so the states compare field for field.
    base: 0n,
    baseDays: 0n,
    reminderStage: 0,
    onTimeStreak,
  };
}

/**
 * What a keeper's poke at `t` does to an open loan, in this order:
 * 0. a payment holiday: nothing before its end, then holidayEnded; an arrears plan: its parts due
 *    are judged (arrearsPartKept), and nothing else is emitted unless it ends (arrearsPlanBroken or
 *    arrearsPlanCompleted) and the loan returns to its normal course;
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
  if (s.holiday?.flagged) {
    // Nothing is emitted during a payment holiday (docs/ledger-rules.md, "Relief").
    if (t < s.holiday.to) return { state, events };
    events.push({ type: "holidayEnded", to: s.holiday.to });
    s = { ...s, holiday: { ...s.holiday, flagged: false } };
  } else if (s.arrearsPlan?.inForce) {
    // While an arrears plan stands only its parts are judged (docs/ledger-rules.md, "Relief").
    const plan = s.arrearsPlan;
    const { kept, ends } = judgeArrearsPlan(plan, s.schedule, t);
    const end = plan.next + kept;
    for (let i = plan.next; i < end; i++) {
      events.push({ type: "arrearsPartKept", part: i, dueDate: plan.parts[i]!.dueDate, required: arrearsRequired(plan, s.schedule, i), paid: plan.paid });
    }
    if (!ends) return { state: kept === 0 ? state : { ...s, arrearsPlan: { ...plan, next: end } }, events };
    if (end < plan.parts.length) {
      events.push({ type: "arrearsPlanBroken", part: end, dueDate: plan.parts[end]!.dueDate, required: arrearsRequired(plan, s.schedule, end), paid: plan.paid });
    } else {
      events.push({ type: "arrearsPlanCompleted", paid: plan.paid });
    }
    s = { ...s, arrearsPlan: { ...plan, next: end, inForce: false } };
  }
  const c = s.cursor;
  const due = s.schedule[c]!.dueDate;
  const offsets = s.policy.reminderOffsetsDays;
  const dpd = dpdAt(s, t);
  let stage = s.reminderStage;
  while (stage < offsets.length && due + BigInt(offsets[stage]!) * DAY <= t) {
    events.push({ type: "reminder", installment: c, stage, offsetDays: offsets[stage]!, dueDate: due, dpd });
    stage += 1;
  }
  s = { ...s, reminderStage: stage };

  const outstanding = penaltyOutstandingAt(s, t);
  if (outstanding > 0n && outstanding !== s.penaltyAssessed) {
    events.push({ type: "penaltyAssessed", installment: c, penaltyOutstanding: outstanding, dpd });
    s = { ...s, penaltyAssessed: outstanding };
  }
  s = recordClassification(s, t, events);
  if (!s.defaulted && dpd > BigInt(s.policy.defaultAfterDays)) {
    events.push({ type: "defaulted", installment: c, dpd });
    s = { ...s, defaulted: true };
  }
  s = maybeEndObservation(s, t, events);
  return { state: s, events };
}
