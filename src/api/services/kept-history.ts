/**
 * Schedules (installments by loan and version) and policies (by id) kept in process across requests
 * and blocks: their rows are written once and only a rollback deletes them, which raises the
 * `history` counter of `cache_epochs` (migration 0017). A KeptHistory belongs to one value of that
 * counter; the response cache hands out a new one when it moves (response-cache.ts `history`).
 *
 * Also each loan's side rows as the queue shows them (its promises, latest reminder and recent
 * calls), kept while its loans row's `updated_block` stays: every event of a loan moves that to the
 * event's block, and those rows are written by the loan's events only. A rollback of any loan's
 * events raises the counter too (migration 0025), since it moves updated_block back.
 */
import type { Installment, Policy } from "../../domain";
import type { PromisesTable, RemindersTable } from "../../db/schema";
import type { CallRow } from "../../db/compliance";

/**
 * A loan's side rows at the blocks its loans row's `updatedBlock` stays at: its promises (in `seq`
 * order), its latest reminder, and its calls since `callsSince` (chain time).
 */
export interface LoanSideRows {
  updatedBlock: number;
  promises: PromisesTable[];
  reminder: RemindersTable | undefined;
  callsSince: number;
  calls: CallRow[];
}

/** Schedules kept at most per process (least recently used out first): about 1 KB each. */
export const MAX_KEPT_SCHEDULES = 50_000;

export class KeptHistory {
  /** By `loan_id:version`; insertion order is recency order. */
  private readonly schedules = new Map<string, Installment[]>();
  private readonly policies = new Map<number, Policy>();

  /** By loan id; insertion order is recency order. */
  private readonly sides = new Map<number, LoanSideRows>();

  constructor(private readonly maxSchedules = MAX_KEPT_SCHEDULES) {}

  /**
   * The loan's side rows as of a loans row with `updatedBlock`, its calls since `since`: undefined
   * unless they were kept at that updatedBlock with calls from `since` or earlier (the calls of a
   * later window are those of an earlier one from `since` on).
   */
  sideRows(loanId: number, updatedBlock: number, since: number): LoanSideRows | undefined {
    const s = this.sides.get(loanId);
    if (!s || s.updatedBlock !== updatedBlock || s.callsSince > since) return undefined;
    this.sides.delete(loanId);
    this.sides.set(loanId, s);
    if (s.callsSince === since) return s;
    return { ...s, callsSince: since, calls: s.calls.filter((c) => c.occurred_at >= since) };
  }

  keepSideRows(loanId: number, rows: LoanSideRows): void {
    this.sides.delete(loanId);
    this.sides.set(loanId, rows);
    if (this.sides.size > this.maxSchedules) this.sides.delete(this.sides.keys().next().value!);
  }

  schedule(loanId: number, version: number): Installment[] | undefined {
    const key = `${loanId}:${version}`;
    const s = this.schedules.get(key);
    if (s) {
      this.schedules.delete(key);
      this.schedules.set(key, s);
    }
    return s;
  }

  /** Keeps a schedule read from the database (an empty one is not kept: a version has installments). */
  keepSchedule(loanId: number, version: number, schedule: Installment[]): void {
    if (schedule.length === 0) return;
    this.schedules.set(`${loanId}:${version}`, schedule);
    if (this.schedules.size > this.maxSchedules) this.schedules.delete(this.schedules.keys().next().value!);
  }

  policy(id: number): Policy | undefined {
    return this.policies.get(id);
  }

  /** Policies are few (one per lender product): all are kept. */
  keepPolicy(id: number, policy: Policy): void {
    this.policies.set(id, policy);
  }
}
