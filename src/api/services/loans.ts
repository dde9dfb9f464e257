import { sql, type Expression, type Kysely, type SelectQueryBuilder, type SqlBool } from "kysely";
import type { Database, LoansTable } from "../../db/schema";
import { preparedQuery } from "../../db/prepared";
import { BUCKET_LABELS, LoanStatus, statusAt, type Installment, type Policy } from "../../domain";
import { loadPolicies } from "../../db/policies";
import { projectionFromRow, schedulesOf } from "../../db/loans";
import type { Request } from "express";
import type { AuthedRequest } from "../auth/middleware";
import type { KeptHistory } from "./kept-history";
import type { BlockMemo } from "./block-memo";
import type { ResponseCache } from "./response-cache";
import { NotFoundError, UnavailableError } from "./errors";
import { sqlTrue } from "./loan-records";
import type { Scope } from "../auth/scope";
import { settlementOf } from "../../db/loans";

export { settlementOf };

export const STATUS_NAMES = ["active", "charged_off", "written_off", "closed", "settled"] as const;
export const CLASSIFICATION_NAMES = ["normal", "special_mention", "substandard", "doubtful", "loss"] as const;
export type StatusName = (typeof STATUS_NAMES)[number];
export type ClassificationName = (typeof CLASSIFICATION_NAMES)[number];
export type BucketName = (typeof BUCKET_LABELS)[number];

export interface AsOf {
  block: number;
  timestamp: number;
}

const cursorOf = preparedQuery((db) => db.selectFrom("cursor").select(["block_number", "block_timestamp"]).where("id", "=", 1));

/** The chain position every time-dependent figure is computed at: the indexer's cursor. */
export async function asOf(db: Kysely<Database>): Promise<AsOf> {
  const [c] = await cursorOf(db, {});
  if (!c) throw new UnavailableError("the indexer has not indexed any block yet");
  return { block: c.block_number, timestamp: c.block_timestamp };
}

/**
 * The chain position a request's figures are computed at: the cursor as read when it started (the
 * response cache's generation: one statement fewer, and the cached answer is of that block), else
 * the cursor now.
 */
export async function requestAsOf(db: Kysely<Database>, req: Request): Promise<AsOf> {
  const p = (req as AuthedRequest).position;
  return p ? { block: p.block, timestamp: p.timestamp } : asOf(db);
}

/** The schedules and policies kept at the request's position (none when the response cache is off). */
export function keptHistoryOf(req: Request, cache: ResponseCache | undefined): KeptHistory | undefined {
  const p = (req as AuthedRequest).position;
  return p && cache?.history(p);
}

/** Values kept for the request's generation (none when the response cache is off). */
export function blockMemoOf(req: Request, cache: ResponseCache | undefined): BlockMemo | undefined {
  const p = (req as AuthedRequest).position;
  return p && cache?.memo(p);
}

/** Restricts a loans query to what the caller may see (a collector its assigned loans, an agency and its collectors the placed loans they work now, a lender its own, an auditor all). */
export function visibleTo<O>(q: SelectQueryBuilder<Database, "loans", O>, scope: Scope): SelectQueryBuilder<Database, "loans", O> {
  if (scope.auditor) return q;
  // Each branch only when it can match: an OR with a branch that never does keeps the planner from
  // the lender's (lender, due_key) index.
  if (!scope.assigned && !scope.lenders.length && !scope.agencyLoans.length) return q.where(sql<boolean>`0 = 1`);
  return q.where((eb) => {
    const ors: Expression<SqlBool>[] = [];
    if (scope.assigned)
      ors.push(
        eb.exists(
          eb
            .selectFrom("current_collectors")
            .select("current_collectors.loan_id")
            .whereRef("current_collectors.loan_id", "=", "loans.loan_id")
            .where("current_collectors.collector", "=", scope.address),
        ),
      );
    if (scope.lenders.length) ors.push(eb("loans.lender", "in", scope.lenders));
    if (scope.agencyLoans.length) ors.push(eb("loans.loan_id", "in", scope.agencyLoans));
    return ors.length === 1 ? ors[0]! : eb.or(ors);
  });
}

/** Whether the caller sees loans through its own assignments alone (a collector, not a lender, auditor or agency). */
export function assignmentsOnly(scope: Scope): boolean {
  return scope.assigned && !scope.auditor && !scope.lenders.length && !scope.agencyLoans.length;
}

export interface LoanRowWithSchedule {
  row: LoansTable;
  schedule: Installment[];
  policy: Policy;
}

/** The policies `ids`: from `kept`, the others in one query (and kept there). */
async function policiesOf(db: Kysely<Database>, ids: Iterable<number>, kept?: KeptHistory): Promise<Map<number, Policy>> {
  const policies = new Map<number, Policy>();
  const missing = new Set<number>();
  for (const id of ids) {
    const p = kept?.policy(id);
    if (p) policies.set(id, p);
    else missing.add(id);
  }
  for (const [id, p] of await loadPolicies(db, [...missing])) {
    policies.set(id, p);
    kept?.keepPolicy(id, p);
  }
  return policies;
}

/**
 * Loads the schedules of the rows' versions and their policies (one query each, for those `kept`
 * does not have; what is read is kept there).
 */
