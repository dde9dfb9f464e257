/**
 * The dispatcher: claims due notices, applies the contact rules, renders, sends, and records the
 * outcome. One pass = one claim of up to `batch` rows; the run loop (src/notify/run.ts) repeats it.
 *
 * Exactly once in Duetrail's records, at least once to the provider:
 *  - a claim is a lease (owner and expiry) taken in one statement — on PostgreSQL with
 *    `FOR UPDATE SKIP LOCKED`, so dispatchers on several machines take disjoint rows;
 *  - the rendered bytes are stored (evidence store) and their hash written before the first send,
 *    so every retry sends the same bytes and the hash on chain is theirs;
 *  - every later write is fenced by the lease (`where lease_owner = me`): a dispatcher killed
 *    after the provider accepted and before its write loses the row when the lease expires, and
 *    the next owner sends again under the same id (the provider's idempotency key) — the row is
 *    marked sent once, and recorded on chain once (src/notify/recorder.ts).
 */
import type { Kysely } from "kysely";
import type { Address } from "viem";
import { complianceStates, contactPolicies } from "../db/compliance";
import { getContact, type StoredContact } from "../db/contacts";
import { dialectOf } from "../db/dialect";
import type { NoticeChannel, NoticesTable } from "../db/notify-tables";
import type { Database, LoansTable } from "../db/schema";
import { CAPPED_CHANNELS, DAY, daysLate, isContact, noticeDecision, type NoticeCaps } from "../domain";
import type { PiiKeyring } from "../pii/crypto";
import { errorSummary } from "../chain/rpc";
import { ChannelSendError } from "./errors";
import { noticeId } from "./ids";
import { actionChannel, actionKind, NoticeOutcome } from "./outcomes";
import { applyEarlyReceipt } from "./receipts";
import type { ChannelAdapter, RenderedNotice } from "./types";

/** How long a dispute or a missing legal stage keeps a notice waiting before the rules are asked again (chain seconds). */
export const SUSPEND_RECHECK_SEC = 3_600;

/** What the dispatcher renders a notice from; the renderer reads the loan and the trigger itself. */
export interface RenderRequest {
  notice: NoticesTable;
  loan: LoansTable;
  contact: StoredContact | undefined;
  /** Chain time of the send. */
  at: bigint;
}

export interface DispatcherDeps {
  db: Kysely<Database>;
  /** This dispatcher's lease name (host:pid:random). */
  owner: string;
  channels: Partial<Record<NoticeChannel, ChannelAdapter>>;
  keyring: PiiKeyring;
  render: (db: Kysely<Database>, r: RenderRequest) => Promise<RenderedNotice>;
  /** Stores the rendered bytes of `notice` in the evidence store (readable by those who see its loan), returns the 0x SHA-256. */
  storeEvidence: (bytes: Uint8Array, notice: NoticesTable) => Promise<string>;
  /** Reads stored bytes back by 0x hash. */
  readEvidence: (hash: string) => Promise<Uint8Array>;
  /** The lender's frequency caps and webhook URL (its plan in force). */
  capsFor: (db: Kysely<Database>, lender: string) => Promise<NoticeCaps>;
  webhookUrlFor: (db: Kysely<Database>, lender: string) => Promise<string | undefined>;
  /** The address that records notices on chain (its own actions are counted through the outbox). */
  notifier?: Address;
  /** Chain time now. */
  chainNow: () => Promise<bigint>;
  nowMs: () => number;
  leaseMs: number;
  maxAttempts: number;
  /** Seconds to wait before try `attempt` + 1 (attempt counts from 1). */
  backoffSec: (attempt: number) => number;
  batch?: number;
  concurrency?: number;
  /** Called after each notice's fate is written (metrics, logs). No personal data in it. */
  onOutcome?: (n: NoticesTable, outcome: DispatchOutcome) => void;
}

export type DispatchOutcome = "sent" | "delivered" | "deferred" | "retry" | "failed" | "fallback" | "cancelled" | "lost-lease";

export interface DispatchPassResult {
  claimed: number;
  outcomes: Partial<Record<DispatchOutcome, number>>;
}

