/**
 * The notices outbox as the API reads it (src/notify writes it), a notice requested by a caller,
 * and the replay of a dead-lettered webhook. Scope as for loans: a lender sees its own loans'
 * notices, a servicer those of its lenders, a collector those of the loans assigned to it now, an
 * auditor all. A notice carries no contact data (the outbox has none), so neither does anything here.
 */
import type { Kysely, SelectQueryBuilder } from "kysely";
import type { Database } from "../../db/schema";
import type { NoticeChannel, NoticesTable, NoticeStatus } from "../../db/notify-tables";
import { noticeId, requestTriggerId } from "../../notify/ids";
import { templateKind, type TemplateId } from "../../notify/template-ids";
import type { Scope } from "../auth/scope";
import { NOTICE_CHANNELS, NOTICE_STATUSES, type NoticeSort } from "../schemas/notices";
import { encodeCursor } from "../schemas/common";
import { ConflictError, ForbiddenError, NotFoundError } from "./errors";
import type { AsOf } from "./loans";
import type { PortfolioScope } from "./portfolio";

/** Restricts a notices query to what the caller may see (as {@link visibleTo} does for loans). */
export function noticesVisibleTo<O>(q: SelectQueryBuilder<Database, "notices", O>, scope: Scope): SelectQueryBuilder<Database, "notices", O> {
  if (scope.auditor) return q;
  return q.where((eb) => {
    const ors = [
      eb.exists(
        eb
          .selectFrom("current_collectors")
          .select("current_collectors.loan_id")
          .whereRef("current_collectors.loan_id", "=", "notices.loan_id")
          .where("current_collectors.collector", "=", scope.address),
      ),
    ];
    if (scope.lenders.length) ors.push(eb("notices.lender", "in", scope.lenders));
    return eb.or(ors);
  });
}

/** A notice as the API shows it. */
export function noticeOut(r: NoticesTable) {
  const waiting = r.status === "pending" || r.status === "deferred";
  return {
    id: r.id,
    loanId: String(r.loan_id),
    lender: r.lender,
    trigger: {
      name: r.trigger,
      id: r.trigger_id,
      at: Number(r.trigger_at),
      block: r.trigger_block === null ? null : Number(r.trigger_block),
      logIndex: r.trigger_log_index === null ? null : Number(r.trigger_log_index),
      txHash: r.trigger_tx,
      requestedBy: r.requested_by,
    },
    channel: r.channel,
    kind: r.kind,
    step: Number(r.step),
    fallbackOf: r.fallback_of,
    template: r.template,
    templateVersion: r.template_version === null ? null : Number(r.template_version),
    language: r.language,
    status: r.status,
    reason: r.reason,
    nextAttemptAt: waiting ? Number(r.due_at) : null,
    attempts: Number(r.attempts),
    evidenceHash: r.evidence_hash,
    providerId: r.provider_id,
    sentAt: r.sent_at === null ? null : Number(r.sent_at),
    deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
    onChain: { state: r.record_state, txHash: r.record_tx, actionSeq: r.action_seq === null ? null : Number(r.action_seq) },
  };
}
export type NoticeOut = ReturnType<typeof noticeOut>;

export interface NoticeListParameters {
  loanId?: number;
  status?: NoticeStatus;
  channel?: NoticeChannel;
  sort: NoticeSort;
  limit: number;
  cursor?: { s: NoticeSort; k: number; id: string };
}

/**
 * A page of the notices the caller may see, by trigger time then id (the indexes (trigger_at, id),
 * (loan_id, trigger_at, id) and (lender, trigger_at, id) serve it), keyset-paginated.
 */
export async function listNotices(db: Kysely<Database>, scope: Scope, p: NoticeListParameters): Promise<{ items: NoticeOut[]; nextCursor: string | null }> {
  const dir = p.sort === "triggerAt" ? "asc" : "desc";
  let q = noticesVisibleTo(db.selectFrom("notices").selectAll("notices"), scope);
  if (p.loanId !== undefined) q = q.where("notices.loan_id", "=", p.loanId);
  if (p.status) q = q.where("notices.status", "=", p.status);
  if (p.channel) q = q.where("notices.channel", "=", p.channel);
  if (p.cursor) {
    const { k, id } = p.cursor;
    q = q.where((eb) => eb(eb.refTuple("notices.trigger_at", "notices.id"), dir === "asc" ? ">" : "<", eb.tuple(k, id)));
  }
  const rows = (await q.orderBy("notices.trigger_at", dir).orderBy("notices.id", dir).limit(p.limit + 1).execute()) as NoticesTable[];
  const page = rows.slice(0, p.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(noticeOut),
    nextCursor: rows.length > p.limit && last ? encodeCursor({ s: p.sort, k: Number(last.trigger_at), id: last.id }) : null,
  };
}

type StatusCounts = Record<NoticeStatus, number>;
const zeroCounts = (): StatusCounts => Object.fromEntries(NOTICE_STATUSES.map((s) => [s, 0])) as StatusCounts;

