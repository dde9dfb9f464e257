/**
 * Relief that changes what is owed, the twin of contracts/libraries/ReliefLogic.sol
 * (docs/ledger-rules.md, "Relief"; arrears plans, which change nothing owed, are in arrears-plan.ts): a payment holiday (a new schedule version computed from the
 * old one, with nothing due or emitted until it ends) and a settlement (the loan ends as Settled
 * for less than is owed, the rest forgiven). Pure; test/contracts/LoanRelief.property.test.ts
 * checks it against the contract.
 */
import { DAY, MAX_PART_EXCLUSIVE, MAX_DUE_DATE_EXCLUSIVE } from "./constants";
import { DomainError, InstallmentPartOutOfRangeError, DueDateTooLateError, LoanNotActiveError } from "./errors";
import { assertOpen, type LoanEvent } from "./loan";
import { newVersion, statusAt, type LoanState } from "./loan-state";
import { Classification, LoanStatus, type Installment, type Schedule } from "./types";

/** What happens to the deferred installments' interest (ILoanReliefEvents.HolidayInterest). */
export const HolidayInterest = { Accrued: 0, Capitalised: 1, Waived: 2 } as const;
export type HolidayInterest = (typeof HolidayInterest)[keyof typeof HolidayInterest];

/** Where the deferred amounts go (ILoanReliefEvents.HolidayPlacement). */
export const HolidayPlacement = { End: 0, Spread: 1 } as const;
export type HolidayPlacement = (typeof HolidayPlacement)[keyof typeof HolidayPlacement];

/** A payment holiday's terms, as offered and signed. */
export interface HolidayTerms {
  /** Unpaid installments deferred, from the oldest. */
  readonly installments: number;
  readonly interest: HolidayInterest;
  readonly placement: HolidayPlacement;
}

/** LoanRelief.DEFAULT_HOLIDAY_MAX_DPD: the most DPD at which a holiday may be granted when the lender set none. */
export const DEFAULT_HOLIDAY_MAX_DPD = 30;
/** The End placement's period when the schedule has one installment (ReliefLogic._DEFAULT_PERIOD). */
export const DEFAULT_HOLIDAY_PERIOD = 30n * DAY;

/** A relief the loan's state does not allow, or terms that do not fit it. */
export class ReliefError extends DomainError {
  override name = "ReliefError";
}

/** A holiday is still flagged (in force, or over and not yet closed by a poke). */
export class HolidayInForceError extends ReliefError {
  override name = "HolidayInForceError";
  constructor(readonly to: bigint) {
    super(`A payment holiday until ${to} is still flagged; a poke at or after its end closes it.`);
  }
}

/** An arrears plan is in force (until a poke judges a part missed or the last one kept). */
export class ArrearsPlanInForceError extends ReliefError {
  override name = "ArrearsPlanInForceError";
  constructor() {
    super("An arrears plan is in force; it ends when a part is missed or the last one is kept.");
  }
}

/** The loan has defaulted, or a default is due (DPD past the policy's defaultAfterDays): a holiday would hide it. */
export class LoanDefaultedError extends ReliefError {
  override name = "LoanDefaultedError";
  constructor() {
    super("The loan has defaulted; a payment holiday cannot be granted.");
  }
}

/** DPD is above the lender's holidayMaxDpd. */
export class HolidayDpdTooHighError extends ReliefError {
  override name = "HolidayDpdTooHighError";
  constructor(
    readonly dpd: bigint,
    readonly holidayMaxDpd: number,
  ) {
    super(`The loan is ${dpd} days past due; a payment holiday needs at most ${holidayMaxDpd}.`);
  }
}

/** `installments` is 0, more than remain unpaid, or (Spread) leaves nothing to spread over. */
export class InvalidHolidayInstallmentsError extends ReliefError {
  override name = "InvalidHolidayInstallmentsError";
  constructor(
    readonly installments: number,
    readonly available: number,
  ) {
    super(`Cannot defer ${installments} installment(s): ${available} unpaid (Spread needs at least one left after them).`);
  }
}

/** Every deferred installment is already due: there is no holiday to take. */
export class HolidayInPastError extends ReliefError {
  override name = "HolidayInPastError";
  constructor(readonly to: bigint) {
    super(`The last deferred installment was due at ${to}, not after now.`);
  }
}

/** A settlement must be above 0 and below what is owed. */
export class InvalidSettlementAmountError extends ReliefError {
  override name = "InvalidSettlementAmountError";
  constructor(
    readonly amount: bigint,
    readonly owed: bigint,
  ) {
    super(`A settlement of ${amount} must be above 0 and below the ${owed} owed.`);
  }
}

