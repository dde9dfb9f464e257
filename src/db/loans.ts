/**
 * The loans read model: the mapping between a `loans` row (with its installments and policy) and
 * a loan's projection (the domain's LoanState plus the collection side), the column lists the
 * writers and the overdue refresh use, and loading projections back from the database. Written by
 * the indexer (src/indexer), read by the API and the keeper.
 */
import type { Kysely, Transaction } from "kysely";
import { Classification, LoanStatus, overdueAt, type ArrearsPlanState, type Installment, type LoanState, type Policy } from "../domain";
import { chunk } from "./chunk";
import { PolicyNotIndexedError } from "./errors";
import { preparedQuery } from "./prepared";
import { loadPolicies } from "./policies";
import type { Database, InstallmentsTable, LoansTable } from "./schema";

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
  /** ISO 3166 code ("CN", "US-CA"). */
  jurisdiction: string;
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
  /** Block time of LoanSettled (the loan ended for less than was owed). */
  settledAt: number | null;
  trailHead: string | null;
  trailCount: number;
  restrictedChannels: number;
  disputeOpen: boolean;
  updatedBlock: number;
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
  "jurisdiction",
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
 * The loans columns projectionRow writes that have an index and keep their value in most writes:
 * the bulk upsert sets each on SQLite only where it changed (src/db/bulk.ts, OnConflict's `indexed`). A
 * test keeps this list equal to the indexed loans columns that are not LOAN_FIXED_COLUMNS.
 */
export const LOAN_INDEXED_COLUMNS = ["due_key", "amount_overdue", "overdue_refresh_at", "overdue_since"] as const satisfies readonly (keyof LoansTable)[];

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
    prev.settledAt === next.settledAt &&
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
    jurisdiction: f.jurisdiction,
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
    holiday_from: s.holiday === undefined ? null : Number(s.holiday.from),
    holiday_to: s.holiday === undefined ? null : Number(s.holiday.to),
    holiday_flagged: s.holiday?.flagged ? 1 : 0,
    settled_at: p.settledAt,
    ...planColumns(s.arrearsPlan),
    trail_head: collection.trail_head,
    trail_count: collection.trail_count,
    restricted_channels: collection.restricted_channels,
    dispute_open: collection.dispute_open,
    updated_block: collection.updated_block,
  };
}

/** The loans row's columns of the last arrears plan (see LoansTable). */
function planColumns(plan: ArrearsPlanState | undefined) {
  return {
    plan_created_at: plan === undefined ? null : Number(plan.createdAt),
    plan_parts: plan === undefined ? null : JSON.stringify(plan.parts.map((x) => [x.dueDate.toString(), x.amount.toString()])),
    plan_next: plan?.next ?? 0,
    plan_first_regular: plan?.firstRegular ?? 0,
    plan_paid: (plan?.paid ?? 0n).toString(),
    plan_in_force: plan?.inForce ? 1 : 0,
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
    jurisdiction: row.jurisdiction,
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
    ...(row.holiday_from === null || row.holiday_to === null
      ? {}
      : { holiday: { from: BigInt(row.holiday_from), to: BigInt(row.holiday_to), flagged: row.holiday_flagged === 1 } }),
    ...(row.plan_created_at === null || row.plan_parts === null
      ? {}
      : {
          arrearsPlan: {
            createdAt: BigInt(row.plan_created_at),
            parts: (JSON.parse(row.plan_parts) as [string, string][]).map(([dueDate, amount]) => ({ dueDate: BigInt(dueDate), amount: BigInt(amount) })),
            next: row.plan_next,
            firstRegular: row.plan_first_regular,
            paid: BigInt(row.plan_paid),
            inForce: row.plan_in_force === 1,
          },
        }),
  };
  return {
    fixed,
    state,
    version: row.version,
    chargedOffAt: row.charged_off_at,
    writtenOffAt: row.written_off_at,
    closedAt: row.closed_at,
    settledAt: row.settled_at,
    trailHead: row.trail_head,
    trailCount: row.trail_count,
    restrictedChannels: row.restricted_channels,
    disputeOpen: row.dispute_open === 1,
    updatedBlock: row.updated_block,
  };
}

