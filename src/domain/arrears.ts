/**
 * An arrears plan's parts and how a poke judges them, the twin of LoanLogic.judgeArrearsPlan and
 * arrearsRequired (docs/ledger-rules.md, "Relief"). Creating a plan is in arrears-plan.ts; this
 * module is what the poke in loan.ts needs, so it imports nothing from the state machine.
 */
import type { Schedule } from "./types";

/** ReliefLogic.MAX_ARREARS_PARTS: the most parts an arrears plan may have. */
export const MAX_ARREARS_PARTS = 36;

/** One promised part: `amount` by `dueDate` (ILoanReliefEvents.ArrearsPart). */
export interface ArrearsPart {
  readonly dueDate: bigint;
  readonly amount: bigint;
}

/**
 * The loan's last arrears plan (LoanLedger's word 3 and planParts while the RELIEF flag is set):
 * created at `createdAt`, parts before `next` judged kept, `paid` repaid since the creation,
 * `firstRegular` the first installment not overdue at the creation. `inForce` until a poke ends it.
 */
export interface ArrearsPlanState {
  readonly createdAt: bigint;
  readonly parts: readonly ArrearsPart[];
  readonly next: number;
  readonly firstRegular: number;
  readonly paid: bigint;
  readonly inForce: boolean;
}

/** What {@link judgeArrearsPlan} finds at `t`. */
export interface ArrearsJudgement {
  /** Parts from `next` kept (due by `t`, and what was repaid reached what they require). */
  readonly kept: number;
  /** The plan ends: the part after the kept ones was missed, or every part is kept. */
  readonly ends: boolean;
}

/**
 * What must have been repaid since the plan's creation by part `index`'s due date: the parts up
 * to it, plus the installments from `firstRegular` due by then (the regular course the plan runs alongside).
 */
export function arrearsRequired(plan: ArrearsPlanState, schedule: Schedule, index: number): bigint {
  const part = plan.parts[index]!;
  let required = 0n;
  for (let i = 0; i <= index; i++) required += plan.parts[i]!.amount;
  for (let j = plan.firstRegular; j < schedule.length; j++) {
    const inst = schedule[j]!;
    if (inst.dueDate > part.dueDate) break;
    required += inst.principal + inst.interest;
  }
  return required;
}

/** Judges the parts due by `t`, in order, as the first poke at or after their dates does. */
export function judgeArrearsPlan(plan: ArrearsPlanState, schedule: Schedule, t: bigint): ArrearsJudgement {
  for (let i = plan.next; i < plan.parts.length; i++) {
    if (plan.parts[i]!.dueDate > t) return { kept: i - plan.next, ends: false };
    if (plan.paid < arrearsRequired(plan, schedule, i)) return { kept: i - plan.next, ends: true };
  }
  return { kept: plan.parts.length - plan.next, ends: true };
}
