/**
 * Creating an arrears plan, the twin of LoanRelief.createArrearsPlan and ReliefLogic.createArrearsPlan
 * (docs/ledger-rules.md, "Relief"): the arrears now (amount overdue + penalty outstanding) split into
 * dated parts the borrower promised. Nothing owed changes; the poke (loan.ts) judges the parts.
 */
import { MAX_DUE_DATE_EXCLUSIVE } from "./constants";
import { daysLate } from "./delinquency";
import { LoanNotActiveError } from "./errors";
import { MAX_ARREARS_PARTS, type ArrearsPart } from "./arrears";
import { poke, type LoanEvent } from "./loan";
import { statusAt, type LoanState } from "./loan-state";
import { ArrearsPlanInForceError, HolidayInForceError, ReliefError } from "./relief";
import { LoanStatus } from "./types";

/** Nothing is overdue: there are no arrears to plan. */
export class NoArrearsError extends ReliefError {
  override name = "NoArrearsError";
  constructor() {
    super("Nothing is overdue: there are no arrears to plan.");
  }
}

/** The plan does not have 1 to {@link MAX_ARREARS_PARTS} parts. */
export class InvalidArrearsPartCountError extends ReliefError {
  override name = "InvalidArrearsPartCountError";
  constructor(readonly parts: number) {
    super(`An arrears plan needs 1 to ${MAX_ARREARS_PARTS} parts, got ${parts}.`);
  }
}

/** Part `index` is not due after the one before it (or after now, for the first), or is too late to store. */
export class InvalidArrearsPartDateError extends ReliefError {
  override name = "InvalidArrearsPartDateError";
  constructor(
    readonly index: number,
    readonly dueDate: bigint,
  ) {
    super(`Part ${index} is due at ${dueDate}: each part must be due after the one before it (the first after now), before 2^40.`);
  }
}

/** Part `index` has no amount. */
export class EmptyArrearsPartError extends ReliefError {
  override name = "EmptyArrearsPartError";
  constructor(readonly index: number) {
    super(`Part ${index} has no amount.`);
  }
}

/** The parts (or one part) do not add up to the arrears now. */
export class ArrearsMismatchError extends ReliefError {
  override name = "ArrearsMismatchError";
  constructor(
    readonly parts: bigint,
    readonly arrears: bigint,
  ) {
    super(`The parts add up to ${parts}, but the arrears now are ${arrears} (amount overdue + penalty outstanding).`);
  }
}

/** Result of {@link createArrearsPlan}: the new state, the catch-up poke's events and ArrearsPlanCreated's figures. */
export interface CreateArrearsPlanReturnType {
  readonly state: LoanState;
  /** What the poke before the creation emitted (the record catching up). */
  readonly events: LoanEvent[];
  readonly arrears: bigint;
  readonly amountOverdue: bigint;
  readonly penaltyOutstanding: bigint;
}

/**
 * Creates an arrears plan at block time `at`: first the catch-up poke, then the checks, in the
 * contract's order: LoanNotActiveError, HolidayInForceError, ArrearsPlanInForceError,
 * InvalidArrearsPartCountError, NoArrearsError, then per part InvalidArrearsPartDateError,
 * EmptyArrearsPartError, ArrearsMismatchError (a part above the arrears), and ArrearsMismatchError (the sum).
 */
export function createArrearsPlan(state: LoanState, parts: readonly ArrearsPart[], at: bigint): CreateArrearsPlanReturnType {
  if (state.status !== LoanStatus.Active) throw new LoanNotActiveError(state.status);
  const { state: s, events } = poke(state, at);
  if (s.holiday?.flagged) throw new HolidayInForceError(s.holiday.to);
  if (s.arrearsPlan?.inForce) throw new ArrearsPlanInForceError();
  if (parts.length === 0 || parts.length > MAX_ARREARS_PARTS) throw new InvalidArrearsPartCountError(parts.length);
  const now = statusAt(s, at);
  const arrears = now.amountOverdue + now.penaltyOutstanding;
  if (arrears === 0n) throw new NoArrearsError();
  let previous = at;
  let sum = 0n;
  parts.forEach((part, i) => {
    if (part.dueDate <= previous || part.dueDate >= MAX_DUE_DATE_EXCLUSIVE) throw new InvalidArrearsPartDateError(i, part.dueDate);
    if (part.amount <= 0n) throw new EmptyArrearsPartError(i);
    if (part.amount > arrears) throw new ArrearsMismatchError(part.amount, arrears);
    sum += part.amount;
    previous = part.dueDate;
  });
  if (sum !== arrears) throw new ArrearsMismatchError(sum, arrears);
  // The installments after the overdue ones are the regular course the plan runs alongside.
  let firstRegular = s.cursor;
  while (firstRegular < s.schedule.length && daysLate(s.schedule[firstRegular]!.dueDate, at) !== 0n) firstRegular++;
  return {
    state: {
      ...s,
      arrearsPlan: { createdAt: at, parts: Object.freeze(parts.map((p) => ({ ...p }))), next: 0, firstRegular, paid: 0n, inForce: true },
    },
    events,
    arrears,
    amountOverdue: now.amountOverdue,
    penaltyOutstanding: now.penaltyOutstanding,
  };
}