/** Takes up to `limit` due rows (pending or deferred, due by `t`, lease free or expired) for `owner`. */
export async function claimDue(db: Kysely<Database>, owner: string, t: bigint, nowMs: number, leaseMs: number, limit: number): Promise<NoticesTable[]> {
  let due = db
    .selectFrom("notices")
    .select("id")
    .where("status", "in", ["pending", "deferred"])
    .where("due_at", "<=", Number(t))
    .where((eb) => eb.or([eb("lease_until_ms", "is", null), eb("lease_until_ms", "<", nowMs)]))
    .orderBy("due_at")
    .limit(limit);
  if (dialectOf(db) === "postgres") due = due.forUpdate().skipLocked();
  return (await db
    .updateTable("notices")
    .set({ lease_owner: owner, lease_until_ms: nowMs + leaseMs })
    .where("id", "in", due)
    .returningAll()
    .execute()) as NoticesTable[];
}

/** A write to a claimed row, fenced by the lease. Returns false when the lease was lost. */
async function settle(d: DispatcherDeps, n: NoticesTable, set: Partial<NoticesTable>): Promise<boolean> {
  const r = await d.db
    .updateTable("notices")
    .set({ ...set, lease_owner: null, lease_until_ms: null })
    .where("id", "=", n.id)
    .where("lease_owner", "=", d.owner)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The notice on channel `next` that takes over from `n`, due at `dueAt`. */
function fallbackRow(n: NoticesTable, next: NoticeChannel, rest: NoticeChannel[], dueAt: number): NoticesTable {
  return {
    ...n,
    id: noticeId(n.trigger_id, next),
    channel: next,
    fallback: JSON.stringify(rest),
    step: n.step + 1,
    fallback_of: n.id,
    status: "pending",
    reason: null,
    due_at: dueAt,
    attempts: 0,
    lease_owner: null,
    lease_until_ms: null,
    evidence_hash: null,
    content_type: null,
    template_version: null,
    language: null,
    provider_id: null,
    sent_at: null,
    delivered_at: null,
    outcome: null,
    record_state: null,
    record_tx: null,
    action_seq: null,
    sent_ms: null,
  };
}

/** Creates the notice on the next channel of `n`'s fallback list (if any) and cancels `n` with `reason`. */
async function fallBack(d: DispatcherDeps, n: NoticesTable, reason: string): Promise<DispatchOutcome> {
  const [next, ...rest] = JSON.parse(n.fallback) as NoticeChannel[];
  if (next === undefined) return (await settle(d, n, { status: "cancelled", reason })) ? "cancelled" : "lost-lease";
  const row = fallbackRow(n, next, rest, n.due_at);
  return d.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable("notices")
      .set({ status: "cancelled", reason: `${reason}; fell back to ${next}`, lease_owner: null, lease_until_ms: null })
      .where("id", "=", n.id)
      .where("lease_owner", "=", d.owner)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return "lost-lease";
    await trx.insertInto("notices").values(row).onConflict((oc) => oc.column("id").doNothing()).execute();
    return "fallback";
  });
}

/** Chain times of the loan's SMS and email contacts in the caps' reach: collectors' actions and sent notices. */
async function recentMessages(d: DispatcherDeps, loanId: number, t: bigint): Promise<bigint[]> {
  const since = Number(t - 8n * DAY);
  let actions = d.db.selectFrom("actions").select(["occurred_at", "kind"]).where("loan_id", "=", loanId).where("channel", "in", [...CAPPED_CHANNELS]).where("occurred_at", ">=", since);
  if (d.notifier) actions = actions.where("collector", "!=", d.notifier);
  const [a, n] = await Promise.all([
    actions.execute(),
    d.db.selectFrom("notices").select("sent_at").where("loan_id", "=", loanId).where("channel", "in", ["sms", "email"]).where("status", "in", ["sent", "delivered"]).where("sent_at", ">=", since).execute(),
  ]);
  return [...a.filter((x) => isContact(x.kind)).map((x) => BigInt(x.occurred_at)), ...n.map((x) => BigInt(x.sent_at!))];
}

