/**
 * The planner: turns final trigger events into outbox rows. It walks loan_events after its cursor
 * (everything indexed is final: the indexer stops `confirmations` blocks behind the tip), asks the
 * lender's notice plan what each event sends, and inserts one `notices` row per (trigger, channel)
 * with the id derived from the two (src/notify/ids.ts), so a repeated pass, a crash half-way or a
 * second dispatcher never creates a notice twice. The rows and the cursor's move commit together.
 *
 * Reorgs: the indexer rolls its own rows back; the planner notices when the block under its cursor
 * is no longer on the indexed chain, marks the notices whose trigger is gone (cancelled if not yet
 * sent, orphaned if sent: kept, it was sent), and plans the unfinalised window again. An event the
 * new chain includes again has the same trigger id, so its notice comes back as it was instead of
 * being made again — nothing is sent twice.
 *
 * Stale triggers (older than `maxAgeSec` chain seconds when planned, for instance the history of a
 * portfolio that starts using notices) make no notice: a reminder months late helps nobody.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import { createArgsDecoder } from "../chain/decode";
import { chunk } from "../db/chunk";
import { dialectOf } from "../db/dialect";
import { WHOLE_BLOCK, type NoticeChannel, type NoticesTable } from "../db/notify-tables";
import type { Database } from "../db/schema";
import { promiseStatus } from "../domain";
import { eventTriggerId, noticeId, promiseBrokenTriggerId } from "./ids";
import type { NoticeKind } from "./types";

import { TRIGGER_EVENTS, type TriggerEvent } from "./triggers";
import { dataOf, topicsOf } from "../db/raw-logs";

export { TRIGGER_EVENTS, type TriggerEvent };

/** What a plan is asked about one trigger. */
export interface TriggerFacts {
  name: string;
  loanId: bigint;
  lender: string;
  borrowerRef: string;
  /** The event's decoded arguments (bigints as decimal strings). */
  args: Record<string, unknown>;
  /** Chain time of the trigger. */
  at: bigint;
  /** The DPD the event states, when it states one. */
  dpd: number | null;
}

/** One notice a plan asks for: a template on the first usable of `channels` (fallback order). */
export interface PlannedNotice {
  template: string;
  channels: readonly NoticeChannel[];
  kind: NoticeKind;
  planVersion: number | null;
  /** A trigger of its own instead of the event (a DpdReached rule: one per installment and threshold, whatever event crossed it). */
  triggerId?: string;
  trigger?: string;
}

/** The lender's plan, asked inside the planner's transaction (`db` is that transaction). */
export type PlanFor = (db: Kysely<Database>, trigger: TriggerFacts) => Promise<readonly PlannedNotice[]>;

export interface PlanPassParameters {
  db: Kysely<Database>;
  chainId: number;
  planFor: PlanFor;
  /** Triggers older than this (chain seconds, against the indexed tip's time) make no notice. */
  maxAgeSec: number;
  /** Events read per pass. */
  batch?: number;
  /** The dispatcher's clock (created_ms, for the lag metric). */
  nowMs?: () => number;
}

export interface PlanPassResult {
  /** Trigger events read. */
  events: number;
  /** Notices created. */
  created: number;
  /** Triggers too old to notify. */
  stale: number;
  /** Notices whose trigger a reorg removed: cancelled (not sent) and orphaned (sent). */
  cancelled: number;
  orphaned: number;
  /** The cursor reached the indexed tip. */
  caughtUp: boolean;
}

