import {
  DAY,
  daysLate,
  applyRepayment,
  chargeOff,
  Classification,
  LoanStatus,
  newLoan,
  restructure,
  writeOff,
  type Installment,
  type LoanState,
  type Policy,
} from "../domain";
import type { LoansTable } from "../db/schema";
import type { DecodedLog } from "./decode";

/** What never changes after registration (the loans row's fixed columns). */
export interface LoanStatic {
  loanId: number;
  lender: string;
  borrower: string;
  borrowerRef: string;
  token: string;
  currency: string;
  principal: bigint;
  contractRateBps: number;
  utcOffsetMinutes: number;
  policyId: number;
  graceDays: number;
  penaltyRateBps: number;
  capRoomBps: number;
  lateFee: bigint;
  registeredAt: number;
  blockNumber: number;
  logIndex: number;
  txHash: string;
}

/**
 * One loan as the indexer keeps it: the domain state machine (src/domain) driven by the chain's
 * events, plus the collection side (trail, restrictions, dispute). A pure fold over the loan's
 * events in chain order; a rollback rebuilds it by folding again.
 */
export interface LoanProjection {
  fixed: LoanStatic;
  state: LoanState;
  version: number;
  chargedOffAt: number | null;
  writtenOffAt: number | null;
  closedAt: number | null;
  trailHead: string | null;
  trailCount: number;
  restrictedChannels: number;
  disputeOpen: boolean;
  updatedBlock: number;
}

/** A projection drifted from what the contract emitted: the domain and contract disagree. */
export class ProjectionMismatchError extends Error {
  override name = "ProjectionMismatchError";
}

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

/** Width of amount_overdue: 40 digits hold any uint128 sum. */
export const AMOUNT_SORT_WIDTH = 40;

/**
 * What overdueAt reads of a loan's state: its installments from the cursor on (the ones before it
 * may be missing), what is paid of the cursor's, and whether it is closed.
 */
export type OverdueInputs = Pick<LoanState, "status" | "cursor" | "paid" | "schedule">;

/**
 * The loans columns that change with time alone (the amount overdue grows as installments turn a
 * day late): an overdue refresh writes these (overdueColumns).
 */
export type OverdueRow = Pick<LoansTable, "loan_id" | "amount_overdue" | "overdue_refresh_at" | "overdue_since">;

/** The loan's time-dependent columns as of `asOf` (projectionRow takes them from here). */
export function overdueColumns(loanId: number, state: OverdueInputs, asOf: number): OverdueRow {
  const overdue = overdueAt(state, BigInt(asOf));
  return {
    loan_id: loanId,
    amount_overdue: overdue.amountOverdue.toString().padStart(AMOUNT_SORT_WIDTH, "0"),
    overdue_refresh_at: overdue.refreshAt === null ? null : Number(overdue.refreshAt),
    overdue_since: overdue.since === null ? null : Number(overdue.since),
  };
}

/**
 * Amount overdue at `t` and when it next changes by itself (the next unpaid installment turning
 * one day late), as the loans row stores them for sorting.
 */
export function overdueAt(
  state: OverdueInputs,
  t: bigint,
): { amountOverdue: bigint; refreshAt: bigint | null; since: bigint | null } {
  let amountOverdue = 0n;
  let since: bigint | null = null;
  if (state.status === LoanStatus.Closed) return { amountOverdue, refreshAt: null, since };
  for (let j = state.cursor; j < state.schedule.length; j++) {
    const inst = state.schedule[j];
    if (daysLate(inst.dueDate, t) < 1n) return { amountOverdue, refreshAt: inst.dueDate + DAY, since };
    amountOverdue += inst.principal + inst.interest - (j === state.cursor ? state.paid : 0n);
    since = inst.dueDate + DAY;
  }
  return { amountOverdue, refreshAt: null, since };
}

/**
 * The loans columns projectionRow takes from `fixed` (set at registration, never changed after):
 * an upsert of a loan already stored leaves them out (and so skips the borrower index).
 */
export const LOAN_FIXED_COLUMNS = [
  "lender",
  "borrower",
  "borrower_ref",
  "token",
  "currency",
  "principal",
  "contract_rate_bps",
  "utc_offset_minutes",
  "policy_id",
  "grace_days",
  "penalty_rate_bps",
  "cap_room_bps",
  "late_fee",
  "registered_at",
  "block_number",
  "log_index",
  "tx_hash",
] as const satisfies readonly (keyof LoansTable)[];

/**
 * The loans columns that change with collection events only (the trail, restrictions, disputes)
 * and with every event (updated_block). Where a batch changed no other part of a loan
 * (sameServicing), its row is updated in these alone: the other columns, including the
 * time-dependent ones, are as the last write left them, which the overdue refresh keeps current.
 */
export const COLLECTION_COLUMNS = [
  "trail_head",
  "trail_count",
  "restricted_channels",
  "dispute_open",
  "updated_block",
] as const satisfies readonly (keyof LoansTable)[];

export type CollectionRow = Pick<LoansTable, "loan_id" | (typeof COLLECTION_COLUMNS)[number]>;

/** The loan id and COLLECTION_COLUMNS of a projection's loans row (projectionRow takes them from here). */
export function collectionRow(p: LoanProjection): CollectionRow {
  return {
    loan_id: p.fixed.loanId,
    trail_head: p.trailHead,
    trail_count: p.trailCount,
    restricted_channels: p.restrictedChannels,
    dispute_open: p.disputeOpen ? 1 : 0,
    updated_block: p.updatedBlock,
  };
}