const CONSENT: Record<NoticeChannel, (c: StoredContact) => boolean> = {
  sms: (c) => c.consent.sms && c.phone !== undefined,
  email: (c) => c.consent.email && c.email !== undefined,
  letter: (c) => c.consent.letter && c.postalAddress !== undefined,
  webhook: () => true,
};

/** The rendered notice stored for `n` (a retry sends exactly these bytes). */
async function storedRendering(d: DispatcherDeps, n: NoticesTable): Promise<RenderedNotice> {
  const bytes = await d.readEvidence(n.evidence_hash!);
  const base = { template: n.template, templateVersion: n.template_version ?? 0, language: n.language ?? "", contentType: n.content_type ?? "application/octet-stream", bytes };
  const text = new TextDecoder().decode(bytes);
  if (n.channel === "email") {
    const m = /^Subject: ([^\n]*)\n\n([\s\S]*)$/.exec(text);
    return { ...base, subject: m?.[1] ?? "", text: m?.[2] ?? text };
  }
  return n.channel === "sms" ? { ...base, text } : base;
}

/** Considers one claimed notice at chain time `t`: rules, rendering, sending; writes its fate. */
export async function dispatchOne(d: DispatcherDeps, n: NoticesTable, t: bigint): Promise<DispatchOutcome> {
  const loan = (await d.db.selectFrom("loans").selectAll().where("loan_id", "=", n.loan_id).executeTakeFirst()) as LoansTable | undefined;
  if (!loan) return (await settle(d, n, { status: "cancelled", reason: "loan not indexed" })) ? "cancelled" : "lost-lease";
  const contact = n.channel === "webhook" ? undefined : await getContact(d.db, d.keyring, loan.lender as Address, loan.borrower_ref);
  let webhookUrl: string | undefined;
  const dpd = loan.cursor_due === null ? 0n : daysLate(BigInt(loan.cursor_due), t);
  const channelNo = actionChannel(n.channel, n.template);

  if (n.channel === "webhook") {
    webhookUrl = await d.webhookUrlFor(d.db, loan.lender);
    if (!webhookUrl) return fallBack(d, n, "no-webhook-url");
  } else {
    if (!contact) return fallBack(d, n, "no-contact");
    const [states, policies, caps, recent] = await Promise.all([
      complianceStates(d.db, [loan], Number(t)),
      contactPolicies(d.db, [loan.lender]),
      d.capsFor(d.db, loan.lender),
      recentMessages(d, loan.loan_id, t),
    ]);
    const decision = noticeDecision({
      state: states.get(loan.loan_id)!,
      policy: policies.get(loan.lender)!,
      t,
      oldestUnpaidDueDate: loan.cursor_due === null ? null : BigInt(loan.cursor_due),
      channel: channelNo!,
      kind: actionKind(n.kind, dpd),
      consent: CONSENT[n.channel](contact),
      disputeRelated: false,
      caps,
      recentMessages: recent,
    });
    if (decision.action === "fallback") return fallBack(d, n, decision.reason);
    if (decision.action === "defer" || decision.action === "suspend") {
      const until = decision.action === "defer" ? decision.until : t + BigInt(SUSPEND_RECHECK_SEC);
      return (await settle(d, n, { status: "deferred", reason: decision.reason, due_at: Number(until) })) ? "deferred" : "lost-lease";
    }
  }

  let rendered: RenderedNotice;
  if (n.evidence_hash === null) {
    rendered = await d.render(d.db, { notice: n, loan, contact, at: t });
    const hash = await d.storeEvidence(rendered.bytes, n);
    const r = await d.db
      .updateTable("notices")
      .set({ evidence_hash: hash, content_type: rendered.contentType, template_version: rendered.templateVersion, language: rendered.language })
      .where("id", "=", n.id)
      .where("lease_owner", "=", d.owner)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return "lost-lease";
  } else {
    rendered = await storedRendering(d, n);
  }

  const adapter = d.channels[n.channel];
  const attempts = n.attempts + 1;
  try {
    if (!adapter) throw new ChannelSendError(n.channel, "no such channel is configured for this dispatcher");
    const sent = await adapter.send({ id: n.id, channel: n.channel, loanId: BigInt(n.loan_id), lender: n.lender, borrowerRef: n.borrower_ref, rendered, to: contact ?? {}, webhookUrl });
    const recordable = channelNo !== null;
    const ok = await settle(d, n, {
      status: sent.delivered ? "delivered" : "sent",
      reason: null,
      attempts,
      provider_id: sent.providerId ?? null,
      sent_at: Number(t),
      delivered_at: sent.delivered ? Number(t) : null,
      sent_ms: d.nowMs(),
      outcome: sent.delivered && recordable ? NoticeOutcome.Delivered : null,
      record_state: !recordable ? "none" : sent.delivered ? "due" : null,
    });
    if (ok && !sent.delivered) await applyEarlyReceipt(d.db, n.id);
    return ok ? (sent.delivered ? "delivered" : "sent") : "lost-lease";
  } catch (err) {
    const retryable = (err as { retryable?: unknown }).retryable === true;
    const reason = errorSummary(err).slice(0, 500);
    if (retryable && attempts < d.maxAttempts) {
      const ok = await settle(d, n, { status: "pending", reason: `retrying: ${reason}`, attempts, due_at: Number(t) + d.backoffSec(attempts) });
      return ok ? "retry" : "lost-lease";
    }
    const recordable = channelNo !== null;
    const ok = await settle(d, n, {
      status: "failed",
      reason: n.channel === "webhook" ? `dead letter after ${attempts} tries: ${reason}` : reason,
      attempts,
      sent_at: Number(t),
      outcome: recordable ? NoticeOutcome.Failed : null,
      record_state: recordable ? "due" : "none",
    });
    if (!ok) return "lost-lease";
    if (JSON.parse(n.fallback).length > 0) {
      // The failed notice stays failed (and is recorded); the next channel gets its own notice.
      const [next, ...rest] = JSON.parse(n.fallback) as NoticeChannel[];
      await d.db.insertInto("notices").values(fallbackRow(n, next, rest, Number(t))).onConflict((oc) => oc.column("id").doNothing()).execute();
    }
    return "failed";
  }
}

