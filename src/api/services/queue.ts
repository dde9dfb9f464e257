/**
 * The collector's work queue: loans assigned to the caller and open (active or charged off),
 * in priority order, with what a collector needs before contact (promises, reminders, the
 * contact window from src/domain's compliance rules). Services know no HTTP.
 */
import { sql, type ExpressionBuilder, type Kysely } from "kysely";
import { contactWindow } from "../../domain";
import type { Database, LoansTable } from "../../db/schema";
import { channelOut, kindOut } from "../schemas/collection";
import type { QueueItem } from "../schemas/queue";
import { loanStatus, settlementOf, withSchedules, type AsOf } from "./loans";
import { complianceStates, contactPolicies, jurisdictionRules } from "../../db/compliance";
import { scoresOf, strategyOut } from "./queue-strategy";
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
 * Below this many assignments the page is read from the caller's assignments (index
 * current_collectors(collector, loan_id)) and sorted; at or above it, loans are walked in the
 * priority index (loans_queue_idx) and kept when assigned, stopping at the page size. Either way
 * the work is bounded by the threshold or by the page, never by the number of loans.
 */
export const SMALL_QUEUE = 2_000;

export type QueueStrategy = "auto" | "assignments" | "loans";

/** Which way {@link queueRows} reads: by the caller's assignments, or by the loans' priority index. */
export async function queueStrategy(db: Kysely<Database>, collector: string): Promise<"assignments" | "loans"> {
  const probe = db.selectFrom("current_collectors").select("loan_id").where("collector", "=", collector).limit(SMALL_QUEUE);
  const { n } = await db.selectFrom(probe.as("p")).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  return Number(n) < SMALL_QUEUE ? "assignments" : "loans";
}

/**
 * The query of one page of the caller's open assigned loans after `after`, in priority order: by
 * due date (`due`), or by expected recovery first (`strategy`: the loans' stored scores; the due
 * order breaks ties, and loans without a score come after the scored delinquent ones).
 */
export function queueQuery(
  db: Kysely<Database>,
  collector: string,
  after: QueueKey | undefined,
  limit: number,
  use: "assignments" | "loans",
  order: QueueOrder = "due",
  placed: readonly number[] = [],
) {
  const assignedTo = (eb: ExpressionBuilder<Database, "loans">) =>
    eb.exists(eb.selectFrom("current_collectors").select("current_collectors.loan_id").whereRef("current_collectors.loan_id", "=", "loans.loan_id").where("current_collectors.collector", "=", collector));
  // Placed loans the caller works for an agency join its own assignments (a short list: read by id).
  const base = placed.length
    ? db.selectFrom("loans").where((eb) => eb.or([assignedTo(eb), eb("loans.loan_id", "in", [...placed])]))
    : use === "assignments"
      ? db.selectFrom("current_collectors").innerJoin("loans", "loans.loan_id", "current_collectors.loan_id").where("current_collectors.collector", "=", collector)
      : db.selectFrom("loans").where(assignedTo);
  const expected = sql<string>`coalesce(loan_scores.expected_recovery, ${NO_EXPECTED})`;
  let q = base
    .leftJoin("loan_scores", "loan_scores.loan_id", "loans.loan_id")
    .selectAll("loans")
    .select(expected.as("expected_key"))
    .where("loans.status", "in", OPEN_STATUSES);
  if (after) {
    const { dueKey, amountOverdue, loanId } = after;
    q = q.where((eb) => {
      const dueAfter = eb.or([
        eb("loans.due_key", ">", dueKey),
        eb.and([
          eb("loans.due_key", "=", dueKey),
          eb.or([eb("loans.amount_overdue", "<", amountOverdue), eb.and([eb("loans.amount_overdue", "=", amountOverdue), eb("loans.loan_id", ">", loanId)])]),
        ]),
      ]);
      if (order === "due") return dueAfter;
      const e = after.expected ?? NO_EXPECTED;
      return eb.or([eb(expected, "<", e), eb.and([eb(expected, "=", e), dueAfter])]);
    });
  }
  if (order === "strategy") q = q.orderBy(expected, "desc");
  return q.orderBy("loans.due_key", "asc").orderBy("loans.amount_overdue", "desc").orderBy("loans.loan_id", "asc").limit(limit);
}

/** One page of the caller's open assigned loans after `after`, in priority order (each row with its expected-recovery key). */
export async function queueRows(
  db: Kysely<Database>,
  collector: string,
  after: QueueKey | undefined,
  limit: number,
  strategy: QueueStrategy = "auto",
  order: QueueOrder = "due",
  placed: readonly number[] = [],
): Promise<(LoansTable & { expected_key: string })[]> {
  const use = strategy === "auto" ? await queueStrategy(db, collector) : strategy;
  return (await queueQuery(db, collector, after, limit, use, order, placed).execute()) as (LoansTable & { expected_key: string })[];
}

/** Queue items of `rows` (already in priority order), ranks starting after `rankBefore`. */
export async function queueItems(
  db: Kysely<Database>,
  rows: LoansTable[],
  at: AsOf,
  rankBefore: number,
  query: { channel: number; kind: number },
): Promise<QueueItem[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.loan_id);
  const [withSchedule, promises, repayments, reminders, policies, states, scored, rules] = await Promise.all([
    withSchedules(db, rows),
    db.selectFrom("promises").selectAll().where("loan_id", "in", ids).where("block_number", "<=", at.block).orderBy("seq").execute(),
    db.selectFrom("repayments").select(["loan_id", "amount", "paid_at"]).where("loan_id", "in", ids).where("block_number", "<=", at.block).execute(),
    db.selectFrom("reminders").selectAll().where("loan_id", "in", ids).where("block_number", "<=", at.block).orderBy("block_number").orderBy("log_index").execute(),
    contactPolicies(db, [...new Set(rows.map((r) => r.lender))]),
    complianceStates(db, rows, at.timestamp),
    scoresOf(db, ids),
    jurisdictionRules(db, rows.map((r) => r.jurisdiction)),
  ]);
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