/** Notices by status and channel, for the lenders in `scope` (one grouped query). */
export async function noticeCounts(db: Kysely<Database>, scope: PortfolioScope) {
  let q = db
    .selectFrom("notices")
    .select(["channel", "status", (eb) => eb.fn.countAll<number | string>().as("n")])
    .groupBy(["channel", "status"]);
  if (scope.lenders !== "all") q = q.where("lender", "in", scope.lenders);
  const rows = scope.lenders === "all" || scope.lenders.length > 0 ? await q.execute() : [];
  const statuses = zeroCounts();
  const channels = NOTICE_CHANNELS.map((channel) => ({ channel, total: 0, statuses: zeroCounts() }));
  let total = 0;
  for (const r of rows) {
    const n = Number(r.n);
    const status = r.status as NoticeStatus;
    const c = channels.find((x) => x.channel === r.channel);
    // A status or channel this API does not know (a newer dispatcher) still counts in the total.
    total += n;
    if (status in statuses) statuses[status] += n;
    if (c) {
      c.total += n;
      if (status in c.statuses) c.statuses[status] += n;
    }
  }
  return { total, statuses, channels };
}

/** The notice `id` if the caller may see it, or 404 (the same answer whether it does not exist or is not theirs). */
export async function visibleNotice(db: Kysely<Database>, scope: Scope, id: string): Promise<NoticesTable> {
  const row = await noticesVisibleTo(db.selectFrom("notices").selectAll("notices"), scope).where("notices.id", "=", id).executeTakeFirst();
  if (!row) throw new NotFoundError(`notice ${id} not found`);
  return row as NoticesTable;
}

export interface NoticeRequest {
  loanId: number;
  lender: string;
  borrowerRef: string;
  template: TemplateId;
  channel: NoticeChannel;
  language?: string;
  /** The caller. */
  requestedBy: string;
  /** The caller's Idempotency-Key, or a random nonce: with the caller, it makes the trigger id. */
  key: string;
  /** Chain time of the request: the indexer's cursor. */
  at: AsOf;
  /** The server clock in milliseconds (created_ms: the outbox lag is measured on it). */
  nowMs: number;
}

/**
 * Puts a requested notice in the outbox, pending from the chain time of the request. Its id comes
 * from (caller, key, channel), so a repeated request under the same key finds the same notice
 * instead of making a second one.
 * @throws ConflictError when the key already made a notice for another loan, template or language.
 */
export async function requestNotice(db: Kysely<Database>, r: NoticeRequest): Promise<NoticeOut> {
  const triggerId = requestTriggerId(r.requestedBy, r.key);
  const id = noticeId(triggerId, r.channel);
  const row: NoticesTable = {
    id,
    trigger_id: triggerId,
    trigger: "Request",
    channel: r.channel,
    loan_id: r.loanId,
    lender: r.lender,
    borrower_ref: r.borrowerRef,
    trigger_block: null,
    trigger_log_index: null,
    trigger_tx: null,
    trigger_at: r.at.timestamp,
    plan_version: null,
    step: 0,
    fallback_of: null,
    template: r.template,
    template_version: null,
    language: r.language ?? null,
    kind: templateKind(r.template),
    requested_by: r.requestedBy,
    status: "pending",
    reason: null,
    due_at: r.at.timestamp,
    attempts: 0,
    lease_owner: null,
    lease_until_ms: null,
    evidence_hash: null,
    content_type: null,
    provider_id: null,
    sent_at: null,
    delivered_at: null,
    outcome: null,
    fallback: "[]",
    record_state: null,
    record_tx: null,
    action_seq: null,
    created_ms: r.nowMs,
    sent_ms: null,
  };
  await db.insertInto("notices").values(row).onConflict((oc) => oc.column("id").doNothing()).execute();
  const stored = await db.selectFrom("notices").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  const same = Number(stored.loan_id) === r.loanId && stored.template === r.template && stored.language === row.language && stored.requested_by === r.requestedBy;
  if (!same) throw new ConflictError(`this Idempotency-Key already requested notice ${id} (loan ${stored.loan_id}, template ${stored.template}); use a new key for a new request`);
  return noticeOut(stored);
}

/**
 * Sends a dead-lettered webhook notice again: a failed webhook goes back to pending, due now (chain
 * time), attempts and reason cleared. Only the lender and its servicers.
 * @throws NotFoundError when the caller cannot see it; ForbiddenError when it may see it but not
 *   act for its lender; ConflictError naming the status and channel of anything else.
 */
export async function replayNotice(db: Kysely<Database>, scope: Scope, id: string, at: AsOf): Promise<NoticeOut> {
  const row = await visibleNotice(db, scope, id);
  if (!scope.lenders.some((l) => l.toLowerCase() === row.lender.toLowerCase())) throw new ForbiddenError(`only the lender and its servicers may replay its notices (notice ${id} is lender ${row.lender}'s)`);
  const refuse = (r: NoticesTable) =>
    new ConflictError(`notice ${id} is a ${r.channel} notice in status ${r.status}: only a failed webhook notice (dead letter) can be replayed`, { fields: { noticeStatus: r.status, channel: r.channel } });
  if (row.channel !== "webhook" || row.status !== "failed") throw refuse(row);
  // Conditional on the state just read: a dispatcher or a second replay that got there first wins.
  const r = await db
    .updateTable("notices")
    .set({ status: "pending", attempts: 0, reason: null, due_at: at.timestamp, lease_owner: null, lease_until_ms: null })
    .where("id", "=", id)
    .where("channel", "=", "webhook")
    .where("status", "=", "failed")
    .executeTakeFirst();
  const now = await db.selectFrom("notices").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  if (Number(r.numUpdatedRows) === 0) throw refuse(now);
  return noticeOut(now);
}