/** The row a plan's notice makes for one trigger, on its first channel. */
export function noticeRow(
  t: { triggerId: string; trigger: string; loanId: number; lender: string; borrowerRef: string; block: number | null; logIndex: number | null; tx: string | null; at: number },
  n: PlannedNotice,
  nowMs: number,
  requestedBy: string | null = null,
): NoticesTable {
  const [channel, ...rest] = n.channels;
  const triggerId = n.triggerId ?? t.triggerId;
  return {
    id: noticeId(triggerId, channel),
    trigger_id: triggerId,
    trigger: n.trigger ?? t.trigger,
    channel,
    loan_id: t.loanId,
    lender: t.lender,
    borrower_ref: t.borrowerRef,
    trigger_block: t.block,
    trigger_log_index: t.logIndex,
    trigger_tx: t.tx,
    trigger_at: t.at,
    plan_version: n.planVersion,
    step: 0,
    fallback_of: null,
    template: n.template,
    template_version: null,
    language: null,
    kind: n.kind,
    requested_by: requestedBy,
    status: "pending",
    reason: null,
    due_at: t.at,
    attempts: 0,
    lease_owner: null,
    lease_until_ms: null,
    evidence_hash: null,
    content_type: null,
    provider_id: null,
    sent_at: null,
    delivered_at: null,
    outcome: null,
    fallback: JSON.stringify(rest),
    record_state: null,
    record_tx: null,
    action_seq: null,
    created_ms: nowMs,
    sent_ms: null,
  };
}

const STATUS_AFTER_REORG = sql<string>`case when status in ('pending', 'deferred') then 'cancelled' when status in ('sent', 'delivered') then 'orphaned' else status end`;

/** Whether block `number` with `hash` is on the indexed chain (or below the reorg window, hence final). */
async function blockStillIndexed(db: Kysely<Database>, number: number, hash: string): Promise<boolean> {
  if (hash === "") return true; // planned below the window: final
  const inBlocks = await db.selectFrom("blocks").select("hash").where("number", "=", number).executeTakeFirst();
  if (inBlocks) return inBlocks.hash === hash;
  const log = await db.selectFrom("raw_logs").select("block_hash").where("block_number", "=", number).limit(1).executeTakeFirst();
  if (log) return log.block_hash === hash;
  const cursor = await db.selectFrom("cursor").select(["block_number", "block_hash"]).where("id", "=", 1).executeTakeFirst();
  if (cursor && cursor.block_number === number) return cursor.block_hash === hash;
  const lowest = await db.selectFrom("blocks").select((eb) => eb.fn.min("number").as("n")).executeTakeFirst();
  // Below the kept window the indexer no longer checks hashes: the block is final.
  return lowest?.n != null && number < Number(lowest.n);
}

/** Cancels or orphans the notices of triggers at or above `fromBlock` that the indexed chain no longer has. */
async function reconcileReorg(trx: Transaction<Database>, fromBlock: number): Promise<{ cancelled: number; orphaned: number }> {
  const gone = await trx
    .selectFrom("notices as n")
    .select(["n.id", "n.status"])
    .where("n.trigger_block", ">=", fromBlock)
    .where("n.status", "in", ["pending", "deferred", "sent", "delivered"])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("raw_logs as r")
            .select(sql.lit(1).as("one"))
            .whereRef("r.block_number", "=", "n.trigger_block")
            .whereRef("r.log_index", "=", "n.trigger_log_index")
            .whereRef("r.tx_hash", "=", "n.trigger_tx"),
        ),
      ),
    )
    .execute();
  if (gone.length === 0) return { cancelled: 0, orphaned: 0 };
  await trx
    .updateTable("notices")
    .set({ status: STATUS_AFTER_REORG as never, reason: "reorg", lease_owner: null, lease_until_ms: null })
    .where("id", "in", gone.map((g) => g.id))
    .execute();
  const orphaned = gone.filter((g) => g.status === "sent" || g.status === "delivered").length;
  return { cancelled: gone.length - orphaned, orphaned };
}

/**
 * Promises broken by the indexed tip's time `now` (their date passed without the promised amount
 * paid: src/domain/promises.ts), within the maximum age: a `PromiseBroken` trigger each, once.
 */
