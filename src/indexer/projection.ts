/**
 * The indexer's fold of a loan's events into its projection (src/db/loans.ts has the projection's
 * shape and its loans row): the domain state machine (src/domain) driven by the chain's events,
 * checked against the figures the contract emitted.
 */
import {
  applyRepayment,
  arrearsRequired,
  chargeOff,
  createArrearsPlan,
  decodeJurisdiction,
  Classification,
  grantHoliday,
  newLoan,
  restructure,
  settle,
  writeOff,
  type HolidayInterest,
  type HolidayPlacement,
  type Installment,
  type Policy,
} from "../domain";
import type { DecodedLog } from "../chain/decode";
import type { LoanProjection, LoanStatic } from "../db/loans";

import { ProjectionMismatchError } from "./errors";

export function installmentsFrom(schedule: readonly { dueDate: bigint; principal: bigint; interest: bigint }[]): Installment[] {
  return schedule.map((i) => ({ dueDate: i.dueDate, principal: i.principal, interest: i.interest }));
}

/** Starts a projection from LoanRegistered. */
export function registerProjection(log: Extract<DecodedLog, { eventName: "LoanRegistered" }>, timestamp: number, policy: Policy): LoanProjection {
  const a = log.args;
  const fixed: LoanStatic = {
    loanId: Number(a.loanId),
    lender: a.lender,
    borrower: a.borrower,
    borrowerRef: a.borrowerRef,
    token: a.token,
    currency: a.currency,
    principal: a.principal,
    contractRateBps: a.contractRateBps,
    utcOffsetMinutes: a.utcOffsetMinutes,
    jurisdiction: decodeJurisdiction(a.jurisdiction),
    policyId: a.policyId,
    graceDays: a.terms.graceDays,
    penaltyRateBps: a.terms.penaltyRateBps,
    capRoomBps: a.terms.capRoomBps,
    lateFee: a.terms.lateFee,
    registeredAt: timestamp,
    blockNumber: log.blockNumber,
    logIndex: log.logIndex,
    txHash: log.transactionHash,
  };
  const state = newLoan(
    installmentsFrom(a.schedule),
    {
      principal: a.principal,
      contractRateBps: a.contractRateBps,
      penaltyRateBps: a.terms.penaltyRateBps,
      lateFee: a.terms.lateFee,
      capRoomBps: a.terms.capRoomBps,
      graceDays: a.terms.graceDays,
      registeredAt: BigInt(timestamp),
    },
    policy,
  );
  return {
    fixed,
    state,
    version: 1,
    chargedOffAt: null,
    writtenOffAt: null,
    closedAt: null,
    settledAt: null,
    trailHead: null,
    trailCount: 0,
    restrictedChannels: 0,
    disputeOpen: false,
    updatedBlock: log.blockNumber,
  };
}

/**
 * Applies one of the loan's events (other than LoanRegistered) at block time `timestamp`.
 * Returns the new projection; throws ProjectionMismatchError when the contract's figures differ
 * from the domain's (which would mean the two implementations of docs/ledger-rules.md diverged).
 */
