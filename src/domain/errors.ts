/**
 * Typed errors of the domain library, viem style: one base class carrying a
 * one-line `shortMessage`, optional `details`, and the values that explain the
 * failure as typed fields. Names follow the contract's custom errors where one exists.
 * Every domain error is fatal (`retryable` false): the same input fails again.
 */
import { DuetrailError, type DuetrailErrorOptions } from "../errors";
import { MAX_INSTALLMENTS } from "./constants";

/** Options accepted by every {@link DomainError}. */
export type DomainErrorOptions = Pick<DuetrailErrorOptions, "details" | "cause">;

/** Base class of every error thrown by `src/domain`. */
export class DomainError extends DuetrailError {
  override name = "DomainError";

  constructor(shortMessage: string, options: DomainErrorOptions = {}) {
    super(shortMessage, { ...options, retryable: false });
  }
}

/** An argument is outside its allowed domain (negative amount, bad date string, ...). */
export class InvalidArgumentError extends DomainError {
  override name = "InvalidArgumentError";
  constructor(
    readonly argument: string,
    readonly reason: string,
  ) {
    super(`Invalid ${argument}: ${reason}.`);
  }
}

// ---------------------------------------------------------------- schedules

/** Base of every schedule validation error. */
export class ScheduleError extends DomainError {
  override name = "ScheduleError";
}

/** The schedule does not have 1..{@link MAX_INSTALLMENTS} installments. */
export class InstallmentCountError extends ScheduleError {
  override name = "InstallmentCountError";
  constructor(readonly count: number) {
    super(`A schedule needs 1 to ${MAX_INSTALLMENTS} installments, got ${count}.`);
  }
}

/** The loan principal is not positive (checked at registration). */
export class ZeroPrincipalError extends ScheduleError {
  override name = "ZeroPrincipalError";
  constructor(readonly principal: bigint) {
    super(`The principal must be positive, got ${principal}.`);
  }
}

/** The first due date is not strictly after the registration (or restructuring) time. */
export class FirstDueNotAfterNowError extends ScheduleError {
  override name = "FirstDueNotAfterNowError";
  constructor(
    readonly dueDate: bigint,
    readonly now: bigint,
  ) {
    super(`The first due date ${dueDate} must be after ${now}.`);
  }
}

/** Due dates do not strictly increase at `index`. */
export class DueDatesNotIncreasingError extends ScheduleError {
  override name = "DueDatesNotIncreasingError";
  constructor(
    readonly index: number,
    readonly previous: bigint,
    readonly dueDate: bigint,
  ) {
    super(`Due date of installment ${index} (${dueDate}) is not after the previous one (${previous}).`);
  }
}

/**
 * A principal or interest part is negative or not below 2^96, or (part "sum",
 * index = count) the principal parts sum to 2^96 or more.
 */
export class InstallmentPartOutOfRangeError extends ScheduleError {
  override name = "InstallmentPartOutOfRangeError";
  constructor(
    readonly index: number,
    readonly part: "principal" | "interest" | "sum",
    readonly value: bigint,
  ) {
    super(
      part === "sum"
        ? `The principal parts sum to ${value}, which must be below 2^96.`
        : `The ${part} of installment ${index} (${value}) must be in [0, 2^96).`,
    );
  }
}

/** An installment with neither principal nor interest (the contract refuses it). */
export class EmptyInstallmentError extends ScheduleError {
  override name = "EmptyInstallmentError";
  constructor(readonly index: number) {
    super(`Installment ${index} has neither principal nor interest.`);
  }
}

/** A due date at or beyond 2^40 seconds. */
export class DueDateTooLateError extends ScheduleError {
  override name = "DueDateTooLateError";
  constructor(
    readonly index: number,
    readonly dueDate: bigint,
  ) {
    super(`Due date of installment ${index} (${dueDate}) must be below 2^40.`);
  }
}

/** The principal parts do not sum to the loan principal. */
export class PrincipalMismatchError extends ScheduleError {
  override name = "PrincipalMismatchError";
  constructor(
    readonly expected: bigint,
    readonly actual: bigint,
  ) {
    super(`Principal parts sum to ${actual}, expected ${expected}.`);
  }
}

// ---------------------------------------------------------------- loans

/** The policy or terms are inconsistent (offsets not increasing, thresholds out of order, ...). */
export class InvalidPolicyError extends DomainError {
  override name = "InvalidPolicyError";
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`Invalid policy ${field}: ${reason}.`);
  }
}

/** Contract rate plus penalty rate exceeds the legal maximum at registration. */
export class RateAboveCapError extends DomainError {
  override name = "RateAboveCapError";
  constructor(
    readonly contractRateBps: number,
    readonly penaltyRateBps: number,
    readonly maxAnnualRateBps: number,
  ) {
    super(
      `Contract rate ${contractRateBps} bps plus penalty rate ${penaltyRateBps} bps exceeds the cap of ${maxAnnualRateBps} bps.`,
    );
  }
}

/** A repayment of zero. */
export class ZeroAmountError extends DomainError {
  override name = "ZeroAmountError";
  constructor() {
    super("The repayment amount must be positive.");
  }
}

/** Money would be left over after the loan is fully paid off; nothing is applied. */
export class OverpaymentError extends DomainError {
  override name = "OverpaymentError";
  constructor(
    readonly amount: bigint,
    readonly excess: bigint,
  ) {
    super(`Repayment of ${amount} exceeds the full payoff by ${excess}.`);
  }
}

/** The operation needs an open (Active or ChargedOff) loan. */
export class LoanNotOpenError extends DomainError {
  override name = "LoanNotOpenError";
  constructor(readonly status: number) {
    super(`The loan is not open (status ${status}).`);
  }
}

/** The operation needs an Active loan (charge-off, restructuring). */
export class LoanNotActiveError extends DomainError {
  override name = "LoanNotActiveError";
  constructor(readonly status: number) {
    super(`The loan is not active (status ${status}).`);
  }
}

/** A payment (or restructuring) time outside [earliest, latest]. */
export class InvalidPaymentTimeError extends DomainError {
  override name = "InvalidPaymentTimeError";
  constructor(
    readonly at: bigint,
    readonly earliest: bigint,
    readonly latest: bigint | null,
  ) {
    super(
      latest === null
        ? `Time ${at} is before the loan's last checkpoint ${earliest}.`
        : `Time ${at} must be within [${earliest}, ${latest}].`,
    );
  }
}
