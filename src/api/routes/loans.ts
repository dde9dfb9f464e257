import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SelectQueryBuilder, type SqlBool } from "kysely";
import type { z } from "../openapi";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import type { Scope } from "../auth/scope";
import { InvalidRequestError, NotFoundError } from "../services/errors";
import { route } from "../route";
import { encodeCursor, LoanIdParam } from "../schemas/common";
import { loanScores } from "../services/strategy";
import { loanPromises } from "../services/loan-work";
import { LoanDetail, LoanList, LoanListQuery, ScheduleVersion, Timeline, TimelineQuery } from "../schemas/loans";
import {
  keptHistoryOf,
  requestAsOf,
  CLASSIFICATION_NAMES,
  loanStatus,
  loanSummary,
  settlementOf,
  STATUS_NAMES,
  assignmentsOnly,
  seesRow,
  visibleLoan,
  visibleTo,
  withKnownSchedule,
  withSchedules,
} from "../services/loans";
import { classification, dpd, dueKeyRange, policyThresholds } from "../../db/rules-sql";
import type { Database, InstallmentsTable, LoansTable, ScheduleVersionsTable } from "../../db/schema";
import { preparedQuery } from "../../db/prepared";
import { BUCKET_LABELS, bucketDpdRange, LoanStatus, type Bucket } from "../../domain";
import { createArgsDecoder } from "../../chain/decode";
import { loanRelief } from "../services/relief";
import { loanRecords, recordsFrom, recordsSelections, sqlTrue, type LoanRecords } from "../services/loan-records";
import { dialectOf } from "../../db/dialect";
import { jsonArrayFrom as pgJsonArrayFrom } from "kysely/helpers/postgres";
import { dataOf, topicsOf } from "../../db/raw-logs";

type Sort = "dpd" | "-dpd" | "amountOverdue" | "-amountOverdue" | "nextDue" | "-nextDue";

/** Sort → (column, direction). DPD grows as the due date recedes, so "-dpd" is due_key ascending. */
const ORDER: Record<Sort, { column: "due_key" | "amount_overdue"; dir: "asc" | "desc" }> = {
  "-dpd": { column: "due_key", dir: "asc" },
  dpd: { column: "due_key", dir: "desc" },
  nextDue: { column: "due_key", dir: "asc" },
  "-nextDue": { column: "due_key", dir: "desc" },
  amountOverdue: { column: "amount_overdue", dir: "asc" },
  "-amountOverdue": { column: "amount_overdue", dir: "desc" },
};

