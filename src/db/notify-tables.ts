/**
 * The tables of the notices subsystem (migration 0008; src/notify writes them, the API reads
 * them): the outbox, the lenders' notice plans and the planner's cursor. Part of {@link Database}
 * (src/db/schema.ts); a rollback never touches them (the planner reconciles, see src/notify).
 */
import type { Int, Json } from "./columns";

/** Where a notice goes. `webhook` is the lender's own system, not the borrower. */
export type NoticeChannel = "sms" | "email" | "letter" | "webhook";

/**
 * A notice's state. pending: due at `due_at`; deferred: the contact rules said not now (`reason`,
 * next try at `due_at`); sent: accepted by the provider; delivered: the provider confirmed it
 * (SMS receipt) or acceptance is delivery (SMTP, a letter stored for posting, a webhook's 2xx);
 * failed: given up (`reason`; a webhook in its dead-letter state); cancelled: never sent (its
 * trigger was removed by a reorg, or a rule rules it out for good); orphaned: sent, and its
 * trigger was later removed by a reorg (kept: it was sent).
 */
export type NoticeStatus = "pending" | "deferred" | "sent" | "delivered" | "failed" | "cancelled" | "orphaned";

/** Whether the notice's on-chain action is still to be recorded, in flight, or done. */
export type NoticeRecordState = "due" | "submitted" | "recorded" | "none";

export interface NoticesTable {
  /** Derived from (trigger_id, channel): the provider's idempotency key (src/notify/ids.ts). */
  id: string;
  trigger_id: string;
  /** ReminderTriggered, PenaltyAssessed, ClassificationChanged, LoanDefaulted, RestructureProposed, PromiseRecorded, PaymentHolidayGranted, SettlementOffered, LoanSettled, ArrearsPlanCreated, ArrearsPlanBroken, PromiseBroken, Request. */
  trigger: string;
  channel: NoticeChannel;
  loan_id: Int;
  lender: string;
  borrower_ref: string;
  /** The trigger event's position (null for a request or a derived trigger). */
  trigger_block: Int | null;
  trigger_log_index: Int | null;
  trigger_tx: string | null;
  /** Chain time of the trigger (its block, or the request). */
  trigger_at: Int;
  plan_version: Int | null;
  /** Position in the plan's fallback order (0 first). */
  step: Int;
  /** The notice this one falls back from, if any. */
  fallback_of: string | null;
  template: string;
  template_version: Int | null;
  language: string | null;
  /** reminder | notice (a formal notice, a demand letter). */
  kind: string;
  /** The caller of POST /v1/loans/{id}/notices. */
  requested_by: string | null;
  status: NoticeStatus;
  /** Why deferred, failed or cancelled. Never personal data. */
  reason: string | null;
  /** Chain time from which the dispatcher may take it (first try, next allowed time, retry backoff). */
  due_at: Int;
  attempts: Int;
  lease_owner: string | null;
  lease_until_ms: Int | null;
  /** 0x SHA-256 of the exact rendered bytes (kept in the evidence store). */
  evidence_hash: string | null;
  content_type: string | null;
  /** The provider's message id. */
  provider_id: string | null;
  sent_at: Int | null;
  delivered_at: Int | null;
  /** The outcome code recorded on chain (src/notify/outcomes.ts). */
  outcome: Int | null;
  /** JSON array of the channels still to try, in order, if this one cannot be used. */
  fallback: Json;
  /** A delivery receipt that came before the send was written (the provider answers fast): applied right after. */
  early_receipt?: Json | null;
  record_state: NoticeRecordState | null;
  record_tx: string | null;
  /** The action's sequence number in the loan's trail, once indexed. */
  action_seq: Int | null;
  created_ms: Int;
  sent_ms: Int | null;
}

/** A lender's notice plan, one row per version (the newest is in force). */
export interface NoticePlansTable {
  lender: string;
  version: Int;
  /** The plan's JSON (src/notify/plan.ts validates it). */
  plan: Json;
  /** 0x SHA-256 of `plan`. */
  plan_hash: string;
  created_by: string;
  /** Server clock, seconds. */
  created_at: Int;
}

/** A transaction recording notices as CollectionLog actions (`record_tx` of its notices). */
export interface NoticeRecordsTable {
  tx_hash: string;
  /** The signed transaction, sent again after a crash or if the node drops it. */
  raw_tx: string;
  nonce: Int;
  /** Actions it records. */
  count: Int;
  state: "submitted" | "included" | "reverted";
  block_number: Int | null;
  created_ms: Int;
}

/**
 * The planner's position in loan_events (one row, id 1): the last event planned, or a whole block
 * (log_index {@link WHOLE_BLOCK}); `block_hash` tells a reorg below it.
 */
export interface NotifyCursorTable {
  id: Int;
  block_number: Int;
  log_index: Int;
  block_hash: string;
}

/** A cursor log index past every log of its block. */
export const WHOLE_BLOCK = 2 ** 31 - 1;
