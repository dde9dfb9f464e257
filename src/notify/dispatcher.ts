/**
 * The dispatcher: claims due notices, applies the contact rules, renders, sends, and records the
 * outcome. One pass = one claim of up to `batch` rows; the run loop (src/notify/run.ts) repeats it.
 * A pass reads what its rules need once for all its notices (pass-facts.ts) and writes through a
 * group writer (src/db/group-writer.ts): a few queries and commits per pass, not a dozen per notice.
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
import { sql, type Kysely } from "kysely";
import type { Address } from "viem";
import { chunk } from "../db/chunk";
import { openContact, type StoredContact } from "../db/contacts";
import { dialectOf } from "../db/dialect";
import { groupWriter, type GroupWriter } from "../db/group-writer";
import type { NoticeChannel, NoticesTable } from "../db/notify-tables";
import type { Database, LoansTable } from "../db/schema";
import { CAPPED_CHANNELS, daysLate, jurisdictionPolicy, noticeDecision, type NoticeCaps } from "../domain";
import type { PiiKeyring } from "../pii/crypto";
import { errorSummary } from "../chain/rpc";
import { ChannelSendError } from "./errors";
import { actionChannel, actionKind, NoticeOutcome } from "./outcomes";
import { byId, fallbackRow, fateWriter, settle, settleAs, type Fate, type FateWriter } from "./fates";
import { capsOf, contactRowOf, readPassFacts, type PassFacts } from "./pass-facts";
import type { ChannelAdapter, RenderedNotice } from "./types";
import type { Treatment } from "../strategy/strategy-file";

/** Notices rendered and stored together before their sends start (the next part is prepared while they go). */
const PREPARE_PART = 50;

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
  /** Renders each request, in order (a few queries for all); one that cannot be rendered gets its error in its place. */
  render: (db: Kysely<Database>, requests: RenderRequest[]) => Promise<(RenderedNotice | Error)[]>;
  /** Stores rendered bytes in the evidence store, durably; returns their 0x SHA-256. */
  storeEvidence: (bytes: Uint8Array) => Promise<string>;
  /** Reads stored bytes back by 0x hash. */
  readEvidence: (hash: string) => Promise<Uint8Array>;
  /** The frequency caps for a loan of the lender under its strategy treatment (the plan in force), and the lender's webhook URL. */
  capsFor: (db: Kysely<Database>, lender: string, treatment?: Treatment) => Promise<NoticeCaps>;
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
    // As literals: the partial index notices_waiting_idx (migration 0009) has this predicate.
    .where(sql<boolean>`status in ('pending', 'deferred')`)
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

