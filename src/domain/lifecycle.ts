/**
 * Status transitions besides repayments and pokes: charge-off, write-off and
 * restructuring (a new schedule version agreed by lender and borrower).
 */
import { LoanNotActiveError } from "./errors";
import { assertOpen } from "./loan";
import { newVersion, statusAt, type LoanState } from "./loan-state";
import { validateSchedule } from "./schedule";
import { ArrearsPlanInForceError, HolidayInForceError } from "./relief";
import { LoanStatus, type Schedule } from "./types";

/** Result of {@link restructure}: the new state and the figures of the LoanRestructured event. */
export interface RestructureReturnType {
  readonly state: LoanState;
  /** Principal outstanding at the restructuring: what the new schedule's principal parts sum to. */
  readonly outstandingPrincipal: bigint;
  /** Interest outstanding under the old schedule, replaced by the new schedule's interest. */
  readonly replacedInterest: bigint;
  /** Penalty outstanding at the restructuring, forgiven. */
  readonly forgivenPenalty: bigint;
}

/**
 * Charges off an Active loan: it stays open and later payments are recoveries.
 * @throws LoanNotActiveError from any other status.
 */
export function chargeOff(state: LoanState): LoanState {
  if (state.status !== LoanStatus.Active) throw new LoanNotActiveError(state.status);
  return { ...state, status: LoanStatus.ChargedOff };
}

/**
 * Writes off an Active or ChargedOff loan. Terminal: {@link statusAt} reports it as Loss;
 * the recorded classification is left as it was (no ClassificationChanged).
 * @throws LoanNotOpenError from Closed or WrittenOff.
 */
export function writeOff(state: LoanState): LoanState {
  assertOpen(state);
  return { ...state, status: LoanStatus.WrittenOff };
}

/**
 * Replaces the schedule of an Active loan with a new version at `at` (lender and
 * borrower have agreed). The new principal parts must sum to the outstanding
 * principal and the first due date must be after `at`. Outstanding interest is
 * replaced by the new schedule's and outstanding penalty is forgiven.
 * The cursor restarts at 0 with a fresh checkpoint, reminders restart, the penalty
 * assessment resets, observation starts with a streak of 0; the recorded
 * classification and the defaulted flag stay.
 * @throws LoanNotActiveError; HolidayInForceError while a holiday is flagged; ArrearsPlanInForceError while an arrears plan is; InvalidPaymentTimeError when `at` is before the last checkpoint;
 *   ScheduleError subclasses (e.g. PrincipalMismatchError).
 */
export function restructure(state: LoanState, newSchedule: Schedule, at: bigint): RestructureReturnType {
  if (state.status !== LoanStatus.Active) throw new LoanNotActiveError(state.status);
  if (state.holiday?.flagged) throw new HolidayInForceError(state.holiday.to);
  if (state.arrearsPlan?.inForce) throw new ArrearsPlanInForceError();
  const now = statusAt(state, at);
  validateSchedule(newSchedule, now.outstandingPrincipal, at);
  return {
    state: { ...newVersion(state, newSchedule, at), observation: true, onTimeStreak: 0, restructuredAt: at },
    outstandingPrincipal: now.outstandingPrincipal,
    replacedInterest: now.outstandingInterest,
    forgivenPenalty: now.penaltyOutstanding,
  };
}