export function registerLoanRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const { db } = services;
  const decodeArgs = createArgsDecoder();

  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/loans",
      summary: "List loans",
      description:
        "Loans the caller may see (a collector its assigned loans, a lender its own, an auditor all), filtered and sorted, cursor-paginated. Figures are as of the indexed block in `asOf`.",
      cache: services.cache,
      tags: ["loans"],
      request: { query: LoanListQuery },
      responses: { 200: { description: "A page of loans", schema: LoanList } },
    },
    async ({ query }, req) => {
      const scope = scopeOf(req);
      const at = await requestAsOf(db, req);
      const order = ORDER[query.sort];
      if (query.cursor && query.cursor.s !== query.sort) throw new InvalidRequestError("the cursor belongs to another sort", [{ path: "query.cursor", message: "issued for another sort" }]);
      let minDpd = query.minDpd ?? 0;
      let maxDpd = query.maxDpd ?? Number.MAX_SAFE_INTEGER;
      if (query.bucket) {
        const { min, max } = bucketDpdRange(BUCKET_LABELS.indexOf(query.bucket) as Bucket);
        minDpd = Math.max(minDpd, Number(min));
        if (max !== null) maxDpd = Math.min(maxDpd, Number(max));
      }
      if (minDpd > maxDpd) return { items: [], nextCursor: null, asOf: at };
      const code = query.jurisdiction;
      const values: ListValues = {
        // What visibleTo reads of the scope, and nothing it does not (an auditor sees every loan).
        ...(scope.auditor ? { address: undefined, lenders: [], agencyLoans: [] } : { address: scope.assigned ? scope.address : undefined, lenders: scope.lenders, agencyLoans: scope.agencyLoans }),
        ...(minDpd > 0 || maxDpd < Number.MAX_SAFE_INTEGER ? dueKeyRange(at.timestamp, minDpd, maxDpd) : { lo: undefined, hi: undefined }),
        status: query.status ? STATUS_NAMES.indexOf(query.status) : undefined,
        lender: query.lender,
        jurisdiction: code,
        // A country takes its subdivisions too (ISO 3166-2 codes begin with the country and "-").
        subdivisions: code && !code.includes("-") ? `${code}-%` : undefined,
        collector: query.collector,
        cursorKey: query.cursor?.k,
        cursorId: query.cursor?.id,
        limit: query.limit + 1,
      };
      const variant = `${query.sort}|${scope.auditor ? 1 : 0}|${scope.assigned ? 1 : 0}`;
      let rows: LoansTable[];
      if (query.classification) {
        // The classification's SQL carries the chain time as a literal: built for this request.
        const cls = CLASSIFICATION_NAMES.indexOf(query.classification);
        const c = classification(dpd(sql.ref("loans.due_key"), at.timestamp), policyThresholds("p"), sql.ref("loans.status"));
        rows = (await listQuery(db, values, variant, (q) => q.where(sql<number>`(select ${c} from policies p where p.policy_id = loans.policy_id)`, "=", cls)).execute()) as LoansTable[];
      } else rows = (await preparedList(db, values, variant)) as LoansTable[];
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      const nextCursor = rows.length > query.limit && last ? encodeCursor({ s: query.sort, k: last[order.column], id: last.loan_id }) : null;
      const items = (await withSchedules(db, page, keptHistoryOf(req, services.cache))).map((r) => loanSummary(r, at));
      return { items, nextCursor, asOf: at };
    },
  );

  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/loans/:loanId",
      summary: "One loan",
      description: "Terms, status as of the indexed block, every schedule version, current collectors, the trail head and relief (payment holiday, settlement).",
      cache: services.cache,
      tags: ["loans"],
      request: { params: LoanIdParam },
      responses: { 200: { description: "The loan", schema: LoanDetail } },
    },
    async ({ params }, req) => {
      const at = await requestAsOf(db, req);
      const kept = keptHistoryOf(req, services.cache);
      const { row, scheduleVersions, collectors, present } = await detailOf(db, scopeOf(req), params.loanId, at.block);
      // The row's own version is among those read: its schedule need not be read again, nor kept
      // (see detailOf).
      const current = scheduleVersions.find((v) => v.version === row.version);
      const withSchedule = current?.installments.length
        ? await withKnownSchedule(db, row, current.installments.map((i) => ({ dueDate: BigInt(i.dueDate), principal: BigInt(i.principal), interest: BigInt(i.interest) })), kept)
        : (await withSchedules(db, [row], kept))[0]!;
      const [scores, promises, relief] = await Promise.all([
        loanScores(db, row.loan_id, present),
        loanPromises(db, row.loan_id, at, present.promises),
        loanRelief(db, row.loan_id, at, row.status === LoanStatus.Active || row.status === LoanStatus.ChargedOff, present),
      ]);
      return {
        loanId: String(row.loan_id),
        lender: row.lender,
        borrower: row.borrower,
        borrowerRef: row.borrower_ref,
        settlement: settlementOf(row),
        principal: row.principal,
        contractRateBps: row.contract_rate_bps,
        utcOffsetMinutes: row.utc_offset_minutes,
        jurisdiction: row.jurisdiction,
        policyId: row.policy_id,
        penaltyTerms: { graceDays: row.grace_days, penaltyRateBps: row.penalty_rate_bps, capRoomBps: row.cap_room_bps, lateFee: row.late_fee },
        registered: { block: row.block_number, timestamp: row.registered_at, txHash: row.tx_hash },
        version: row.version,
        status: loanStatus(withSchedule, at),
        scheduleVersions,
        collectors,
        trail: { count: row.trail_count, head: row.trail_head },
        restrictedChannels: Array.from({ length: 8 }, (_, c) => c).filter((c) => (row.restricted_channels & (1 << c)) !== 0),
        disputeOpen: row.dispute_open === 1,
        promises,
        scores,
        relief,
        asOf: at,
      };
    },
  );

  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/loans/:loanId/timeline",
      summary: "Every event of a loan in chain order",
      description: "LoanLedger and CollectionLog events of the loan with tx hash, block and timestamp; amounts as decimal strings.",
      cache: services.cache,
      tags: ["loans"],
      request: { params: LoanIdParam, query: TimelineQuery },
      responses: { 200: { description: "A page of events", schema: Timeline } },
    },
    async ({ params, query }, req) => {
      await visibleLoan(db, scopeOf(req), params.loanId);
      const at = await requestAsOf(db, req);
      let q = db
        .selectFrom("loan_events as e")
        .innerJoin("raw_logs as r", (j) => j.onRef("r.block_number", "=", "e.block_number").onRef("r.log_index", "=", "e.log_index"))
        .select(["e.block_number", "e.log_index", "e.block_timestamp", "e.tx_hash", "e.contract", "e.name", "r.topics", "r.data"])
        .where("e.loan_id", "=", params.loanId);
      if (query.cursor) {
        const { b, l } = query.cursor;
        q = q.where((eb) => eb(eb.refTuple("e.block_number", "e.log_index"), ">", eb.tuple(b, l)));
      }
      const rows = await q.orderBy("e.block_number").orderBy("e.log_index").limit(query.limit + 1).execute();
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        items: page.map((e) => ({
          block: e.block_number,
          logIndex: e.log_index,
          timestamp: e.block_timestamp,
          txHash: e.tx_hash,
          contract: e.contract,
          event: e.name,
          args: decodeArgs(e.contract, topicsOf(e.topics), dataOf(e.data)),
        })),
        nextCursor: rows.length > query.limit && last ? encodeCursor({ b: last.block_number, l: last.log_index }) : null,
        asOf: at,
      };
    },
  );
}

