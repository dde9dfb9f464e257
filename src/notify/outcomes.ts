/**
 * How a notice is written into the loan's CollectionLog trail: its channel, kind and outcome code.
 * ICollectionLog leaves `outcome` to the lender's own taxonomy; Duetrail's notices use the codes
 * below (9001-9003), out of the way of a lender's small numbers, so an outside verifier reading
 * only the chain can tell an automated notice and its fate.
 */
import { Channel, Kind } from "../domain";
import type { NoticeChannel } from "../db/notify-tables";

export const NoticeOutcome = {
  /** The provider accepted it as delivered (SMTP accepted, SMS receipt delivered, letter stored for posting). */
  Delivered: 9001,
  /** Sending failed for good (the reason is in the outbox). */
  Failed: 9002,
  /** Sent; no delivery receipt came within the receipt timeout (SMS). */
  SentUnconfirmed: 9003,
} as const;

/** The ICollectionLog channel of a notice: the lawyer's demand letter goes on LawyerLetter. Webhooks reach the lender, not the borrower: none. */
export function actionChannel(channel: NoticeChannel, template: string): number | null {
  switch (channel) {
    case "sms":
      return Channel.Sms;
    case "email":
      return Channel.Email;
    case "letter":
      return template === "demand.letter" ? Channel.LawyerLetter : Channel.Letter;
    case "webhook":
      return null;
  }
}

/**
 * The ICollectionLog kind of a notice: a formal notice is a LegalNotice; a reminder while something
 * is overdue is a ContactAttempt; a courtesy reminder before anything is overdue is a Note — it is
 * not a collection contact, and the chain would flag a contact while nothing is overdue (flag 32).
 */
export function actionKind(kind: string, dpd: bigint): number {
  if (kind === "notice") return Kind.LegalNotice;
  return dpd > 0n ? Kind.ContactAttempt : Kind.Note;
}
