/**
 * The collector's work queue: loans assigned to the caller and open (active or charged off),
 * in priority order, with what a collector needs before contact (promises, reminders, the
 * contact window from src/domain's compliance rules). Services know no HTTP.
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type ReferenceExpression } from "kysely";
import { contactWindow } from "../../domain";
import { jsonArrayFrom as pgJsonArrayFrom } from "kysely/helpers/postgres";
import type { Database, LoanScoresTable, LoansTable, PromisesTable, RemindersTable } from "../../db/schema";
import { preparedQuery } from "../../db/prepared";
import { channelOut, kindOut } from "../schemas/collection";
import type { QueueItem } from "../schemas/queue";
import { loanStatus, settlementOf, withSchedules, type AsOf } from "./loans";
import type { KeptHistory, LoanSideRows } from "./kept-history";
import type { BlockMemo } from "./block-memo";
import { callHistorySince, complianceStatesFrom, contactPolicies, jurisdictionRules, recentCallsQuery, type CallRow } from "../../db/compliance";
import { dialectOf } from "../../db/dialect";
import { scoresFrom, scoresQuery, strategyOut } from "./queue-strategy";
import { promisesWithStatus } from "./loan-work";

/** Loan statuses still worked: active (0) and charged off (1: later payments are recoveries). */
export const OPEN_STATUSES = [0, 1];

/** The keyset position of a queue row: ([expected recovery desc,] due_key asc, amount_overdue desc, loan_id asc). */
export interface QueueKey {
  /** Strategy order only: the loan's expected recovery (40 digits; zeros when it has no score). */
  expected?: string;
  dueKey: number;
  amountOverdue: string;
  loanId: number;
}

export type QueueOrder = "strategy" | "due";

/** A loan without a score sorts as an expected recovery of 0 (after every scored delinquent loan). */
export const NO_EXPECTED = "0".repeat(40);

/**
 * The query of one page of the caller's open assigned loans after `after`, in priority order: by
 * due date (`due`), or by expected recovery first (`strategy`: the loans' stored scores; the due
 * order breaks ties, and loans without a score come after the scored delinquent ones).
 *
 * The caller's own assignments carry their loans' sort keys (migration 0016), so the page is one
 * walk of current_collectors_queue_idx (strategy) or current_collectors_due_idx (due) from the
 * caller's first entry, stopping at the page size: the work does not grow with the book or with
 * the caller's assignments. Placed loans an agency's collector works (`placed`, a short list) join
 * its assignments by id, and that page is sorted.
 */
export function queueQuery(
  db: Kysely<Database>,
  collector: string,
  after: QueueKey | undefined,
  limit: number,
  order: QueueOrder = "due",
) {
  let q = db
    .selectFrom("current_collectors as cc")
    .innerJoin("loans", "loans.loan_id", "cc.loan_id")
    .selectAll("loans")
    .select("cc.expected_key as expected_key")
    .where("cc.collector", "=", collector)
    .where("cc.queue_open", "=", 1);
  if (after) q = q.where((eb) => keyAfter(eb, after, order, { expected: eb.ref("cc.expected_key"), due: "cc.due_key", amount: "cc.amount_overdue", id: "cc.loan_id" }));
  if (order === "strategy") q = q.orderBy("cc.expected_key", "desc");
  return q.orderBy("cc.due_key", "asc").orderBy("cc.amount_overdue", "desc").orderBy("cc.loan_id", "asc").limit(limit);
}

/** queueQuery prepared, from the start of the queue (variant: the order). */
const queueStart = preparedQuery((db, p: { collector: string; limit: number }, order) => queueQuery(db, p.collector, undefined, p.limit, order as QueueOrder));

/** queueQuery prepared, after a keyset position in the due order. */
const queueAfterDue = preparedQuery((db, p: { collector: string; limit: number; dueKey: number; amountOverdue: string; loanId: number }, order) =>
  queueQuery(db, p.collector, { dueKey: p.dueKey, amountOverdue: p.amountOverdue, loanId: p.loanId }, p.limit, order as QueueOrder),
);