/** Creates the notice on the next channel of `n`'s fallback list (if any) and cancels `n` with `reason`, in one transaction. */
function fallBack({ d, w, f }: PassScope, n: NoticesTable, reason: string): Promise<DispatchOutcome> {
  const [next, ...rest] = JSON.parse(n.fallback) as NoticeChannel[];
  if (next === undefined) return settleAs(f, n, { status: "cancelled", reason }, "cancelled");
  const row = fallbackRow(n, next, rest, n.due_at);
  return w.run(async (trx) => {
    if (!(await settle(trx, d.owner, n, { status: "cancelled", reason: `${reason}; fell back to ${next}` }))) return "lost-lease";
    await trx.insertInto("notices").values(row).onConflict((oc) => oc.column("id").doNothing()).execute();
    return "fallback";
  });
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

/** What one notice of a pass works with: the dispatcher, the pass's facts and writer, chain time. */
interface PassScope {
  d: DispatcherDeps;
  facts: PassFacts;
  w: GroupWriter;
  f: FateWriter;
  t: bigint;
}

/** A notice the rules let go now, with what its send needs. */
interface Sendable {
  n: NoticesTable;
  loan: LoansTable;
  contact: StoredContact | undefined;
  webhookUrl: string | undefined;
  /** The CollectionLog channel it is recorded under (null: not recorded). */
  channelNo: number | null;
  rendered?: RenderedNotice;
}

/**
 * The contact rules for one claimed notice: its fate written now (the promise of its outcome), or
 * a notice to send. Decided without a pause (no await between reading the loan's recent contacts
 * and adding this send to them), so the notices of one pass are capped together.
 */
function decide(scope: PassScope, n: NoticesTable): Promise<DispatchOutcome> | Sendable {
  const { d, facts, f, t } = scope;
  const loan = facts.loans.get(n.loan_id);
  if (!loan) return settleAs(f, n, { status: "cancelled", reason: "loan not indexed" }, "cancelled");
  const channelNo = actionChannel(n.channel, n.template);
  if (n.channel === "webhook") {
    const webhookUrl = facts.webhookUrls.get(loan.lender);
    if (!webhookUrl) return fallBack(scope, n, "no-webhook-url");
    return { n, loan, contact: undefined, webhookUrl, channelNo };
  }
  const row = contactRowOf(facts, loan);
  const contact = row ? openContact(d.keyring, row) : undefined;
  if (!contact) return fallBack(scope, n, "no-contact");
  const recent = facts.recent.get(loan.loan_id)!;
  const dpd = loan.cursor_due === null ? 0n : daysLate(BigInt(loan.cursor_due), t);
  const decision = noticeDecision({
    state: facts.states.get(loan.loan_id)!,
    // The lender's policy tightened by the loan's jurisdiction's rules (its hours).
    policy: jurisdictionPolicy(facts.policies.get(loan.lender)!, facts.rules.get(loan.jurisdiction)).policy,
    t,
    oldestUnpaidDueDate: loan.cursor_due === null ? null : BigInt(loan.cursor_due),
    channel: channelNo!,
    kind: actionKind(n.kind, dpd),
    consent: CONSENT[n.channel](contact),
    disputeRelated: false,
    caps: capsOf(facts, loan),
    recentMessages: recent,
  });
  if (decision.action === "fallback") return fallBack(scope, n, decision.reason);
  if (decision.action === "defer" || decision.action === "suspend") {
    const until = decision.action === "defer" ? decision.until : t + BigInt(SUSPEND_RECHECK_SEC);
    return settleAs(f, n, { status: "deferred", reason: decision.reason, due_at: Number(until) }, "deferred");
  }
  // Counted for this pass's later notices of the loan, sent or not (a failed send only makes them wait).
  if (CAPPED_CHANNELS.includes(channelNo!)) recent.push(t);
  return { n, loan, contact, webhookUrl: undefined, channelNo };
}

/**
 * Renders and stores the notices sent for the first time (their bytes in the evidence store, then
 * every hash with its upload row in one transaction, each fenced by the lease) and reads back the
 * stored bytes of the others: every try sends the bytes whose hash is on the row. Returns the
 * notices ready to send; each of the others has its fate (a lost lease, or an error for giveBack)
 * passed to `fate`.
 */
async function renderAndStore({ d, t }: PassScope, items: Sendable[], fate: (s: Sendable, o: Promise<DispatchOutcome>) => void): Promise<Sendable[]> {
  const ready: Sendable[] = [];
  const fresh = items.filter((s) => s.n.evidence_hash === null);
  await Promise.all(
    items
      .filter((s) => s.n.evidence_hash !== null)
      .map(async (s) => {
        try {
          s.rendered = await storedRendering(d, s.n);
          ready.push(s);
        } catch (err) {
          fate(s, Promise.reject(err));
        }
      }),
  );
  if (fresh.length === 0) return ready;
  let rendered: (RenderedNotice | Error)[];
  try {
    rendered = await d.render(
      d.db,
      fresh.map((s) => ({ notice: s.n, loan: s.loan, contact: s.contact, at: t })),
    );
  } catch (err) {
    for (const s of fresh) fate(s, Promise.reject(err));
    return ready;
  }
  const stored: { s: Sendable; hash: string }[] = [];
  await Promise.all(
    fresh.map(async (s, i) => {
      const r = rendered[i]!;
      if (r instanceof Error) return fate(s, Promise.reject(r));
      try {
        stored.push({ s, hash: await d.storeEvidence(r.bytes) });
        s.rendered = r;
      } catch (err) {
        fate(s, Promise.reject(err));
      }
    }),
  );
  let kept: Set<string>;
  try {
    kept = await d.db.transaction().execute(async (trx) => {
      const ids = new Set<string>();
      for (const part of chunk(stored, 100)) {
        const rows = await trx
          .updateTable("notices")
          .set({
            evidence_hash: byId(part.map((x) => [x.s.n.id, x.hash]), "text"),
            content_type: byId(part.map((x) => [x.s.n.id, x.s.rendered!.contentType]), "text"),
            template_version: byId(part.map((x) => [x.s.n.id, x.s.rendered!.templateVersion]), "integer"),
            language: byId(part.map((x) => [x.s.n.id, x.s.rendered!.language]), "text"),
          })
          .where("id", "in", part.map((x) => x.s.n.id))
          .where("lease_owner", "=", d.owner)
          .returning("id")
          .execute();
        for (const r of rows) ids.add(r.id);
        const uploads = part.filter((x) => ids.has(x.s.n.id));
        // Readable through GET /v1/evidence by those who see the loan, once the trail cites it (as an upload for the loan).
        if (uploads.length > 0) {
          await trx
            .insertInto("evidence_uploads")
            .values(uploads.map((x) => ({ sha256: x.hash, loan_id: x.s.n.loan_id, uploader: d.notifier ?? "notifier", size: x.s.rendered!.bytes.length, uploaded_at: Math.floor(d.nowMs() / 1000) })))
            .onConflict((oc) => oc.doNothing())
            .execute();
        }
      }
      return ids;
    });
  } catch (err) {
    for (const x of stored) fate(x.s, Promise.reject(err));
    return ready;
  }
  for (const x of stored) {
    if (kept.has(x.s.n.id)) ready.push(x.s);
    else fate(x.s, Promise.resolve("lost-lease"));
  }
  return ready;
}

/** Sends one rendered notice and writes its fate. */
async function sendOne(scope: PassScope, { n, contact, webhookUrl, channelNo, rendered }: Sendable): Promise<DispatchOutcome> {
  const { d, f, t } = scope;
  const adapter = d.channels[n.channel];
  const attempts = n.attempts + 1;
  const recordable = channelNo !== null;
  let sent: Awaited<ReturnType<ChannelAdapter["send"]>>;
  try {
    if (!adapter) throw new ChannelSendError(n.channel, "no such channel is configured for this dispatcher");
    sent = await adapter.send({ id: n.id, channel: n.channel, loanId: BigInt(n.loan_id), lender: n.lender, borrowerRef: n.borrower_ref, rendered: rendered!, to: contact ?? {}, webhookUrl });
  } catch (err) {
    return failed(scope, n, err, attempts, recordable);
  }
  const fate: Fate = {
    status: sent.delivered ? "delivered" : "sent",
    reason: null,
    attempts,
    provider_id: sent.providerId ?? null,
    sent_at: Number(t),
    delivered_at: sent.delivered ? Number(t) : null,
    sent_ms: d.nowMs(),
    outcome: sent.delivered && recordable ? NoticeOutcome.Delivered : null,
    record_state: !recordable ? "none" : sent.delivered ? "due" : null,
  };
  if (!(await f.settle(n, fate, !sent.delivered))) return "lost-lease";
  return sent.delivered ? "delivered" : "sent";
}

/** A send that threw: retried with backoff when it may pass later, else failed (and recorded), its fallback created. */
function failed({ d, w, f, t }: PassScope, n: NoticesTable, err: unknown, attempts: number, recordable: boolean): Promise<DispatchOutcome> {
  const retryable = (err as { retryable?: unknown }).retryable === true;
  const reason = errorSummary(err).slice(0, 500);
  if (retryable && attempts < d.maxAttempts) return settleAs(f, n, { status: "pending", reason: `retrying: ${reason}`, attempts, due_at: Number(t) + d.backoffSec(attempts) }, "retry");
  const set: Partial<NoticesTable> = {
    status: "failed",
    reason: n.channel === "webhook" ? `dead letter after ${attempts} tries: ${reason}` : reason,
    attempts,
    sent_at: Number(t),
    outcome: recordable ? NoticeOutcome.Failed : null,
    record_state: recordable ? "due" : "none",
  };
  const [next, ...rest] = JSON.parse(n.fallback) as NoticeChannel[];
  return w.run(async (trx) => {
    if (!(await settle(trx, d.owner, n, set))) return "lost-lease";
    // The failed notice stays failed (and is recorded); the next channel gets its own notice.
    if (next !== undefined) await trx.insertInto("notices").values(fallbackRow(n, next, rest, Number(t))).onConflict((oc) => oc.column("id").doNothing()).execute();
    return "failed";
  });
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
    if (attempts < d.maxAttempts) return (await settle(d.db, d.owner, n, { status: "pending", reason: `retrying: ${reason}`, attempts, due_at: Number(t) + d.backoffSec(attempts) })) ? "retry" : "lost-lease";
    return (await settle(d.db, d.owner, n, { status: "failed", reason, attempts })) ? "failed" : "lost-lease";
  } catch {
    return "lost-lease"; // the lease lapses and another pass takes the notice
  }
}