async function planBrokenPromises(trx: Transaction<Database>, p: PlanPassParameters, now: number, nowMs: () => number): Promise<number> {
  const due = await trx
    .selectFrom("promises as pr")
    .innerJoin("loans as l", "l.loan_id", "pr.loan_id")
    .select(["pr.loan_id", "pr.seq", "pr.amount", "pr.due_by", "pr.made_at", "l.lender", "l.borrower_ref"])
    .where("pr.due_by", "<", now)
    .where("pr.due_by", ">=", now - p.maxAgeSec)
    .execute();
  if (due.length === 0) return 0;
  const paid = await trx.selectFrom("repayments").select(["loan_id", "amount", "paid_at"]).where("loan_id", "in", [...new Set(due.map((d) => d.loan_id))]).execute();
  const rows: NoticesTable[] = [];
  for (const pr of due) {
    const repayments = paid.filter((r) => r.loan_id === pr.loan_id).map((r) => ({ amount: BigInt(r.amount), at: BigInt(r.paid_at) }));
    let status: string;
    try {
      status = promiseStatus({ amount: BigInt(pr.amount), dueBy: BigInt(pr.due_by), madeAt: BigInt(pr.made_at) }, repayments, BigInt(now));
    } catch {
      continue; // the contract refuses such promises (zero amount, due before made); none is indexed
    }
    if (status !== "broken") continue;
    const at = pr.due_by + 1;
    const facts: TriggerFacts = { name: "PromiseBroken", loanId: BigInt(pr.loan_id), lender: pr.lender, borrowerRef: pr.borrower_ref, args: { seq: String(pr.seq), amount: pr.amount, dueBy: String(pr.due_by) }, at: BigInt(at), dpd: null };
    const t = { triggerId: promiseBrokenTriggerId(pr.loan_id, pr.seq), trigger: "PromiseBroken", loanId: pr.loan_id, lender: pr.lender, borrowerRef: pr.borrower_ref, block: null, logIndex: null, tx: null, at };
    for (const n of await p.planFor(trx, facts)) if (n.channels.length > 0) rows.push(noticeRow(t, n, nowMs()));
  }
  let created = 0;
  for (const part of chunk(rows, 200)) {
    const r = await trx.insertInto("notices").values(part).onConflict((oc) => oc.column("id").doNothing()).executeTakeFirst();
    created += Number(r.numInsertedOrUpdatedRows ?? 0n);
  }
  return created;
}

const asNumber = (v: unknown): number | null => (typeof v === "string" || typeof v === "number" ? Number(v) : null);

/**
 * One planner pass: reconciles a reorg if the cursor's block left the indexed chain, then plans up
 * to `batch` trigger events after the cursor, in one transaction with the cursor's move.
 */