/** PaymentHolidayGranted's figures. */
export interface HolidayFigures {
  readonly deferredPrincipal: bigint;
  readonly deferredInterest: bigint;
  readonly waivedInterest: bigint;
  readonly forgivenPenalty: bigint;
}

/** Result of {@link grantHoliday}: the new state and PaymentHolidayGranted's fields. */
export interface GrantHolidayReturnType {
  readonly state: LoanState;
  readonly schedule: Schedule;
  readonly from: bigint;
  readonly to: bigint;
  readonly figures: HolidayFigures;
  /** classificationChanged to Normal, when the recorded classification was not. */
  readonly events: LoanEvent[];
}

/**
 * Grants a payment holiday at `at`: the `terms.installments` oldest unpaid installments (the
 * cursor's unpaid rest first, interest paid before principal) are deferred with their interest
 * treated per `terms.interest` and placed per `terms.placement`; unpaid penalties are forgiven.
 * The new version starts at `at` with its first installment; nothing is due until `to`, the last
 * deferred installment's original due date, since every new due date is after it.
 * Refused, in the contract's order: LoanNotActiveError, InvalidHolidayInstallmentsError,
 *   HolidayInForceError, LoanDefaultedError (defaulted, or DPD past the policy's defaultAfterDays),
 *   HolidayDpdTooHighError, HolidayInPastError, InstallmentPartOutOfRangeError, DueDateTooLateError.
 */
export function grantHoliday(state: LoanState, terms: HolidayTerms, at: bigint, holidayMaxDpd = DEFAULT_HOLIDAY_MAX_DPD): GrantHolidayReturnType {
  if (state.status !== LoanStatus.Active) throw new LoanNotActiveError(state.status);
  const { schedule, cursor: c } = state;
  const k = terms.installments;
  const available = schedule.length - c;
  const spread = terms.placement === HolidayPlacement.Spread;
  if (!Number.isInteger(k) || k < 1 || k > available || (spread && k === available)) throw new InvalidHolidayInstallmentsError(k, available);
  const to = holidayEnd(state, k);
  if (state.holiday?.flagged) throw new HolidayInForceError(state.holiday.to);
  if (state.arrearsPlan?.inForce) throw new ArrearsPlanInForceError();
  const now = statusAt(state, at);
  // A default that is due counts, recorded by a poke or not: a holiday must not hide it.
  if (state.defaulted || now.dpd > BigInt(state.policy.defaultAfterDays)) throw new LoanDefaultedError();
  if (now.dpd > BigInt(holidayMaxDpd)) throw new HolidayDpdTooHighError(now.dpd, holidayMaxDpd);
  if (to <= at) throw new HolidayInPastError(to);

  let deferredPrincipal = 0n;
  let deferredInterest = 0n;
  let waivedInterest = 0n;
  const deferred: Installment[] = [];
  for (let i = 0; i < k; i++) {
    const inst = schedule[c + i]!;
    let p = inst.principal;
    let r = inst.interest;
    if (i === 0) {
      const interestPaid = state.paid < r ? state.paid : r;
      r -= interestPaid;
      p -= state.paid - interestPaid;
    }
    deferredPrincipal += p;
    deferredInterest += r;
    if (terms.interest === HolidayInterest.Capitalised) {
      p += r;
      r = 0n;
    } else if (terms.interest === HolidayInterest.Waived) {
      waivedInterest += r;
      r = 0n;
    }
    deferred.push({ dueDate: inst.dueDate, principal: p, interest: r });
  }
  const rest = schedule.slice(c + k);
  const next = spread ? spreadOver(rest, deferred) : atEnd(schedule, rest, deferred, to);
  if (next.length === 0) throw new InvalidHolidayInstallmentsError(k, available);
  next.forEach((inst, i) => {
    if (inst.principal >= MAX_PART_EXCLUSIVE) throw new InstallmentPartOutOfRangeError(i, "principal", inst.principal);
    if (inst.interest >= MAX_PART_EXCLUSIVE) throw new InstallmentPartOutOfRangeError(i, "interest", inst.interest);
  });
  const principal = next.reduce((sum, i) => sum + i.principal, 0n);
  if (principal >= MAX_PART_EXCLUSIVE) throw new InstallmentPartOutOfRangeError(next.length, "sum", principal);

  const events: LoanEvent[] = [];
  if (state.classification !== Classification.Normal) {
    events.push({ type: "classificationChanged", from: state.classification, to: Classification.Normal, dpd: 0n });
  }
  return {
    state: { ...newVersion(state, next, at), classification: Classification.Normal, holiday: { from: at, to, flagged: true } },
    schedule: next,
    from: at,
    to,
    figures: { deferredPrincipal, deferredInterest, waivedInterest, forgivenPenalty: now.penaltyOutstanding },
    events,
  };
}

