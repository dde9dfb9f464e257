/**
 * The loan state that mirrors LoanLedger's per-loan storage, and every figure
 * derived from it at a time `t` (docs/ledger-rules.md, "Lateness" and
 * "Default interest"). Figures depend only on the state and `t`, never on how
 * often anyone looked: the penalty accumulator is exact and rounds once.
 */
import { bucketOf, classify, daysLate, penaltyDays } from "./delinquency";
import { InvalidPaymentTimeError } from "./errors";
import { penaltyFor } from "./penalty";
import { DAY } from "./constants";
import type { ArrearsPlanState } from "./arrears";
import { LoanStatus, type Bucket, type Classification, type Installment, type LoanTerms, type Policy, type Schedule } from "./types";

/** Per-loan state, field for field what the contract stores (plus the schedule, terms and policy it reads). */
export interface LoanState {
  /** The current schedule version. */
  readonly schedule: Schedule;
  readonly terms: LoanTerms;
  readonly policy: Policy;
  /** Oldest installment not fully settled; `schedule.length` when repaid. */
  readonly cursor: number;
  /** Principal + interest paid on the cursor installment (interest first). */
  readonly paid: bigint;
  /** Penalties paid on the cursor installment. */
  readonly penaltyPaid: bigint;
  /** Penalty accumulator checkpoint of the cursor: U_c at the checkpoint time ... */
  readonly base: bigint;
  /** ... and penaltyDays_c at that time. */
  readonly baseDays: bigint;
  /**
   * Time the last repayment was applied at: max(its paidAt, the previous one's), so it never goes
   * back (the registration or restructuring time before any). LoanLedger's `lastPaidOffset`.
   */
  readonly lastPaidAt: bigint;
  readonly status: LoanStatus;
  /** The last recorded classification (by a poke or a repayment). */
  readonly classification: Classification;
  /** Next reminder stage index for the cursor installment. */
  readonly reminderStage: number;
  /** Penalty outstanding at the last PenaltyAssessed (0 after a payment that paid penalties). */
  readonly penaltyAssessed: bigint;
  /** Set once DPD first exceeded `defaultAfterDays`; never cleared. */
  readonly defaulted: boolean;
  /** Restructured and still under observation. */
  readonly observation: boolean;
  /** Consecutive installments settled with daysLate 0 while under observation (saturates at 255). */
  readonly onTimeStreak: number;
  /** Time of the last restructuring (0 if never). */
  readonly restructuredAt: bigint;
  /**
   * The last payment holiday (absent if never): granted at `from` (its schedule version started
   * then), nothing due or emitted until `to`; `flagged` until the first poke at or after `to`
   * (LoanLedger's HOLIDAY flag and `holidayEnd`). See relief.ts.
   */
  readonly holiday?: { readonly from: bigint; readonly to: bigint; readonly flagged: boolean };
  /** The last arrears plan (absent if never); see arrears.ts. */
  readonly arrearsPlan?: ArrearsPlanState;
}

/** What {@link statusAt} reports. */
export interface StatusAtReturnType {
  /** Days past due of the cursor installment (0 when repaid). */
  readonly dpd: bigint;
  readonly bucket: Bucket;
  /** Classification computed at `t` (may differ from the recorded one until the next poke). */
  readonly classification: Classification;
  /** Unpaid principal+interest of every installment at least one day late; penalties excluded. */
  readonly amountOverdue: bigint;
  readonly penaltyOutstanding: bigint;
  /** Due date of the cursor installment (possibly past), or null when repaid. */
  readonly nextDueDate: bigint | null;
  /** Unpaid principal+interest of the cursor installment (0 when repaid). */
  readonly nextDueAmount: bigint;
  readonly outstandingPrincipal: bigint;
  readonly outstandingInterest: bigint;
  readonly cursor: number;
  readonly status: LoanStatus;
}

/**
 * `state` on a new schedule version starting at `at` with `schedule` (principal parts summing to the
 * version's principal), at its first installment: nothing paid on it, a fresh penalty checkpoint
 * (every due date is after `at`, so U_0 = 0 with 0 penalty days), reminders from stage 0, no
 * assessment. What restructuring and a payment holiday share (LoanLogic: the cursor words cleared).
 */
export function newVersion(state: LoanState, schedule: Schedule, at: bigint): LoanState {
  return {
    ...state,
    schedule: Object.freeze([...schedule]),
    // The version's principal, as the contract's terms report it.
    terms: { ...state.terms, principal: schedule.reduce((sum, i) => sum + i.principal, 0n) },
    cursor: 0,
    paid: 0n,
    penaltyPaid: 0n,
    base: 0n,
    baseDays: 0n,
    lastPaidAt: at,
    reminderStage: 0,
    penaltyAssessed: 0n,
  };
}

/** `principal + interest` of an installment. */
export function amountOf(installment: Installment): bigint {
  return installment.principal + installment.interest;
}

/** Start of the current schedule version: the last restructuring or payment holiday, or the registration before any. */
export function versionStart(state: LoanState): bigint {
  let t = state.restructuredAt > state.terms.registeredAt ? state.restructuredAt : state.terms.registeredAt;
  if (state.holiday !== undefined && state.holiday.from > t) t = state.holiday.from;
  return t;
}