export async function withSchedules(db: Kysely<Database>, rows: LoansTable[], kept?: KeptHistory): Promise<LoanRowWithSchedule[]> {
  if (rows.length === 0) return [];
  const schedules = new Map<number, Installment[]>();
  const missingSchedules: LoansTable[] = [];
  for (const r of rows) {
    const s = kept?.schedule(r.loan_id, r.version);
    if (s) schedules.set(r.loan_id, s);
    else missingSchedules.push(r);
  }
  const [loadedSchedules, policies] = await Promise.all([schedulesOf(db, missingSchedules), policiesOf(db, rows.map((r) => r.policy_id), kept)]);
  for (const r of missingSchedules) {
    const s = loadedSchedules.get(r.loan_id) ?? [];
    schedules.set(r.loan_id, s);
    kept?.keepSchedule(r.loan_id, r.version, s);
  }
  return rows.map((row) => ({ row, schedule: schedules.get(row.loan_id)!, policy: policies.get(row.policy_id)! }));
}

/**
 * `row` with a schedule its caller has read already (the loan detail's, from its schedule
 * versions) and its policy (kept, or loaded and kept). The schedule is not kept.
 */
export async function withKnownSchedule(db: Kysely<Database>, row: LoansTable, schedule: Installment[], kept?: KeptHistory): Promise<LoanRowWithSchedule> {
  const policies = await policiesOf(db, [row.policy_id], kept);
  return { row, schedule, policy: policies.get(row.policy_id)! };
}

/** The time-dependent status block of a loan, computed with src/domain at `at`. */
export function loanStatus(r: LoanRowWithSchedule, at: AsOf) {
  const p = projectionFromRow(r.row, r.schedule, r.policy);
  // Repayments recorded later than the cursor's time cannot exist; guard anyway.
  const t = BigInt(Math.max(at.timestamp, Number(p.state.lastPaidAt)));
  const s = statusAt(p.state, t);
  const closed = s.status === LoanStatus.Closed;
  return {
    state: STATUS_NAMES[s.status],
    dpd: Number(s.dpd),
    bucket: BUCKET_LABELS[s.bucket],
    classification: CLASSIFICATION_NAMES[s.classification],
    amountOverdue: s.amountOverdue.toString(),
    penaltyAccrued: s.penaltyOutstanding.toString(),
    outstandingPrincipal: s.outstandingPrincipal.toString(),
    outstandingInterest: s.outstandingInterest.toString(),
    nextDue: closed || s.nextDueDate === null ? null : { date: Number(s.nextDueDate), amount: s.nextDueAmount.toString(), installment: s.cursor },
    defaulted: r.row.defaulted === 1,
    observation: r.row.observation === 1,
  };
}

/** The loan summary used in lists. */
export function loanSummary(r: LoanRowWithSchedule, at: AsOf) {
  const row = r.row;
  return {
    loanId: String(row.loan_id),
    lender: row.lender,
    borrower: row.borrower,
    settlement: settlementOf(row),
    principal: row.principal,
    jurisdiction: row.jurisdiction,
    status: loanStatus(r, at),
  };
}


const loanRowOf = preparedQuery((db, p: { loanId: number }) => db.selectFrom("loans").selectAll().where("loan_id", "=", p.loanId));
/** A loan's row with whether `collector` is assigned to it now. */
const loanRowAssignedOf = preparedQuery((db, p: { loanId: number; collector: string }) =>
  db
    .selectFrom("loans")
    .selectAll("loans")
    .select((eb) =>
      eb
        .exists(eb.selectFrom("current_collectors").select("current_collectors.loan_id").whereRef("current_collectors.loan_id", "=", "loans.loan_id").where("current_collectors.collector", "=", p.collector))
        .as("assigned_to_caller"),
    )
    .where("loans.loan_id", "=", p.loanId),
);
const assignmentOf = preparedQuery((db, p: { collector: string; loanId: number }) =>
  db.selectFrom("current_collectors").select("loan_id").where("collector", "=", p.collector).where("loan_id", "=", p.loanId),
);

/**
 * A loan row the caller may see, or 404 (the same answer whether it does not exist or is not theirs).
 * The row is read by its id and the scope checked on it, as visibleTo would (a collector's
 * assignment with a lookup of its own): measured on SQLite, 11 + 6 µs against 42 µs for the row
 * with visibleTo's EXISTS.
 */
export async function visibleLoan(db: Kysely<Database>, scope: Scope, loanId: number): Promise<LoansTable> {
  // A collector's assignment only decides where its scope grants nothing else: then it is asked in
  // the same statement as the row.
  if (scope.assigned && !scope.auditor && !scope.lenders.length && !scope.agencyLoans.length) {
    const [found] = await loanRowAssignedOf(db, { loanId, collector: scope.address });
    if (!found || !sqlTrue(found.assigned_to_caller)) throw new NotFoundError(`loan ${loanId} not found`);
    const { assigned_to_caller: _, ...row } = found;
    return row as LoansTable;
  }
  const [row] = (await loanRowOf(db, { loanId })) as LoansTable[];
  if (!row || !(await maySee(db, scope, row))) throw new NotFoundError(`loan ${loanId} not found`);
  return row;
}

/**
 * Whether `scope` sees the loan of `row`, `assigned` saying whether the caller is assigned to it
 * now (read with the row): visibleTo's test on one row, without a statement.
 */
export function seesRow(scope: Scope, row: LoansTable, assigned: boolean): boolean {
  return scope.auditor || scope.lenders.includes(row.lender) || scope.agencyLoans.includes(row.loan_id) || (scope.assigned && assigned);
}

/** Whether `scope` sees the loan of `row`: visibleTo's test on one row (the assignment read only when it decides). */
async function maySee(db: Kysely<Database>, scope: Scope, row: LoansTable): Promise<boolean> {
  if (seesRow(scope, row, false)) return true;
  if (!scope.assigned) return false;
  return (await assignmentOf(db, { collector: scope.address, loanId: row.loan_id })).length > 0;
}