function collectorsQuery(db: Kysely<Database>, loanId: number) {
  return db.selectFrom("current_collectors").select("collector").where("loan_id", "=", loanId).orderBy("collector");
}
/** Versions up to `version`: a number, or on PostgreSQL the loans row's own column read in the same statement. */
function versionsQuery(db: Kysely<Database>, loanId: number, version: number | Expression<number>) {
  return db.selectFrom("schedule_versions").selectAll().where("loan_id", "=", loanId).where("version", "<=", version).orderBy("version");
}
function installmentsQuery(db: Kysely<Database>, loanId: number, version: number | Expression<number>) {
  return db.selectFrom("installments").selectAll().where("loan_id", "=", loanId).where("version", "<=", version).orderBy("version").orderBy("idx");
}
const collectorsOf = preparedQuery((db, p: { loanId: number }) => collectorsQuery(db, p.loanId));
const versionsOf = preparedQuery((db, p: { loanId: number; version: number }) => versionsQuery(db, p.loanId, p.version));
const installmentsOf = preparedQuery((db, p: { loanId: number; version: number }) => installmentsQuery(db, p.loanId, p.version));

/**
 * PostgreSQL: the loan's row, whether `collector` is assigned to it now, and the detail's reads in
 * one statement (one round trip for the whole detail): which optional records exist, the current
 * collectors (ordered by the database, as collectorsOf), and the schedule versions up to the row's
 * own and their installments as JSON arrays (integer columns as JSON numbers, exact below 2^53).
 *
 * Two statements before (the row, then the rest with its version): under bench:api's realistic mix
 * at 100k loans they were 31% of all the statements the API made (15,456 of 50,084 in 25 s).
 * Each is a round trip, and on a 2-core host the API's and the database server's processor time per
 * round trip bound the rate. bench:api:ab on PostgreSQL at 100k, 8 alternated rounds of 15 s:
 * named second 1,834 -> 2,007 req/s and 0.692 -> 0.633 ms CPU a request (5 of 8 pairs); named first
 * 1,936 -> 1,972 req/s and 0.639 -> 0.634 ms (a small gain; whichever build is named second gains
 * about 8%). A loan the caller may not see is read whole and then refused (404): nothing of it is
 * answered.
 */
