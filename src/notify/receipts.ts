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

/**
 * Applies `r` at chain time `at`. A receipt can overtake the dispatcher's own write of the send
 * (the provider posts it as soon as it answered): a receipt naming a notice still in flight is
 * kept on its row and applied by {@link applyEarlyReceipt} once the send is written.
 * @returns whether a notice awaiting its receipt was found (now or in flight).
 */
export async function applyReceipt(db: Kysely<Database>, r: Receipt, at: bigint): Promise<boolean> {
  if (await settleReceipt(db, r, at)) return true;
  if (r.noticeId === undefined) return false;
  const kept = await db
    .updateTable("notices")
    .set({ early_receipt: JSON.stringify({ ...r, at: at.toString() }) })
    .where("id", "=", r.noticeId)
    .where("channel", "=", "sms")
    .where("status", "=", "pending")
    .where("lease_owner", "is not", null)
    .executeTakeFirst();
  return Number(kept.numUpdatedRows) > 0;
}

/** Applies the receipt kept on notice `id` while it was in flight, if any (the dispatcher calls it after writing the send). */
export async function applyEarlyReceipt(db: Kysely<Database>, id: string): Promise<boolean> {
  const row = await db.selectFrom("notices").select("early_receipt").where("id", "=", id).executeTakeFirst();
  if (!row?.early_receipt) return false;
  const { at, ...r } = JSON.parse(row.early_receipt) as Receipt & { at: string };
  const done = await settleReceipt(db, { ...r, noticeId: id }, BigInt(at));
  await db.updateTable("notices").set({ early_receipt: null }).where("id", "=", id).execute();
  return done;
}

async function settleReceipt(db: Kysely<Database>, r: Receipt, at: bigint): Promise<boolean> {
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