/**
 * A notice whose handling threw (its loan or contact unreadable, its stored rendering gone, the
 * database briefly away): it goes back with a try counted and the reason, and fails once it has
 * had its tries — one bad notice never stops the others.
 */
async function giveBack(d: DispatcherDeps, n: NoticesTable, t: bigint, err: unknown): Promise<DispatchOutcome> {
  const attempts = n.attempts + 1;
  const reason = errorSummary(err).slice(0, 500);
  try {
    if (attempts < d.maxAttempts) return (await settle(d, n, { status: "pending", reason: `retrying: ${reason}`, attempts, due_at: Number(t) + d.backoffSec(attempts) })) ? "retry" : "lost-lease";
    return (await settle(d, n, { status: "failed", reason, attempts })) ? "failed" : "lost-lease";
  } catch {
    return "lost-lease"; // the lease lapses and another pass takes the notice
  }
}

/** One pass: claims due rows and works them, `concurrency` at a time. */
export async function dispatchPass(d: DispatcherDeps): Promise<DispatchPassResult> {
  const t = await d.chainNow();
  const claimed = await claimDue(d.db, d.owner, t, d.nowMs(), d.leaseMs, d.batch ?? 200);
  const outcomes: DispatchPassResult["outcomes"] = {};
  let next = 0;
  const worker = async () => {
    while (next < claimed.length) {
      const n = claimed[next++];
      const o = await dispatchOne(d, n, t).catch((err: unknown) => giveBack(d, n, t, err));
      outcomes[o] = (outcomes[o] ?? 0) + 1;
      d.onOutcome?.(n, o);
    }
  };
  await Promise.all(Array.from({ length: Math.min(d.concurrency ?? 16, claimed.length) }, worker));
  return { claimed: claimed.length, outcomes };
}