const detailRowOf = preparedQuery((db, p: { loanId: number; collector: string; atBlock: number }) =>
  db
    .selectFrom("loans")
    .selectAll("loans")
    .select((eb) => [
      eb
        .exists(eb.selectFrom("current_collectors").select("current_collectors.loan_id").where("current_collectors.loan_id", "=", p.loanId).where("current_collectors.collector", "=", p.collector))
        .as("assigned_to_caller"),
      ...recordsSelections(eb as unknown as ExpressionBuilder<Database, never>, p.loanId, p.atBlock),
      sql<string[]>`(select coalesce(json_agg(cc.collector order by cc.collector), '[]') from current_collectors cc where cc.loan_id = ${p.loanId})`.as("collectors"),
      pgJsonArrayFrom(versionsQuery(db, p.loanId, sql.ref<number>("loans.version"))).as("versions"),
      pgJsonArrayFrom(installmentsQuery(db, p.loanId, sql.ref<number>("loans.version"))).as("installments"),
    ])
    .where("loans.loan_id", "=", p.loanId),
);

type VersionOut = z.infer<typeof ScheduleVersion>;

/**
 * The loan `loanId` if `scope` may see it (else 404, the same answer whether it exists or not), with
 * the detail's reads: its schedule versions up to the row's, current collectors and which optional
 * records exist as of `atBlock`. One statement on PostgreSQL (detailRowOf); on SQLite, where a
 * statement costs microseconds and no round trip, the row (visibleLoan) and then the prepared reads.
 *
 * Neither the versions nor the schedule are kept in the process (KeptHistory) for the next detail
 * of the loan: details are spread over the whole book, so most of what they kept was dropped again
 * unused, and the kept objects outlived the young generation, for V8's old-space collections to
 * trace and free. bench:api:ab, realistic mix, 8 alternated rounds of 15 s against keeping them:
 * at 1M loans 2,209 -> 2,412 req/s, 0.730 -> 0.654 ms CPU a request, p99 median 92 -> 74 ms (7 of
 * 8 pairs); at 100k, this build named first, 1,172 -> 1,254 req/s, 1.383 -> 1.275 ms; on
 * PostgreSQL at 100k, named first, 604 -> 649 req/s, 1.675 -> 1.577 ms (6 of 8 pairs). With
 * --trace-gc-nvp at 100k, old-space collections went from 15-19 to 6-9 in a 25 s run.
 */
async function detailOf(
  db: Kysely<Database>,
  scope: Scope,
  loanId: number,
  atBlock: number,
): Promise<{ row: LoansTable; scheduleVersions: VersionOut[]; collectors: string[]; present: LoanRecords }> {
  if (dialectOf(db) === "sqlite") {
    const row = await visibleLoan(db, scope, loanId);
    // Up to the row's version: one the indexer wrote after the row was read is not served under it.
    const key = { loanId, version: row.version };
    const [versions, installments, collectors, present] = await Promise.all([versionsOf(db, key), installmentsOf(db, key), collectorsOf(db, { loanId }), loanRecords(db, loanId, atBlock)]);
    return { row, scheduleVersions: versionsOut(versions, installments), collectors: collectors.map((c) => c.collector), present };
  }
  const [r] = await detailRowOf(db, { loanId, collector: scope.address, atBlock });
  if (!r) throw new NotFoundError(`loan ${loanId} not found`);
  const { assigned_to_caller, holiday, arrears_plan, settlement_offer, settlement, score, score_history, promises, collectors, versions, installments, ...loan } = r as unknown as LoansTable &
    Parameters<typeof recordsFrom>[0] & { assigned_to_caller: unknown; collectors: string[]; versions: ScheduleVersionsTable[]; installments: InstallmentsTable[] };
  const row = loan as LoansTable;
  if (!seesRow(scope, row, sqlTrue(assigned_to_caller))) throw new NotFoundError(`loan ${loanId} not found`);
  // JSON aggregation does not promise the subqueries' order: put it back.
  const v = versions.sort((a, b) => a.version - b.version);
  const i = installments.sort((a, b) => a.version - b.version || a.idx - b.idx);
  return {
    row,
    scheduleVersions: versionsOut(v, i),
    collectors,
    present: recordsFrom({ holiday, arrears_plan, settlement_offer, settlement, score, score_history, promises }),
  };
}

/** The API's schedule versions from their rows and installments (both in order). */
function versionsOut(versions: readonly ScheduleVersionsTable[], installments: readonly InstallmentsTable[]): VersionOut[] {
  return versions.map((v) => ({
    version: v.version,
    startedAt: v.started_at,
    principal: v.principal,
    scheduleHash: v.schedule_hash,
    replacedInterest: v.replaced_interest,
    forgivenPenalty: v.forgiven_penalty,
    txHash: v.tx_hash,
    installments: installments.filter((i) => i.version === v.version).map((i) => ({ index: i.idx, dueDate: i.due_date, principal: i.principal, interest: i.interest })),
  }));
}

