/**
 * Status transitions besides repayments and pokes: charge-off, write-off and
 * restructuring (a new schedule version agreed by lender and borrower).
 */
import { InvalidTransitionError } from "./errors";
import { assertOpen, isOpen } from "./loan";
import { statusAt, type LoanState } from "./loan-state";
import { validateSchedule } from "./schedule";
import { LoanStatus, type Schedule } from "./types";

/** Result of {@link restructure}. */
export interface RestructureReturnType {
  readonly state: LoanState;
  /** Interest outstanding under the old schedule, replaced by the new schedule's interest. */
  readonly replacedInterest: bigint;
  /** Penalty outstanding at the restructuring, forgiven. */
  readonly forgivenPenalty: bigint;
}

/**
 * Charges off an Active loan: it stays open and later payments are recoveries.
 * @throws InvalidTransitionError from any other status.
 */
export function chargeOff(state: LoanState): LoanState {
  if (state.status !== LoanStatus.Active) throw new InvalidTransitionError(state.status, LoanStatus.ChargedOff);
  return { ...state, status: LoanStatus.ChargedOff };
}

/**
 * Writes off an Active or ChargedOff loan (terminal; {@link statusAt} reports it as Loss).
 * @throws InvalidTransitionError from Closed or WrittenOff.
 */
export function writeOff(state: LoanState): LoanState {
  if (!isOpen(state)) throw new InvalidTransitionError(state.status, LoanStatus.WrittenOff);
  return { ...state, status: LoanStatus.WrittenOff };
}

/**
 * Replaces the schedule of an open loan with a new version at `at` (lender and
 * borrower have agreed). The new principal parts must sum to the outstanding
 * principal and the first due date must be after `at`. Outstanding interest is
 * replaced by the new schedule's and outstanding penalty is forgiven.
 * The cursor restarts at 0, reminders restart, observation starts with a streak of 0.
 * @throws LoanNotOpenError; InvalidPaymentTimeError when `at` is before the last checkpoint;
 *   ScheduleError subclasses (e.g. PrincipalMismatchError).
 */
export function restructure(state: LoanState, newSchedule: Schedule, at: bigint): RestructureReturnType {
  assertOpen(state);
  const now = statusAt(state, at);
  validateSchedule(newSchedule, now.outstandingPrincipal, at);
  return {
    state: {
      ...state,
      schedule: Object.freeze([...newSchedule]),
      cursor: 0,
      paid: 0n,
      penaltyPaid: 0n,
      // The new first due date is after `at`: U_0 = 0 with 0 penalty days.
      base: 0n,
      baseDays: 0n,
      reminderStage: 0,
      penaltyAssessed: 0n,
      observation: true,
      onTimeStreak: 0,
      restructuredAt: at,
    },
    replacedInterest: now.outstandingInterest,
    forgivenPenalty: now.penaltyOutstanding,
  };
}