/** Installment rows, in (loan, idx) order, grouped into each loan's schedule. */
export function schedulesFrom(rows: readonly Pick<InstallmentsTable, "loan_id" | "due_date" | "principal" | "interest">[]): Map<number, Installment[]> {
  const schedules = new Map<number, Installment[]>();
  for (const i of rows) {
    let s = schedules.get(i.loan_id);
    if (!s) schedules.set(i.loan_id, (s = []));
    s.push({ dueDate: BigInt(i.due_date), principal: BigInt(i.principal), interest: BigInt(i.interest) });
  }
  return schedules;
}

/** The installments of the loans `ids` at any of `versions` (the API's pages read it on most requests: prepared). */
const installmentsOfVersions = preparedQuery((db, p: { ids: number[]; versions: number[] }) =>
  db
    .selectFrom("installments")
    .select(["loan_id", "version", "due_date", "principal", "interest"])
    .where("loan_id", "in", p.ids)
    .where("version", "in", p.versions)
    .orderBy("loan_id")
    .orderBy("version")
    .orderBy("idx"),
);

/**
 * The schedule of each given version (`loan_id`, `version`), in one query: the installments of the
 * version a loans row names, whatever version the loan is at by the time this runs.
 */
export async function schedulesOf(db: Kysely<Database> | Transaction<Database>, versions: readonly { loan_id: number; version: number }[]): Promise<Map<number, Installment[]>> {
  if (versions.length === 0) return new Map();
  const wanted = new Map(versions.map((v) => [v.loan_id, v.version]));
  const rows = await installmentsOfVersions(db as Kysely<Database>, { ids: [...wanted.keys()], versions: [...new Set(wanted.values())] });
  return schedulesFrom(rows.filter((r) => wanted.get(r.loan_id) === r.version));
}

/** The current schedule (the installments of the loan's current version) of each of `loanIds`, in one query. */
export async function currentSchedules(db: Kysely<Database> | Transaction<Database>, loanIds: readonly number[]): Promise<Map<number, Installment[]>> {
  const rows = await db
    .selectFrom("installments")
    .innerJoin("loans", (j) => j.onRef("loans.loan_id", "=", "installments.loan_id").onRef("loans.version", "=", "installments.version"))
    .select(["installments.loan_id", "installments.due_date", "installments.principal", "installments.interest"])
    .where("installments.loan_id", "in", loanIds)
    // Both sides (PostgreSQL would otherwise scan all of loans for the join; see overdueInputs).
    .where("loans.loan_id", "in", loanIds)
    .orderBy("installments.loan_id")
    .orderBy("installments.idx")
    .execute();
  return schedulesFrom(rows);
}

/**
 * Loads the projections of `loanIds` (loans row, current version's installments, policy).
 * Policies come from `policyCache`, which is filled with the ones it lacks.
 */
export async function loadProjections(
  db: Kysely<Database> | Transaction<Database>,
  loanIds: number[],
  policyCache: Map<number, Policy>,
): Promise<Map<number, LoanProjection>> {
  const policyOf = async (ids: number[]) => {
    const missing = ids.filter((id) => !policyCache.has(id));
    if (missing.length) for (const [id, p] of await loadPolicies(db, missing)) policyCache.set(id, p);
    return policyCache;
  };
  const out = new Map<number, LoanProjection>();
  for (const ids of chunk(loanIds, 500)) {
    const rows = await db.selectFrom("loans").selectAll().where("loan_id", "in", ids).execute();
    if (rows.length === 0) continue;
    const schedules = await currentSchedules(db, ids);
    const policies = await policyOf([...new Set(rows.map((r) => r.policy_id))]);
    for (const r of rows) {
      const policy = policies.get(r.policy_id);
      if (!policy) throw new PolicyNotIndexedError(r.loan_id, r.policy_id);
      out.set(r.loan_id, projectionFromRow(r as LoansTable, schedules.get(r.loan_id) ?? [], policy));
    }
  }
  return out;
}

/** What a loan is settled in: an ERC-20 token, or (token zero) an off-chain currency's ISO 4217 code from the bytes3 `currency`. */
export function settlementOf(row: Pick<LoansTable, "token" | "currency">): { token: string | null; currency: string | null } {
  const zeroToken = /^0x0{40}$/i.test(row.token);
  const currency = zeroToken ? Buffer.from(row.currency.slice(2), "hex").toString("latin1").replace(/\0+$/, "") : null;
  return { token: zeroToken ? null : row.token, currency };
}