/** queueQuery prepared, after a keyset position in the strategy order. */
const queueAfter = preparedQuery((db, p: { collector: string; limit: number; expected: string; dueKey: number; amountOverdue: string; loanId: number }, order) =>
  queueQuery(db, p.collector, { expected: p.expected, dueKey: p.dueKey, amountOverdue: p.amountOverdue, loanId: p.loanId }, p.limit, order as QueueOrder),
);

type KeyColumns<DB, TB extends keyof DB> = {
  expected: Expression<string>;
  due: ReferenceExpression<DB, TB>;
  amount: ReferenceExpression<DB, TB>;
  id: ReferenceExpression<DB, TB>;
};

/** The keyset condition "after `after`" in `order`, over the given key columns. */
function keyAfter<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, after: QueueKey, order: QueueOrder, k: KeyColumns<DB, TB>) {
  const { dueKey, amountOverdue, loanId } = after;
  const dueAfter = eb.or([
    eb(k.due, ">", dueKey as never),
    eb.and([eb(k.due, "=", dueKey as never), eb.or([eb(k.amount, "<", amountOverdue as never), eb.and([eb(k.amount, "=", amountOverdue as never), eb(k.id, ">", loanId as never)])])]),
  ]);
  if (order === "due") return dueAfter;
  const e = after.expected ?? NO_EXPECTED;
  return eb.or([eb(k.expected, "<", e), eb.and([eb(k.expected, "=", e), dueAfter])]);
}

/** An agency collector's queue: its own assignments and the placed loans it works, sorted. */
function placedQueueQuery(db: Kysely<Database>, collector: string, after: QueueKey | undefined, limit: number, order: QueueOrder, placed: readonly number[]) {
  const expected = sql<string>`coalesce(loan_scores.expected_recovery, ${NO_EXPECTED})`;
  let q = db
    .selectFrom("loans")
    .leftJoin("loan_scores", "loan_scores.loan_id", "loans.loan_id")
    .selectAll("loans")
    .select(expected.as("expected_key"))
    .where((eb) => eb.or([eb("loans.loan_id", "in", eb.selectFrom("current_collectors").select("current_collectors.loan_id").where("current_collectors.collector", "=", collector)), eb("loans.loan_id", "in", [...placed])]))
    .where("loans.status", "in", OPEN_STATUSES);
  if (after) q = q.where((eb) => keyAfter(eb, after, order, { expected, due: "loans.due_key", amount: "loans.amount_overdue", id: "loans.loan_id" }));
  if (order === "strategy") q = q.orderBy(expected, "desc");
  return q.orderBy("loans.due_key", "asc").orderBy("loans.amount_overdue", "desc").orderBy("loans.loan_id", "asc").limit(limit);
}

/** One page of the caller's open assigned loans after `after`, in priority order (each row with its expected-recovery key). */
export async function queueRows(
  db: Kysely<Database>,
  collector: string,
  after: QueueKey | undefined,
  limit: number,
  order: QueueOrder = "due",
  placed: readonly number[] = [],
): Promise<(LoansTable & { expected_key: string })[]> {
  if (placed.length) return (await placedQueueQuery(db, collector, after, limit, order, placed).execute()) as (LoansTable & { expected_key: string })[];
  if (!after) return (await queueStart(db, { collector, limit }, order)) as (LoansTable & { expected_key: string })[];
  const { dueKey, amountOverdue, loanId } = after;
  const rows = order === "strategy" ? await queueAfter(db, { collector, limit, expected: after.expected ?? NO_EXPECTED, dueKey, amountOverdue, loanId }, order) : await queueAfterDue(db, { collector, limit, dueKey, amountOverdue, loanId }, order);
  return rows as (LoansTable & { expected_key: string })[];
}

/** The query of the promises of the loans `ids` at the indexed block `block`. */
function promisesQuery(db: Kysely<Database>, ids: number[], block: number) {
  return db.selectFrom("promises").selectAll().where("loan_id", "in", ids).where("block_number", "<=", block).orderBy("seq");
}