export async function planPass(p: PlanPassParameters): Promise<PlanPassResult> {
  const batch = p.batch ?? 1_000;
  const nowMs = p.nowMs ?? Date.now;
  const decodeArgs = createArgsDecoder();
  return p.db.transaction().execute(async (trx) => {
    const result: PlanPassResult = { events: 0, created: 0, stale: 0, cancelled: 0, orphaned: 0, caughtUp: false };
    let q = trx.selectFrom("notify_cursor").selectAll().where("id", "=", 1);
    if (dialectOf(trx) === "postgres") q = q.forUpdate(); // two planners take turns
    let cursor = await q.executeTakeFirst();
    const tip = await trx.selectFrom("cursor").selectAll().where("id", "=", 1).executeTakeFirst();
    if (!tip) return result; // nothing indexed yet

    if (cursor && !(await blockStillIndexed(trx, cursor.block_number, cursor.block_hash))) {
      const lowest = await trx.selectFrom("blocks").select((eb) => eb.fn.min("number").as("n")).executeTakeFirst();
      const from = lowest?.n == null ? 0 : Number(lowest.n);
      const r = await reconcileReorg(trx, from);
      result.cancelled = r.cancelled;
      result.orphaned = r.orphaned;
      cursor = { id: 1, block_number: from - 1, log_index: WHOLE_BLOCK, block_hash: "" };
    }
    const after = cursor ?? { block_number: -1, log_index: WHOLE_BLOCK, block_hash: "" };

    const events = await trx
      .selectFrom("loan_events as e")
      .innerJoin("raw_logs as r", (j) => j.onRef("r.block_number", "=", "e.block_number").onRef("r.log_index", "=", "e.log_index"))
      .innerJoin("loans as l", "l.loan_id", "e.loan_id")
      .select(["e.block_number", "e.log_index", "e.loan_id", "e.name", "e.contract", "e.block_timestamp", "r.tx_hash", "r.block_hash", "r.address", "r.topics", "r.data", "l.lender", "l.borrower_ref"])
      .where((eb) => eb(eb.refTuple("e.block_number", "e.log_index"), ">", eb.tuple(after.block_number, after.log_index)))
      .where("e.block_number", "<=", tip.block_number)
      .where("e.name", "in", [...TRIGGER_EVENTS])
      .orderBy("e.block_number")
      .orderBy("e.log_index")
      .limit(batch)
      .execute();
    result.events = events.length;

    const rows: NoticesTable[] = [];
    const oldest = tip.block_timestamp - p.maxAgeSec;
    for (const e of events) {
      if (e.block_timestamp < oldest) {
        result.stale++;
        continue;
      }
      const topics = topicsOf(e.topics);
      const data = dataOf(e.data);
      const args = decodeArgs(e.contract, topics, data);
      const facts: TriggerFacts = { name: e.name, loanId: BigInt(e.loan_id), lender: e.lender, borrowerRef: e.borrower_ref, args, at: BigInt(e.block_timestamp), dpd: asNumber(args.dpd) };
      const triggerId = eventTriggerId(p.chainId, e.address, topics, data);
      const t = { triggerId, trigger: e.name, loanId: e.loan_id, lender: e.lender, borrowerRef: e.borrower_ref, block: e.block_number, logIndex: e.log_index, tx: e.tx_hash, at: e.block_timestamp };
      for (const n of await p.planFor(trx, facts)) if (n.channels.length > 0) rows.push(noticeRow(t, n, nowMs()));
    }
    if (rows.length) {
      const existing = new Map<string, NoticesTable["status"]>();
      for (const part of chunk(rows.map((r) => r.id), 500)) {
        for (const r of await trx.selectFrom("notices").select(["id", "status"]).where("id", "in", part).execute()) existing.set(r.id, r.status);
      }
      const fresh = rows.filter((r) => !existing.has(r.id));
      for (const part of chunk(fresh, 200)) await trx.insertInto("notices").values(part).onConflict((oc) => oc.column("id").doNothing()).execute();
      result.created = fresh.length;
      // Triggers a reorg removed and the new chain included again: their notices come back as they were.
      // (Only event triggers: a DpdReached notice keeps the event that first crossed its threshold.)
      for (const r of rows.filter((r) => existing.has(r.id) && r.trigger_id.startsWith("ev:"))) {
        await trx
          .updateTable("notices")
          .set({
            trigger_block: r.trigger_block,
            trigger_log_index: r.trigger_log_index,
            trigger_tx: r.trigger_tx,
            status: sql`case when status = 'cancelled' and reason = 'reorg' then 'pending' when status = 'orphaned' then (case when delivered_at is null then 'sent' else 'delivered' end) else status end` as never,
            reason: sql`case when reason = 'reorg' then null else reason end` as never,
          })
          .where("trigger_id", "=", r.trigger_id)
          .execute();
      }
    }

    result.created += await planBrokenPromises(trx, p, tip.block_timestamp, nowMs);

    const last = events.at(-1);
    result.caughtUp = events.length < batch;
    const next = result.caughtUp
      ? { block_number: tip.block_number, log_index: WHOLE_BLOCK, block_hash: tip.block_hash }
      : { block_number: last!.block_number, log_index: last!.log_index, block_hash: last!.block_hash };
    if (cursor) await trx.updateTable("notify_cursor").set(next).where("id", "=", 1).execute();
    else await trx.insertInto("notify_cursor").values({ id: 1, ...next }).execute();
    return result;
  });
}