/**
 * One pass: claims due rows and reads their facts; decides each by the contact rules; renders and
 * stores the ones to send, in parts of PREPARE_PART (in bulk); sends each part, `concurrency` at a
 * time, while the next is prepared; each fate is written as its send ends (written together).
 */
export async function dispatchPass(d: DispatcherDeps): Promise<DispatchPassResult> {
  const t = await d.chainNow();
  const claimed = await claimDue(d.db, d.owner, t, d.nowMs(), d.leaseMs, d.batch ?? 200);
  const outcomes: DispatchPassResult["outcomes"] = {};
  const done = (n: NoticesTable, o: DispatchOutcome) => {
    outcomes[o] = (outcomes[o] ?? 0) + 1;
    d.onOutcome?.(n, o);
  };
  if (claimed.length === 0) return { claimed: 0, outcomes };
  let facts: PassFacts;
  try {
    facts = await readPassFacts(d, claimed, t);
  } catch (err) {
    for (const n of claimed) done(n, await giveBack(d, n, t, err));
    return { claimed: claimed.length, outcomes };
  }
  const w = groupWriter(d.db);
  const scope: PassScope = { d, facts, w, f: fateWriter(w, d.owner), t };
  const fates: Promise<void>[] = [];
  const fate = (n: NoticesTable, o: Promise<DispatchOutcome>) => fates.push(o.catch((err: unknown) => giveBack(d, n, t, err)).then((x) => done(n, x)));

  const toSend: Sendable[] = [];
  for (const n of claimed) {
    try {
      const step = decide(scope, n);
      if (step instanceof Promise) fate(n, step);
      else toSend.push(step);
    } catch (err) {
      fate(n, Promise.reject(err));
    }
  }
  // Prepared in parts, each sent while the next is rendered and stored (the sends need not wait for the whole pass).
  const ready: Sendable[] = [];
  const waiting: (() => void)[] = [];
  const wake = () => waiting.splice(0).forEach((r) => r());
  let preparing = true;
  const prepare = (async () => {
    try {
      for (const part of chunk(toSend, PREPARE_PART)) {
        ready.push(...(await renderAndStore(scope, part, (s, o) => fate(s.n, o))));
        wake();
      }
    } finally {
      preparing = false;
      wake();
    }
  })();
  const worker = async () => {
    for (;;) {
      const s = ready.shift();
      if (s) {
        done(s.n, await sendOne(scope, s).catch((err: unknown) => giveBack(d, s.n, t, err)));
        continue;
      }
      if (!preparing) return;
      await new Promise<void>((r) => waiting.push(r));
    }
  };
  await Promise.all([prepare, ...Array.from({ length: Math.min(d.concurrency ?? 16, toSend.length) }, worker)]);
  await Promise.all(fates); // complete now: preparing added the last of them
  return { claimed: claimed.length, outcomes };
}
