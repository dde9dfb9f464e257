import { sql, type Kysely } from "kysely";
import type { Database, LoanEventsTable } from "../../db/schema";
import { createArgsDecoder } from "../../chain/decode";
import type { Scope } from "../auth/scope";
import { InvalidRequestError } from "./errors";
import { dataOf, topicsOf } from "../../db/raw-logs";

/** SSE event name of each streamed contract event. */
export const STREAM_EVENTS = {
  ReminderTriggered: "reminder",
  ClassificationChanged: "status",
  LoanDefaulted: "status",
  LoanChargedOff: "status",
  LoanWrittenOff: "status",
  LoanClosed: "status",
  LoanSettled: "status",
  PaymentHolidayGranted: "status",
  PaymentHolidayEnded: "status",
  ArrearsPlanCreated: "status",
  ArrearsPartKept: "status",
  ArrearsPlanBroken: "status",
  ArrearsPlanCompleted: "status",
  ActionRecorded: "action",
  LoanRepaid: "repayment",
} as const satisfies Record<string, string>;

export type StreamEventName = (typeof STREAM_EVENTS)[keyof typeof STREAM_EVENTS];
export const STREAM_EVENT_NAMES = ["reminder", "status", "action", "repayment"] as const satisfies readonly StreamEventName[];

/** The `change` of a status event. */
const STATUS_CHANGE: Record<string, string> = {
  ClassificationChanged: "classification",
  LoanDefaulted: "default",
  LoanChargedOff: "charge_off",
  LoanWrittenOff: "write_off",
  LoanClosed: "closed",
  LoanSettled: "settled",
  PaymentHolidayGranted: "holiday",
  PaymentHolidayEnded: "holiday_ended",
  ArrearsPlanCreated: "arrears_plan",
  ArrearsPartKept: "arrears_part_kept",
  ArrearsPlanBroken: "arrears_plan_broken",
  ArrearsPlanCompleted: "arrears_plan_completed",
};

/** A position in chain order: the (block, logIndex) of the last event sent. */
export interface StreamPosition {
  block: number;
  logIndex: number;
}

/** `"<block>-<logIndex>"`: the SSE id of an event, and what Last-Event-ID carries back. */
export const EVENT_ID = /^(\d{1,15})-(\d{1,9})$/;

export function parseEventId(id: string): StreamPosition {
  const m = EVENT_ID.exec(id);
  if (!m) throw new InvalidRequestError(`not an event id: ${id}`);
  return { block: Number(m[1]), logIndex: Number(m[2]) };
}

/** Orders two positions in chain order (negative: `a` first). */
export function comparePositions(a: StreamPosition, b: StreamPosition): number {
  return a.block - b.block || a.logIndex - b.logIndex;
}

/** What one stream asks for, besides its caller's scope. */
export interface StreamSelection {
  /** SSE event names wanted (all when undefined). */
  events?: readonly StreamEventName[];
  loanId?: number;
}

export interface StreamFilter extends StreamSelection {
  scope: Scope;
}

/** A streamed event with its log (the arguments are decoded from it) and its loan's lender. */
export type StreamRow = LoanEventsTable & { topics: Uint8Array; data: Uint8Array; lender: string };

const decodeArgs = createArgsDecoder();

/** The data of one SSE message. */
export function streamMessage(e: StreamRow) {
  const event = STREAM_EVENTS[e.name as keyof typeof STREAM_EVENTS];
  return {
    id: `${e.block_number}-${e.log_index}`,
    event,
    data: {
      id: `${e.block_number}-${e.log_index}`,
      loanId: String(e.loan_id),
      type: e.name,
      ...(event === "status" ? { change: STATUS_CHANGE[e.name] } : {}),
      block: e.block_number,
      logIndex: e.log_index,
      timestamp: e.block_timestamp,
      txHash: e.tx_hash,
      args: decodeArgs(e.contract, topicsOf(e.topics), dataOf(e.data)),
    },
  };
}

/**
 * The next streamed events after `after`, up to `upTo` (both in chain order; the indexed cursor
 * or the hub's position: rows above the cursor cannot exist outside a batch transaction, but the
 * bound keeps a reorg's rollback simple). With a filter, only the events it selects that the
 * caller may see: the visibleTo rule (auditors everything, lenders their lenders' loans,
 * collectors the loans assigned to them now), applied per row through the loans primary key —
 * {@link visibleTo} is the same rule in memory, for the hub's shared poll (without a filter: every
 * streamed event, for all streams at once).
 */