/**
 * The query of the latest reminder of each of the loans `ids` at the indexed block `block`, through
 * (loan_id, block_number, log_index) (migration 0023): one row read a loan, however many reminders
 * it has had. Reading the rows of them all grew with the book's age: 20 loans of 30 reminders each
 * took 1.4 ms on SQLite, 0.15 ms with one seek a loan.
 *
 * - PostgreSQL seeks through a lateral join (it would test a row comparison against every reminder).
 * - SQLite has no lateral join. It takes each loan's greatest chain position from the index alone,
 *   with the rowid of that entry (a bare column beside max() comes from the row with the maximum),
 *   then reads those rows by rowid. On the realistic 100k book, 20 loans of one reminder each took
 *   165 µs with a correlated subquery a loan (the row then looked up by its key) and take 92 µs this
 *   way (78 µs reading every row); at 12 reminders a loan 260 µs, now 175 µs (645 µs every row).
 *   The position is block_number * 2^24 + log_index: a block holds fewer than 2^24 logs (each costs
 *   at least 375 gas), and block numbers stay below 2^39, so the product fits in 63 bits.
 */
export function latestRemindersQuery(db: Kysely<Database>, ids: number[], block: number) {
  if (dialectOf(db) === "postgres") {
    return db
      .selectFrom("loans as l")
      .where("l.loan_id", "in", ids)
      .innerJoinLateral(
        (eb) =>
          eb
            .selectFrom("reminders as n")
            .whereRef("n.loan_id", "=", "l.loan_id")
            .where("n.block_number", "<=", block)
            .orderBy("n.block_number", "desc")
            .orderBy("n.log_index", "desc")
            .limit(1)
            .selectAll("n")
            .as("r"),
        (join) => join.onTrue(),
      )
      .selectAll("r");
  }
  const latest = db
    .selectFrom("reminders")
    .select([sql<number>`rowid`.as("id"), sql<number>`max(block_number * 16777216 + log_index)`.as("position")])
    .where("loan_id", "in", ids)
    .where("block_number", "<=", block)
    .groupBy("loan_id");
  return db
    .selectFrom("reminders as r")
    .where(sql<number>`r.rowid`, "in", db.selectFrom(latest.as("m")).select("m.id"))
    .selectAll("r");
}

type SideValues = { ids: number[]; scoreIds: number[]; block: number; since: number };

const promisesOf = preparedQuery((db, p: { ids: number[]; block: number }) => promisesQuery(db, p.ids, p.block));
const remindersOf = preparedQuery((db, p: { ids: number[]; block: number }) => latestRemindersQuery(db, p.ids, p.block));
const callsOf = preparedQuery((db, p: { ids: number[]; since: number }) => recentCallsQuery(db, p.ids, p.since));
const scoreRowsOf = preparedQuery((db, p: { ids: number[] }) => scoresQuery(db, p.ids));

/**
 * PostgreSQL: the four side reads of a page in one statement, each as a JSON array (bigint and
 * integer columns come back as JSON numbers, exact below 2^53 like the int8 parser's; the rest are
 * text). One round trip instead of four: on PostgreSQL each statement is a socket write and a
 * protocol exchange on both sides (profiled at 100k loans: socket writes 22% and the pg driver 12%
 * of an API worker's CPU). Promises, reminders and calls of the loans `ids`, scores of `scoreIds`.
 */
const sidesOf = preparedQuery((db, p: SideValues) =>
  db.selectNoFrom([
    pgJsonArrayFrom(promisesQuery(db, p.ids, p.block)).as("promises"),
    pgJsonArrayFrom(latestRemindersQuery(db, p.ids, p.block)).as("reminders"),
    pgJsonArrayFrom(recentCallsQuery(db, p.ids, p.since)).as("calls"),
    pgJsonArrayFrom(scoresQuery(db, p.scoreIds)).as("scores"),
  ]),
);

/** What a queue page shows beside its loans rows: promises, reminders, recent calls and stored scores. */
interface SideRows {
  /** In `seq` order for each loan. */
  promises: PromisesTable[];
  /** The latest of each loan that has one. */
  reminders: RemindersTable[];
  calls: CallRow[];
  scores: LoanScoresTable[];
}

