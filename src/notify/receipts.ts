/**
 * SMS delivery receipts: the provider tells, at the signed callback (src/notify/channels/sms.ts
 * verifies it; the API routes it), whether a message reached the phone. A receipt settles the
 * notice (delivered or failed) and makes it due for recording on chain with that outcome; a notice
 * whose receipt never comes is recorded after the receipt timeout as sent, unconfirmed. Receipts
 * are idempotent: a second one for a settled notice changes nothing.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import type { Receipt as SmsReceipt } from "./channels/sms";
import { NoticeOutcome } from "./outcomes";

/** A verified receipt (src/notify/channels/sms.ts) that settles a notice: delivered or failed. */
export type Receipt = Pick<SmsReceipt, "providerId" | "noticeId" | "errorCode"> & { status: "delivered" | "failed" };

/** Applies `r` at chain time `at`. @returns whether a notice awaiting its receipt was found. */
export async function applyReceipt(db: Kysely<Database>, r: Receipt, at: bigint): Promise<boolean> {
  if (r.providerId === undefined && r.noticeId === undefined) return false;
  let q = db
    .updateTable("notices")
    .set({
      status: r.status,
      delivered_at: r.status === "delivered" ? Number(at) : null,
      reason: r.status === "failed" ? `provider reported failure${r.errorCode ? ` (${r.errorCode.slice(0, 60)})` : ""}` : null,
      outcome: r.status === "delivered" ? NoticeOutcome.Delivered : NoticeOutcome.Failed,
      record_state: "due",
    })
    .where("channel", "=", "sms")
    .where("status", "=", "sent")
    .where("record_state", "is", null);
  q = r.noticeId !== undefined ? q.where("id", "=", r.noticeId) : q.where("provider_id", "=", r.providerId!);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** SMS notices sent at or before `at - timeoutSec` without a receipt: due for recording as sent, unconfirmed. */
export async function expireReceipts(db: Kysely<Database>, at: bigint, timeoutSec: number): Promise<number> {
  const res = await db
    .updateTable("notices")
    .set({ outcome: NoticeOutcome.SentUnconfirmed, record_state: "due" })
    .where("channel", "=", "sms")
    .where("status", "=", "sent")
    .where("record_state", "is", null)
    .where("sent_at", "<=", Number(at) - timeoutSec)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}