/** The time of the state's last checkpoint: max(start of the version, last payment). */
export function checkpointTime(state: LoanState): bigint {
  const t = versionStart(state);
  return state.lastPaidAt > t ? state.lastPaidAt : t;
}

/** Figures are only defined from the last checkpoint on (chain time never goes back). */
export function assertNotBeforeCheckpoint(state: LoanState, t: bigint): void {
  const cp = checkpointTime(state);
  if (t < cp) throw new InvalidPaymentTimeError(t, cp, null);
}

/**
 * Accumulator U_j(t) of "unpaid amount x penalty days" of installment `j >= cursor`:
 * `A_j * penaltyDays_j(t)` for untouched installments, and
 * `base + (A_c - paid_c) * (penaltyDays_c(t) - baseDays)` for the cursor.
 */
export function accumulatorAt(state: LoanState, j: number, t: bigint): bigint {
  const inst = state.schedule[j]!;
  const days = penaltyDays(inst.dueDate, t, state.terms.graceDays);
  if (j > state.cursor) return amountOf(inst) * days;
  return state.base + (amountOf(inst) - state.paid) * (days - state.baseDays);
}

/** penalty_j(t) of installment `j >= cursor` (before deducting `penaltyPaid`). */
export function installmentPenaltyAt(state: LoanState, j: number, t: bigint): bigint {
  const days = penaltyDays(state.schedule[j]!.dueDate, t, state.terms.graceDays);
  return penaltyFor(accumulatorAt(state, j, t), days, state.terms);
}

/** `sum over j >= c of penalty_j(t) - penaltyPaid_c`. */
export function penaltyOutstandingAt(state: LoanState, t: bigint): bigint {
  const n = state.schedule.length;
  if (state.cursor >= n) return 0n;
  let total = installmentPenaltyAt(state, state.cursor, t) - state.penaltyPaid;
  for (let j = state.cursor + 1; j < n; j++) {
    // Due dates increase, so once an installment has no penalty day none after it has.
    if (penaltyDays(state.schedule[j]!.dueDate, t, state.terms.graceDays) === 0n) break;
    total += installmentPenaltyAt(state, j, t);
  }
  return total;
}

/** What {@link overdueAt} reports. */
export interface OverdueAtReturnType {
  /** Unpaid principal+interest of every installment at least one day late at `t`. */
  readonly amountOverdue: bigint;
  /** When the amount next changes by itself (the next unpaid installment turning one day late), or null. */
  readonly refreshAt: bigint | null;
  /** Since when the amount has been what it is (the last installment it includes turned one day late), or null. */
  readonly since: bigint | null;
}

/**
 * Amount overdue at `t`, and when it last and next changes with time alone. Reads only the
 * installments from the cursor on (the ones before it may be missing), what is paid of the
 * cursor's, and whether the loan is closed.
 */
export function overdueAt(state: Pick<LoanState, "status" | "cursor" | "paid" | "schedule">, t: bigint): OverdueAtReturnType {
  let amountOverdue = 0n;
  let since: bigint | null = null;
  if (state.status === LoanStatus.Closed) return { amountOverdue, refreshAt: null, since };
  for (let j = state.cursor; j < state.schedule.length; j++) {
    const inst = state.schedule[j]!;
    // Due dates increase: the first installment not yet a day late ends the overdue ones.
    if (daysLate(inst.dueDate, t) < 1n) return { amountOverdue, refreshAt: inst.dueDate + DAY, since };
    amountOverdue += amountOf(inst) - (j === state.cursor ? state.paid : 0n);
    since = inst.dueDate + DAY;
  }
  return { amountOverdue, refreshAt: null, since };
}

/** DPD at `t`: daysLate of the cursor installment, 0 when repaid. */
export function dpdAt(state: LoanState, t: bigint): bigint {
  const inst = state.schedule[state.cursor];
  return inst === undefined ? 0n : daysLate(inst.dueDate, t);
}

/**
 * Every time-dependent figure of the loan at `t` (t >= the last checkpoint).
 * @throws InvalidPaymentTimeError when `t` is before the last checkpoint.
 */
export function statusAt(state: LoanState, t: bigint): StatusAtReturnType {
  assertNotBeforeCheckpoint(state, t);
  const { schedule, cursor } = state;
  const dpd = dpdAt(state, t);
  let outstandingPrincipal = 0n;
  let outstandingInterest = 0n;
  for (let j = cursor; j < schedule.length; j++) {
    const inst = schedule[j]!;
    // interest is paid before principal, so interestPaid = min(paid, interest).
    const paid = j === cursor ? state.paid : 0n;
    const interestPaid = paid < inst.interest ? paid : inst.interest;
    outstandingInterest += inst.interest - interestPaid;
    outstandingPrincipal += inst.principal - (paid - interestPaid);
  }
  const current = schedule[cursor];
  return {
    dpd,
    bucket: bucketOf(dpd),
    classification: classify(dpd, state.policy, state.status),
    amountOverdue: overdueAt(state, t).amountOverdue,
    penaltyOutstanding: penaltyOutstandingAt(state, t),
    nextDueDate: current === undefined ? null : current.dueDate,
    nextDueAmount: current === undefined ? 0n : amountOf(current) - state.paid,
    outstandingPrincipal,
    outstandingInterest,
    cursor,
    status: state.status,
  };
}