/**
 * The side rows of the loans `ids` (promises, latest reminders and calls since `since`) with the
 * scores of `scoreIds`: one statement on PostgreSQL (a round trip each otherwise), prepared ones
 * on SQLite (a few microseconds each, less than building and parsing JSON). The promises' order is
 * restored after JSON aggregation, which does not promise to keep it.
 */
async function readSideRows(db: Kysely<Database>, ids: number[], scoreIds: number[], block: number, since: number): Promise<SideRows> {
  if (ids.length === 0) return { promises: [], reminders: [], calls: [], scores: (await scoreRowsOf(db, { ids: scoreIds })) as LoanScoresTable[] };
  if (dialectOf(db) === "sqlite") {
    const [promises, reminders, calls, scores] = await Promise.all([
      promisesOf(db, { ids, block }),
      remindersOf(db, { ids, block }),
      callsOf(db, { ids, since }),
      scoreRowsOf(db, { ids: scoreIds }),
    ]);
    return { promises, reminders, calls, scores } as SideRows;
  }
  const [row] = await sidesOf(db, { ids, scoreIds, block, since });
  const sides = row as unknown as SideRows;
  sides.promises.sort((a, b) => a.seq - b.seq);
  return sides;
}

/**
 * The side rows of the page's loans `rows` at `at`. A loan's promises, latest reminder and calls
 * come from `kept` while its loans row's updated_block is the one they were read at (only its own
 * events write them, and each moves updated_block); the other loans' are read, and kept. Scores are
 * read for every loan: the scorer writes them without an event. The top of each collector's queue
 * stays much the same from block to block, so most pages read none: measured with bench:api:ab at
 * 100k loans (8 rounds of 15 s each way, on a host with a slow allocator), 20% more requests a
 * second with this build named second and 5% named first (about 12% over both orders), and 12%
 * less processor time a request.
 */
async function sideRows(db: Kysely<Database>, rows: readonly LoansTable[], at: AsOf, kept?: KeptHistory): Promise<SideRows> {
  const since = callHistorySince(at.timestamp);
  const known = new Map<number, LoanSideRows>();
  const missing: number[] = [];
  for (const r of rows) {
    // A row read past the cursor (the indexer moved on during the request) may carry events the
    // cursor's reads leave out: its side rows are read, not kept.
    const k = kept && r.updated_block <= at.block ? kept.sideRows(r.loan_id, r.updated_block, since) : undefined;
    if (k) known.set(r.loan_id, k);
    else missing.push(r.loan_id);
  }
  const read = await readSideRows(db, missing, rows.map((r) => r.loan_id), at.block, since);
  if (!kept) return read;
  const loaded = new Map<number, LoanSideRows>();
  for (const r of rows) if (!known.has(r.loan_id)) loaded.set(r.loan_id, { updatedBlock: r.updated_block, promises: [], reminder: undefined, callsSince: since, calls: [] });
  for (const p of read.promises) loaded.get(p.loan_id)?.promises.push(p);
  for (const r of read.reminders) {
    const l = loaded.get(r.loan_id);
    if (l) l.reminder = r;
  }
  for (const c of read.calls) loaded.get(c.loan_id)?.calls.push(c);
  for (const [id, l] of loaded) if (l.updatedBlock <= at.block) kept.keepSideRows(id, l);
  const out: SideRows = { promises: [], reminders: [], calls: [], scores: read.scores };
  for (const r of rows) {
    const s = known.get(r.loan_id) ?? loaded.get(r.loan_id)!;
    out.promises.push(...s.promises);
    if (s.reminder) out.reminders.push(s.reminder);
    out.calls.push(...s.calls);
  }
  return out;
}

/**
 * The repayments of the loans with a promise among `promises` (repayments only decide whether
 * promises were kept): read only when there is a promise, which most pages have none of.
 */
async function repaymentsOfPromised(db: Kysely<Database>, promises: readonly PromisesTable[], at: AsOf) {
  if (promises.length === 0) return [];
  const promised = [...new Set(promises.map((p) => p.loan_id))];
  return db.selectFrom("repayments").select(["loan_id", "amount", "paid_at"]).where("loan_id", "in", promised).where("block_number", "<=", at.block).execute();
}