export function applyToProjection(p: LoanProjection, log: DecodedLog, timestamp: number): LoanProjection {
  const at = BigInt(timestamp);
  const next: LoanProjection = { ...p, updatedBlock: log.blockNumber };
  const s = p.state;
  switch (log.eventName) {
    case "LoanRepaid": {
      const a = log.args;
      const r = applyRepayment(s, a.amount, a.paidAt, at);
      const b = r.breakdown;
      if (b.penalty !== a.penalty || b.interest !== a.interest || b.principal !== a.principal || b.cursorAfter !== a.cursor) {
        throw new ProjectionMismatchError(
          `loan ${p.fixed.loanId} repayment at ${log.blockNumber}:${log.logIndex}: contract (penalty ${a.penalty}, interest ${a.interest}, principal ${a.principal}, cursor ${a.cursor}) != domain (${b.penalty}, ${b.interest}, ${b.principal}, ${b.cursorAfter})`,
        );
      }
      next.state = r.state;
      return next;
    }
    case "LoanClosed":
      next.closedAt = timestamp;
      return next;
    case "ReminderTriggered":
      next.state = { ...s, reminderStage: log.args.stage + 1 };
      return next;
    case "PenaltyAssessed":
      next.state = { ...s, penaltyAssessed: log.args.penaltyOutstanding };
      return next;
    case "ClassificationChanged":
      next.state = { ...s, classification: log.args.to as Classification };
      return next;
    case "LoanDefaulted":
      next.state = { ...s, defaulted: true };
      return next;
    case "ObservationEnded":
      next.state = { ...s, observation: false };
      return next;
    case "LoanChargedOff":
      next.state = chargeOff(s);
      next.chargedOffAt = timestamp;
      return next;
    case "LoanWrittenOff":
      next.state = writeOff(s);
      next.writtenOffAt = timestamp;
      return next;
    case "LoanRestructured": {
      const r = restructure(s, installmentsFrom(log.args.schedule), at);
      if (r.outstandingPrincipal !== log.args.outstandingPrincipal) {
        throw new ProjectionMismatchError(
          `loan ${p.fixed.loanId} restructuring: contract outstanding principal ${log.args.outstandingPrincipal} != domain ${r.outstandingPrincipal}`,
        );
      }
      next.state = r.state;
      next.version = log.args.version;
      return next;
    }
    case "PaymentHolidayGranted": {
      const a = log.args;
      // The lender's holidayMaxDpd was checked on chain; the projection replays what was granted.
      const r = grantHoliday(
        s,
        { installments: a.terms.installments, interest: a.terms.interest as HolidayInterest, placement: a.terms.placement as HolidayPlacement },
        at,
        Number.MAX_SAFE_INTEGER,
      );
      const f = r.figures;
      const same =
        r.to === a.to &&
        f.deferredPrincipal === a.figures.deferredPrincipal &&
        f.deferredInterest === a.figures.deferredInterest &&
        f.waivedInterest === a.figures.waivedInterest &&
        f.forgivenPenalty === a.figures.forgivenPenalty &&
        r.schedule.length === a.schedule.length &&
        r.schedule.every((i, k) => i.dueDate === a.schedule[k]!.dueDate && i.principal === a.schedule[k]!.principal && i.interest === a.schedule[k]!.interest);
      if (!same) {
        throw new ProjectionMismatchError(`loan ${p.fixed.loanId} payment holiday at ${log.blockNumber}:${log.logIndex}: the contract's schedule or figures differ from the domain's`);
      }
      next.state = r.state;
      next.version = a.version;
      return next;
    }
    case "PaymentHolidayEnded":
      next.state = s.holiday === undefined ? s : { ...s, holiday: { ...s.holiday, flagged: false } };
      return next;
    case "ArrearsPlanCreated": {
      const a = log.args;
      // The catch-up poke's events came first, so the domain's own poke here has nothing left to do.
      const r = createArrearsPlan(s, a.parts.map((x) => ({ dueDate: x.dueDate, amount: x.amount })), at);
      if (r.events.length !== 0 || r.arrears !== a.arrears || r.amountOverdue !== a.amountOverdue || r.penaltyOutstanding !== a.penaltyOutstanding) {
        throw new ProjectionMismatchError(
          `loan ${p.fixed.loanId} arrears plan at ${log.blockNumber}:${log.logIndex}: contract arrears ${a.arrears} (${a.amountOverdue} + ${a.penaltyOutstanding}) != domain ${r.arrears} (${r.amountOverdue} + ${r.penaltyOutstanding})`,
        );
      }
      next.state = r.state;
      return next;
    }
    case "ArrearsPartKept":
    case "ArrearsPlanBroken":
    case "ArrearsPlanCompleted": {
      const plan = s.arrearsPlan;
      if (plan === undefined || !plan.inForce) {
        throw new ProjectionMismatchError(`loan ${p.fixed.loanId} ${log.eventName} at ${log.blockNumber}:${log.logIndex}: the domain has no arrears plan in force`);
      }
      const a = log.args;
      // Completed follows the last kept part: there is no part left to name.
      const part = "part" in a ? a.part : plan.parts.length;
      const required = "required" in a && plan.next < plan.parts.length ? arrearsRequired(plan, s.schedule, plan.next) : null;
      if (part !== plan.next || a.paid !== plan.paid || ("required" in a && a.required !== required)) {
        throw new ProjectionMismatchError(
          `loan ${p.fixed.loanId} ${log.eventName} at ${log.blockNumber}:${log.logIndex}: contract (part ${part}, paid ${a.paid}) != domain (part ${plan.next}, paid ${plan.paid}, required ${required})`,
        );
      }
      const kept = log.eventName === "ArrearsPartKept";
      next.state = { ...s, arrearsPlan: { ...plan, next: kept ? plan.next + 1 : plan.next, inForce: kept } };
      return next;
    }
    case "LoanSettled": {
      const a = log.args;
      const r = settle(s, a.amount, at);
      const f = r.figures;
      const g = a.figures;
      if (
        f.penaltyPaid !== g.penaltyPaid || f.interestPaid !== g.interestPaid || f.principalPaid !== g.principalPaid ||
        f.penaltyForgiven !== g.penaltyForgiven || f.interestForgiven !== g.interestForgiven || f.principalForgiven !== g.principalForgiven
      ) {
        throw new ProjectionMismatchError(`loan ${p.fixed.loanId} settlement at ${log.blockNumber}:${log.logIndex}: the contract's allocation differs from the domain's`);
      }
      next.state = r.state;
      next.settledAt = timestamp;
      return next;
    }
    case "ActionRecorded":
      next.trailHead = log.args.head;
      next.trailCount = Number(log.args.seq);
      return next;
    case "ChannelRestricted":
      next.restrictedChannels = p.restrictedChannels | (1 << log.args.channel);
      return next;
    case "ChannelReleased":
      next.restrictedChannels = p.restrictedChannels & ~(1 << log.args.channel);
      return next;
    case "DisputeFiled":
      next.disputeOpen = true;
      return next;
    case "DisputeResolved":
      next.disputeOpen = false;
      return next;
    default:
      return next;
  }
}