/**
 * Whether `next` leaves every loans column but COLLECTION_COLUMNS as `prev` had it (the state is
 * replaced, never changed in place, by every event that changes it: the same object means the same
 * state).
 */
export function sameServicing(prev: LoanProjection, next: LoanProjection): boolean {
  return (
    prev.state === next.state &&
    prev.version === next.version &&
    prev.chargedOffAt === next.chargedOffAt &&
    prev.writtenOffAt === next.writtenOffAt &&
    prev.closedAt === next.closedAt &&
    prev.fixed === next.fixed
  );
}

/** The loans row of a projection, with the time-dependent sort columns as of `asOf`. */
export function projectionRow(p: LoanProjection, asOf: number): LoansTable {
  const f = p.fixed;
  const s = p.state;
  const overdue = overdueColumns(f.loanId, s, asOf);
  const collection = collectionRow(p);
  const cursorDue = s.cursor < s.schedule.length && s.status !== LoanStatus.Closed ? Number(s.schedule[s.cursor].dueDate) : null;
  return {
    loan_id: f.loanId,
    lender: f.lender,
    borrower: f.borrower,
    borrower_ref: f.borrowerRef,
    token: f.token,
    currency: f.currency,
    principal: f.principal.toString(),
    contract_rate_bps: f.contractRateBps,
    utc_offset_minutes: f.utcOffsetMinutes,
    policy_id: f.policyId,
    grace_days: f.graceDays,
    penalty_rate_bps: f.penaltyRateBps,
    cap_room_bps: f.capRoomBps,
    late_fee: f.lateFee.toString(),
    registered_at: f.registeredAt,
    block_number: f.blockNumber,
    log_index: f.logIndex,
    tx_hash: f.txHash,
    version: p.version,
    status: s.status,
    cursor: s.cursor,
    installment_count: s.schedule.length,
    paid: s.paid.toString(),
    penalty_paid: s.penaltyPaid.toString(),
    base: s.base.toString(),
    base_days: Number(s.baseDays),
    last_paid_at: Number(s.lastPaidAt),
    classification: s.classification,
    reminder_stage: s.reminderStage,
    penalty_assessed: s.penaltyAssessed.toString(),
    defaulted: s.defaulted ? 1 : 0,
    observation: s.observation ? 1 : 0,
    on_time_streak: s.onTimeStreak,
    restructured_at: Number(s.restructuredAt),
    cursor_due: cursorDue,
    due_key: cursorDue ?? Number.MAX_SAFE_INTEGER,
    amount_overdue: overdue.amount_overdue,
    overdue_refresh_at: overdue.overdue_refresh_at,
    overdue_since: overdue.overdue_since,
    charged_off_at: p.chargedOffAt,
    written_off_at: p.writtenOffAt,
    closed_at: p.closedAt,
    trail_head: collection.trail_head,
    trail_count: collection.trail_count,
    restricted_channels: collection.restricted_channels,
    dispute_open: collection.dispute_open,
    updated_block: collection.updated_block,
  };
}

/** Rebuilds a projection from its loans row, the current version's installments and the loan's policy. */
export function projectionFromRow(row: LoansTable, schedule: Installment[], policy: Policy): LoanProjection {
  const fixed: LoanStatic = {
    loanId: row.loan_id,
    lender: row.lender,
    borrower: row.borrower,
    borrowerRef: row.borrower_ref,
    token: row.token,
    currency: row.currency,
    principal: BigInt(row.principal),
    contractRateBps: row.contract_rate_bps,
    utcOffsetMinutes: row.utc_offset_minutes,
    policyId: row.policy_id,
    graceDays: row.grace_days,
    penaltyRateBps: row.penalty_rate_bps,
    capRoomBps: row.cap_room_bps,
    lateFee: BigInt(row.late_fee),
    registeredAt: row.registered_at,
    blockNumber: row.block_number,
    logIndex: row.log_index,
    txHash: row.tx_hash,
  };
  const state: LoanState = {
    schedule,
    terms: {
      // The current version's principal (the registered one until a restructuring).
      principal: schedule.reduce((sum, i) => sum + i.principal, 0n),
      contractRateBps: fixed.contractRateBps,
      penaltyRateBps: fixed.penaltyRateBps,
      lateFee: fixed.lateFee,
      capRoomBps: fixed.capRoomBps,
      graceDays: fixed.graceDays,
      registeredAt: BigInt(fixed.registeredAt),
    },
    policy,
    cursor: row.cursor,
    paid: BigInt(row.paid),
    penaltyPaid: BigInt(row.penalty_paid),
    base: BigInt(row.base),
    baseDays: BigInt(row.base_days),
    lastPaidAt: BigInt(row.last_paid_at),
    status: row.status as LoanStatus,
    classification: row.classification as Classification,
    reminderStage: row.reminder_stage,
    penaltyAssessed: BigInt(row.penalty_assessed),
    defaulted: row.defaulted === 1,
    observation: row.observation === 1,
    onTimeStreak: row.on_time_streak,
    restructuredAt: BigInt(row.restructured_at),
  };
  return {
    fixed,
    state,
    version: row.version,
    chargedOffAt: row.charged_off_at,
    writtenOffAt: row.written_off_at,
    closedAt: row.closed_at,
    trailHead: row.trail_head,
    trailCount: row.trail_count,
    restrictedChannels: row.restricted_channels,
    disputeOpen: row.dispute_open === 1,
    updatedBlock: row.updated_block,
  };
}