/** `load(keys)`, through the generation's memo when there is one. */
function memoized<V>(memo: BlockMemo | undefined, kind: string, keys: string[], load: (keys: string[]) => Promise<Map<string, V>>): Promise<Map<string, V>> {
  return memo ? memo.many(kind, keys, load) : load([...new Set(keys)]);
}

/** Queue items of `rows` (already in priority order), ranks starting after `rankBefore`. */
export async function queueItems(
  db: Kysely<Database>,
  rows: LoansTable[],
  at: AsOf,
  rankBefore: number,
  query: { channel: number; kind: number },
  kept?: KeptHistory,
  memo?: BlockMemo,
): Promise<QueueItem[]> {
  if (rows.length === 0) return [];
  const [withSchedule, sides, policies, rules] = await Promise.all([
    withSchedules(db, rows, kept),
    sideRows(db, rows, at, kept),
    memoized(memo, "contact-policy", rows.map((r) => r.lender), (lenders) => contactPolicies(db, lenders)),
    memoized(memo, "jurisdiction-rules", rows.map((r) => r.jurisdiction), (codes) => jurisdictionRules(db, codes)),
  ]);
  const { promises, reminders } = sides;
  const [repayments, scored] = await Promise.all([repaymentsOfPromised(db, promises, at), scoresFrom(db, sides.scores)]);
  const states = complianceStatesFrom(rows, sides.calls);
  const t = BigInt(at.timestamp);
  const latestReminder = new Map<number, (typeof reminders)[number]>();
  for (const r of reminders) latestReminder.set(r.loan_id, r);
  return withSchedule.map((w, i) => {
    const row = w.row;
    const status = loanStatus(w, at);
    const paid = repayments.filter((p) => p.loan_id === row.loan_id).map((p) => ({ amount: BigInt(p.amount), at: BigInt(p.paid_at) }));
    const summary = { broken: [] as QueueItem["promises"]["broken"], pending: 0, kept: 0 };
    for (const p of promisesWithStatus(promises.filter((p) => p.loan_id === row.loan_id), paid, t)) {
      if (p.status === "broken") summary.broken.push({ seq: p.seq, amount: p.amount, dueBy: p.dueBy, madeAt: p.madeAt });
      else if (p.status === "pending") summary.pending++;
      else summary.kept++;
    }
    const rem = latestReminder.get(row.loan_id);
    const window = contactWindow(
      states.get(row.loan_id)!,
      policies.get(row.lender)!,
      t,
      { oldestUnpaidDueDate: row.cursor_due === null ? null : BigInt(row.cursor_due), channel: query.channel, kind: query.kind },
      rules.get(row.jurisdiction),
    );
    return {
      loanId: String(row.loan_id),
      rank: rankBefore + i + 1,
      lender: row.lender,
      borrower: row.borrower,
      settlement: settlementOf(row),
      state: status.state,
      dpd: status.dpd,
      bucket: status.bucket,
      amountOverdue: status.amountOverdue,
      penaltyAccrued: status.penaltyAccrued,
      promises: summary,
      reminder: rem
        ? { stage: rem.stage, offsetDays: rem.offset_days, installment: rem.installment, dueDate: rem.due_date, dpd: rem.dpd, emittedAt: rem.block_timestamp, block: rem.block_number }
        : null,
      disputeOpen: row.dispute_open === 1,
      restrictedChannels: Array.from({ length: 8 }, (_, c) => c).filter((c) => (row.restricted_channels & (1 << c)) !== 0).map(channelOut),
      contactWindow: {
        channel: channelOut(query.channel),
        kind: kindOut(query.kind),
        allowedNow: window.allowedNow,
        nextAllowedAt: window.nextAllowedAt === null ? null : Number(window.nextAllowedAt),
        reasons: window.reasons,
      },
      strategy: strategyOut(scored.scores.get(row.loan_id), scored.strategies, row, states.get(row.loan_id)!, policies.get(row.lender)!, t, rules.get(row.jurisdiction)),
    };
  });
}