/** The values of a loans list query (undefined: that filter is not asked for). */
type ListValues = {
  /** The caller, when its assignments are read (assigned and not an auditor). */
  address: string | undefined;
  lenders: string[];
  agencyLoans: number[];
  /** The due-key range of the DPD filters. */
  lo: number | undefined;
  hi: number | undefined;
  status: number | undefined;
  lender: string | undefined;
  jurisdiction: string | undefined;
  /** `<country>-%` when `jurisdiction` is a country. */
  subdivisions: string | undefined;
  collector: string | undefined;
  cursorKey: string | number | undefined;
  cursorId: number | undefined;
  limit: number;
};

/**
 * The loans list's query: the caller's visible loans with the filters asked for, after the cursor,
 * in the sort's order. `variant` is `<sort>|<auditor 0/1>|<assigned 0/1>` (the scope's flags that
 * visibleTo reads); `extra` adds a filter that cannot be prepared.
 */
function listQuery(db: Kysely<Database>, p: ListValues, variant: string, extra?: (q: SelectQueryBuilder<Database, "loans", LoansTable>) => SelectQueryBuilder<Database, "loans", LoansTable>) {
  const [sort, auditor, assigned] = variant.split("|") as [Sort, string, string];
  const order = ORDER[sort];
  const scope = { address: p.address as Scope["address"], lenders: p.lenders, agencyLoans: p.agencyLoans, auditor: auditor === "1", assigned: assigned === "1" } as Scope;
  // A collector's own assignments carry the due key (migration 0016): its pages by due date walk
  // current_collectors_due_idx from its first entry instead of every loan in the due range.
  const fromAssignments = assignmentsOnly(scope) && order.column === "due_key";
  let q = (
    fromAssignments
      ? db.selectFrom("current_collectors as cc").innerJoin("loans", "loans.loan_id", "cc.loan_id").where("cc.collector", "=", scope.address).selectAll("loans")
      : visibleTo(db.selectFrom("loans").selectAll("loans"), scope)
  ) as SelectQueryBuilder<Database, "loans", LoansTable>; // the same rows and columns either way
  const sortColumn = sql.ref<string | number>(fromAssignments ? "cc.due_key" : `loans.${order.column}`);
  const idColumn = sql.ref<number>(fromAssignments ? "cc.loan_id" : "loans.loan_id");
  if (p.lo !== undefined && p.hi !== undefined) {
    const due = sql.ref<number>(fromAssignments ? "cc.due_key" : "loans.due_key");
    q = q.where(due, ">=", p.lo).where(due, "<=", p.hi);
  }
  if (p.status !== undefined) q = q.where("loans.status", "=", p.status);
  if (p.lender !== undefined) q = q.where("loans.lender", "=", p.lender);
  if (p.jurisdiction !== undefined) {
    const [code, like] = [p.jurisdiction, p.subdivisions];
    q = like === undefined ? q.where("loans.jurisdiction", "=", code) : q.where((eb) => eb.or([eb("loans.jurisdiction", "=", code), eb("loans.jurisdiction", "like", like)]));
  }
  if (p.collector !== undefined) {
    const collector = p.collector;
    q = q.where((eb) =>
      eb.exists(
        eb.selectFrom("current_collectors").select("current_collectors.loan_id").whereRef("current_collectors.loan_id", "=", "loans.loan_id").where("current_collectors.collector", "=", collector),
      ),
    );
  }
  if (extra) q = extra(q);
  if (p.cursorKey !== undefined && p.cursorId !== undefined) {
    q = q.where(sql<SqlBool>`(${sortColumn}, ${idColumn}) ${sql.raw(order.dir === "asc" ? ">" : "<")} (${p.cursorKey}, ${p.cursorId})`);
  }
  return q.orderBy(sortColumn, order.dir).orderBy(idColumn, order.dir).limit(p.limit);
}

const preparedList = preparedQuery((db, p: ListValues, variant) => listQuery(db, p, variant));

