/**
 * The shapes the parts of src/notify agree on: what a template renders, what a channel adapter is
 * given and returns. One file per channel implements {@link ChannelAdapter}
 * (src/notify/channels/<channel>.ts); the dispatcher (src/notify/dispatcher.ts) knows only this
 * interface.
 */
import type { NoticeChannel } from "../db/notify-tables";
import type { ContactPoints } from "../pii/contact";

export type { NoticeChannel };

/** reminder: before or just after a due date; notice: a formal notice (default, demand letter). */
export type NoticeKind = "reminder" | "notice";

/**
 * A rendered notice: the exact bytes whose SHA-256 goes on chain as the action's evidenceHash and
 * into the evidence store. What the bytes are per channel:
 *  - sms: the UTF-8 text sent;
 *  - email: the UTF-8 text `Subject: <subject>\n\n<body>` — the subject and the text body sent;
 *  - letter: the PDF of the letter (without the address sheet, which is personal data and is made
 *    only for printing);
 *  - webhook: the JSON payload posted.
 * Never contains contact points (email address, phone, postal address).
 */
export interface RenderedNotice {
  template: string;
  templateVersion: number;
  language: string;
  contentType: string;
  bytes: Uint8Array;
  /** email: the subject; letter: the title. */
  subject?: string;
  /** email and sms: the text (the bytes' text without the subject line). */
  text?: string;
}

/** One message for a channel adapter to hand to its provider. */
export interface OutgoingMessage {
  /** The notice id: the provider's idempotency key (Message-ID, SMS client reference, webhook-id). */
  id: string;
  channel: NoticeChannel;
  loanId: bigint;
  lender: string;
  borrowerRef: string;
  rendered: RenderedNotice;
  /** The borrower's contact points, opened for this send only (never logged, never stored here). */
  to: ContactPoints;
  /** The lender's webhook endpoint (webhook channel only). */
  webhookUrl?: string;
}

/** What the provider said. */
export interface SendResult {
  /** The provider's own message id, if it returns one. */
  providerId?: string;
  /** true when acceptance is delivery (SMTP accepted, letter stored, webhook 2xx); false when a receipt will follow (SMS). */
  delivered: boolean;
}

/**
 * A channel: sends one message or throws a NotifyError (src/notify/errors.ts) whose `retryable`
 * says whether a later try may succeed (a refused connection, a 5xx, a 429) or not (an address the
 * provider rejects, a 4xx other than 408/429).
 */
export interface ChannelAdapter {
  readonly channel: NoticeChannel;
  send(message: OutgoingMessage): Promise<SendResult>;
  close?(): Promise<void>;
}