/**
 * The end of a holiday deferring `installments` from the cursor: the last deferred installment's due
 * date (the `to` the borrower's consent names). `installments` must be within the unpaid ones.
 */
export function holidayEnd(state: Pick<LoanState, "schedule" | "cursor">, installments: number): bigint {
  const inst = state.schedule[state.cursor + installments - 1];
  if (installments < 1 || inst === undefined) throw new InvalidHolidayInstallmentsError(installments, state.schedule.length - state.cursor);
  return inst.dueDate;
}

/** End placement: `rest` unchanged, then each non-empty deferred installment one period after the last. */
function atEnd(schedule: Schedule, rest: Schedule, deferred: Installment[], to: bigint): Installment[] {
  const n = schedule.length;
  const period = n >= 2 ? schedule[n - 1]!.dueDate - schedule[n - 2]!.dueDate : DEFAULT_HOLIDAY_PERIOD;
  const out = rest.map((i) => ({ ...i }));
  let last = rest.length > 0 ? rest[rest.length - 1]!.dueDate : to;
  for (const d of deferred) {
    if (d.principal === 0n && d.interest === 0n) continue;
    last += period;
    if (last >= MAX_DUE_DATE_EXCLUSIVE) throw new DueDateTooLateError(out.length, last);
    out.push({ dueDate: last, principal: d.principal, interest: d.interest });
  }
  return out;
}

/** Spread placement: an equal share of the deferred principal and interest on each of `rest` (floor); the last takes the residue. */
function spreadOver(rest: Schedule, deferred: Installment[]): Installment[] {
  const m = BigInt(rest.length);
  const sumP = deferred.reduce((s, d) => s + d.principal, 0n);
  const sumR = deferred.reduce((s, d) => s + d.interest, 0n);
  return rest.map((inst, j) => {
    const last = j === rest.length - 1;
    return {
      dueDate: inst.dueDate,
      principal: inst.principal + sumP / m + (last ? sumP % m : 0n),
      interest: inst.interest + sumR / m + (last ? sumR % m : 0n),
    };
  });
}

/** Whether nothing may be emitted for the loan at `t`: a flagged holiday not yet over. */
export function holidayInForce(state: LoanState, t: bigint): boolean {
  return state.holiday?.flagged === true && t < state.holiday.to;
}

/** LoanSettled's figures: what the amount paid and what was forgiven, each of penalty, interest, principal. */
export interface SettlementFigures {
  readonly penaltyPaid: bigint;
  readonly interestPaid: bigint;
  readonly principalPaid: bigint;
  readonly penaltyForgiven: bigint;
  readonly interestForgiven: bigint;
  readonly principalForgiven: bigint;
}

/** What is owed at `t`: outstanding principal, interest and penalties (a settlement must be below their sum). */
export function owedAt(state: LoanState, t: bigint): { principal: bigint; interest: bigint; penalty: bigint; total: bigint } {
  const s = statusAt(state, t);
  return {
    principal: s.outstandingPrincipal,
    interest: s.outstandingInterest,
    penalty: s.penaltyOutstanding,
    total: s.outstandingPrincipal + s.outstandingInterest + s.penaltyOutstanding,
  };
}

/**
 * Ends an open loan as Settled for `amount` at block time `t`: penalties, then interest, then
 * principal are paid from it as far as it goes, the rest of each forgiven. Nothing is left
 * outstanding: the cursor moves past the end, as for a repaid loan.
 * @throws LoanNotOpenError; InvalidSettlementAmountError unless 0 < amount < owed at `t`.
 */
export function settle(state: LoanState, amount: bigint, t: bigint): { state: LoanState; figures: SettlementFigures } {
  assertOpen(state);
  const owed = owedAt(state, t);
  if (amount <= 0n || amount >= owed.total) throw new InvalidSettlementAmountError(amount, owed.total);
  const min = (a: bigint, b: bigint) => (a < b ? a : b);
  const penaltyPaid = min(amount, owed.penalty);
  const interestPaid = min(amount - penaltyPaid, owed.interest);
  const principalPaid = amount - penaltyPaid - interestPaid;
  return {
    state: {
      ...state,
      status: LoanStatus.Settled,
      cursor: state.schedule.length,
      paid: 0n,
      penaltyPaid: 0n,
      base: 0n,
      baseDays: 0n,
      penaltyAssessed: 0n,
      holiday: state.holiday && { ...state.holiday, flagged: false },
      arrearsPlan: state.arrearsPlan && { ...state.arrearsPlan, inForce: false },
    },
    figures: {
      penaltyPaid,
      interestPaid,
      principalPaid,
      penaltyForgiven: owed.penalty - penaltyPaid,
      interestForgiven: owed.interest - interestPaid,
      principalForgiven: owed.principal - principalPaid,
    },
  };
}