export async function nextEvents(db: Kysely<Database>, filter: StreamFilter | undefined, after: StreamPosition, upTo: StreamPosition, limit: number): Promise<StreamRow[]> {
  const contractEvents = Object.entries(STREAM_EVENTS)
    .filter(([, sse]) => !filter?.events || filter.events.includes(sse))
    .map(([name]) => name);
  let q = db
    .selectFrom("loan_events as e")
    .innerJoin("loans", "loans.loan_id", "e.loan_id")
    .innerJoin("raw_logs as r", (j) => j.onRef("r.block_number", "=", "e.block_number").onRef("r.log_index", "=", "e.log_index"))
    .selectAll("e")
    .select(["r.topics", "r.data", "loans.lender"])
    .where((eb) => eb(eb.refTuple("e.block_number", "e.log_index"), ">", eb.tuple(after.block, after.logIndex)))
    .where("e.block_number", "<=", upTo.block)
    .where((eb) => eb(eb.refTuple("e.block_number", "e.log_index"), "<=", eb.tuple(upTo.block, upTo.logIndex)))
    .where("e.name", "in", contractEvents);
  if (filter?.loanId !== undefined) q = q.where("e.loan_id", "=", filter.loanId);
  const scope = filter?.scope;
  if (scope && !scope.auditor) {
    q = q.where((eb) => {
      const ors = [
        eb.exists(
          eb
            .selectFrom("current_collectors as cc")
            .select(sql.lit(1).as("one"))
            .whereRef("cc.loan_id", "=", "e.loan_id")
            .where("cc.collector", "=", scope.address),
        ),
      ];
      if (scope.lenders.length) ors.push(eb("loans.lender", "in", scope.lenders));
      if (scope.agencyLoans.length) ors.push(eb("e.loan_id", "in", scope.agencyLoans));
      return eb.or(ors);
    });
  }
  return (await q.orderBy("e.block_number").orderBy("e.log_index").limit(limit).execute()) as StreamRow[];
}

/** The collectors assigned now to each of `loanIds` (read once per page of the shared poll). */
export async function collectorsOf(db: Kysely<Database>, loanIds: readonly number[]): Promise<Map<number, Set<string>>> {
  const out = new Map<number, Set<string>>();
  if (loanIds.length === 0) return out;
  const rows = await db.selectFrom("current_collectors").select(["loan_id", "collector"]).where("loan_id", "in", [...new Set(loanIds)]).execute();
  for (const r of rows) (out.get(r.loan_id) ?? out.set(r.loan_id, new Set()).get(r.loan_id)!).add(r.collector);
  return out;
}

/**
 * The rule of {@link nextEvents}'s filter, in memory: whether a caller with `scope` may see an
 * event of loan `loanId` lent by `lender` whose current collectors are `collectors` (an agency and its
 * collectors see the placed loans they work now).
 */
export function visibleTo(scope: Scope, lender: string, collectors: ReadonlySet<string> | undefined, loanId?: number): boolean {
  return scope.auditor || scope.lenders.includes(lender) || (collectors?.has(scope.address) ?? false) || (loanId !== undefined && scope.agencyLoans.includes(loanId));
}

/** Whether an event is one a stream's `?events=` and `?loanId=` select. */
export function selects(selection: StreamSelection, row: Pick<StreamRow, "name" | "loan_id">): boolean {
  if (selection.loanId !== undefined && row.loan_id !== selection.loanId) return false;
  return !selection.events || selection.events.includes(STREAM_EVENTS[row.name as keyof typeof STREAM_EVENTS]);
}

/**
 * Accounts whose access may have changed in blocks (`fromBlock`, `toBlock`]: role grants and
 * revocations, servicer delegations set or revoked, collectors assigned or unassigned.
 */
export async function accessChanges(db: Kysely<Database>, fromBlock: number, toBlock: number): Promise<Set<string>> {
  const rows = await db
    .selectFrom("role_changes")
    .select("account")
    .where("block_number", ">", fromBlock)
    .where("block_number", "<=", toBlock)
    .union(db.selectFrom("servicers").select("servicer as account").where("block_number", ">", fromBlock).where("block_number", "<=", toBlock))
    .union(db.selectFrom("assignments").select("collector as account").where("block_number", ">", fromBlock).where("block_number", "<=", toBlock))
    .execute();
  return new Set(rows.map((r) => r.account));
}
