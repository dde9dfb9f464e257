/**
 * The SMS channel: an adapter for one provider shape, a "Messages REST API with basic auth"
 * modelled on Twilio's Programmable Messaging (src/notify/standins/sms.ts implements the same
 * shape for the demo and the tests).
 *
 * Sending:
 *
 *     POST {SMS_API_URL}/Messages
 *     Authorization: Basic base64(SMS_API_USER ":" SMS_API_TOKEN)
 *     Content-Type: application/x-www-form-urlencoded
 *     Idempotency-Key: <notice id>
 *
 *     To=<E.164>&From=<SMS_FROM>&Body=<text>&ClientReference=<notice id>&StatusCallback=<SMS_STATUS_CALLBACK_URL>
 *
 *     201 Created  {"sid":"SM…","status":"queued","client_reference":"ntc_…"}
 *     200 OK       the same, when ClientReference was seen before (the provider does not send it again)
 *     4xx / 5xx    {"code":<provider error code>,"message":"<text>"}
 *
 * The client reference is the notice id, the same on every try: a retry after a timeout (the
 * provider may have taken the first request) does not send a second SMS. 429, 5xx, a timeout or
 * an unreachable provider are retryable; any other 4xx is not (the number or the message refused).
 * Acceptance is not delivery: `delivered` is false and a receipt follows.
 *
 * Delivery receipts (the provider's status callback), POSTed to StatusCallback:
 *
 *     Content-Type: application/x-www-form-urlencoded   (application/json is accepted too)
 *     X-Duetrail-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(SMS_RECEIPT_SECRET, "<t>." + raw body)>
 *
 *     MessageSid=SM…&ClientReference=ntc_…&MessageStatus=delivered|undelivered|failed|queued|sending|sent&ErrorCode=30003
 *
 * The signature covers the timestamp and the exact body bytes (verify before parsing); a receipt
 * whose timestamp is further than the tolerance from the server clock is refused, so a captured
 * receipt cannot be replayed later. Several `v1=` values may be given (a key rotation at the
 * provider); one must match. This is a scheme of our own in the style of Stripe's and Standard
 * Webhooks' (Twilio itself signs with HMAC-SHA1 over the URL and sorted fields, keyed with the
 * account token); an adapter for another provider replaces {@link verifyReceipt} with its scheme.
 */
import crypto from "node:crypto";
import { ConfigError, type Config } from "../../config";
import { ChannelSendError, ReceiptError } from "../errors";
import type { ChannelAdapter, OutgoingMessage, SendResult } from "../types";
import { redactContact } from "./redact";

/** The settings the SMS channel reads (`loadSettings(SMS_SETTINGS)`). */
export const SMS_SETTINGS = ["smsApiUrl", "smsApiUser", "smsApiToken", "smsFrom", "smsStatusCallbackUrl", "channelTimeoutMs"] as const satisfies readonly (keyof Config)[];

export type SmsChannelSettings = Pick<Config, (typeof SMS_SETTINGS)[number]>;

/** The header carrying a receipt's signature (lower case, as Node gives headers). */
export const RECEIPT_SIGNATURE_HEADER = "x-duetrail-signature";

/** The HTTP statuses after which a later try may pass: too many requests and the provider's own failures. */
const retryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/** The provider's error body (`{"code","message"}`), or its first characters when it is not JSON. */
function providerReason(status: number, statusText: string, body: string, message: OutgoingMessage): string {
  let detail = body.slice(0, 200);
  try {
    const j = JSON.parse(body) as { code?: unknown; message?: unknown };
    if (j && typeof j === "object") detail = [j.code !== undefined ? `code ${String(j.code)}` : "", typeof j.message === "string" ? j.message : ""].filter(Boolean).join(": ");
  } catch {
    // not JSON: keep the text
  }
  return `HTTP ${status}${statusText ? ` ${statusText}` : ""}${detail ? ` (${redactContact(detail, message.to)})` : ""}`;
}

/** Why a request did not get an answer: a timeout or the network error's code. */
function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `no answer within ${timeoutMs} ms`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

/**
 * The SMS channel over `settings` (SMS_API_URL, SMS_API_USER, SMS_API_TOKEN and SMS_FROM must be
 * set; SMS_STATUS_CALLBACK_URL for receipts). `fetchImpl`: for tests; Node's fetch by default.
 */
export function createSmsChannel(settings: SmsChannelSettings, fetchImpl: typeof fetch = fetch): ChannelAdapter {
  if (!settings.smsApiUrl) throw new ConfigError("--sms-api-url (SMS_API_URL) is not set: the SMS channel has no provider");
  if (!settings.smsApiUser || !settings.smsApiToken) throw new ConfigError("--sms-api-user (SMS_API_USER) and SMS_API_TOKEN must both be set for the SMS provider");
  if (!settings.smsFrom) throw new ConfigError("--sms-from (SMS_FROM) is not set: the SMS provider needs a sender");
  const endpoint = `${settings.smsApiUrl.replace(/\/+$/, "")}/Messages`;
  const origin = new URL(endpoint).origin;
  const authorization = `Basic ${Buffer.from(`${settings.smsApiUser}:${settings.smsApiToken}`).toString("base64")}`;
  const from = settings.smsFrom;
  const timeoutMs = settings.channelTimeoutMs;

  return {
    channel: "sms",
    async send(message: OutgoingMessage): Promise<SendResult> {
      const to = message.to.phone;
      if (!to) throw new ChannelSendError("sms", `notice ${message.id}: the borrower has no phone number`);
      const body = message.rendered.text ?? Buffer.from(message.rendered.bytes).toString("utf8");
      const form = new URLSearchParams({ To: to, From: from, Body: body, ClientReference: message.id });
      if (settings.smsStatusCallbackUrl) form.set("StatusCallback", settings.smsStatusCallbackUrl);
      let res: Response;
      let text: string;
      try {
        res = await fetchImpl(endpoint, {
          method: "POST",
          headers: { authorization, "content-type": "application/x-www-form-urlencoded", accept: "application/json", "idempotency-key": message.id },
          body: form.toString(),
          redirect: "manual",
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await res.text();
      } catch (err) {
        // The provider may have taken a request whose answer was lost: retrying is safe, the client reference de-duplicates.
        throw new ChannelSendError("sms", `notice ${message.id}: cannot reach the SMS provider at ${origin}: ${redactContact(networkReason(err, timeoutMs), message.to)}`, {
          retryable: true,
        });
      }
      if (res.status === 200 || res.status === 201) {
        let sid: unknown;
        try {
          sid = (JSON.parse(text) as { sid?: unknown }).sid;
        } catch {
          // handled below
        }
        if (typeof sid !== "string" || sid === "") throw new ChannelSendError("sms", `notice ${message.id}: the SMS provider answered ${res.status} without a message sid`, { retryable: true });
        return { providerId: sid, delivered: false };
      }
      const retryable = retryableStatus(res.status);
      throw new ChannelSendError("sms", `notice ${message.id}: the SMS provider ${retryable ? "failed" : "refused the message"}: ${providerReason(res.status, res.statusText, text, message)}`, {
        retryable,
      });
    },
  };
}

/** What a delivery receipt says. */
export interface Receipt {
  /** The provider's message sid (SendResult.providerId). */
  providerId?: string;
  /** The notice id (our client reference), when the provider echoes it. */
  noticeId?: string;
  /** delivered or failed: final; sent: the provider's progress report (queued, sending, sent), nothing to record yet. */
  status: "delivered" | "failed" | "sent";
  /** The provider's own status word. */
  providerStatus: string;
  /** The provider's error code of a failed delivery. */
  errorCode?: string;
}

/** The provider's status words and what they mean for a notice. */
const STATUSES: Record<string, Receipt["status"]> = {
  delivered: "delivered",
  read: "delivered",
  undelivered: "failed",
  failed: "failed",
  canceled: "failed",
  accepted: "sent",
  scheduled: "sent",
  queued: "sent",
  sending: "sent",
  sent: "sent",
};

const hmacHex = (secret: string, t: number, body: Uint8Array) =>
  crypto
    .createHmac("sha256", secret)
    .update(`${t}.`)
    .update(body)
    .digest("hex");

const asBytes = (b: Uint8Array | string) => (typeof b === "string" ? Buffer.from(b, "utf8") : b);

/** The X-Duetrail-Signature value for `rawBody` signed at `timestampSec` (the provider's side: the stand-in, tests). */
export function signReceipt(rawBody: Uint8Array | string, secret: string, timestampSec: number): string {
  return `t=${timestampSec},v1=${hmacHex(secret, timestampSec, asBytes(rawBody))}`;
}

/** A header's value from Node's headers or a plain record, whatever the case of its name. */
function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  return undefined;
}

/**
 * Checks a delivery receipt's signature and freshness, then parses it. `rawBody`: the exact bytes
 * received (before any body parser); `nowSec`: the server clock in seconds (the provider signs with
 * wall-clock time, not chain time); `toleranceSec`: SMS_RECEIPT_TOLERANCE_SEC. Throws a
 * {@link ReceiptError} naming what is wrong: no or malformed signature, no matching signature, a
 * timestamp out of tolerance, a body without a message sid and client reference, an unknown status.
 */
export function verifyReceipt(rawBody: Uint8Array | string, headers: Record<string, string | string[] | undefined>, secret: string, nowSec: number, toleranceSec = 300): Receipt {
  const body = asBytes(rawBody);
  const sig = header(headers, RECEIPT_SIGNATURE_HEADER);
  if (!sig) throw new ReceiptError(`receipt: no ${RECEIPT_SIGNATURE_HEADER} header`);
  const parts = sig.split(",").map((p) => p.trim().split("="));
  const t = parts.find(([k]) => k === "t")?.[1];
  const v1 = parts.filter(([k, v]) => k === "v1" && v !== undefined && /^[0-9a-f]{64}$/i.test(v)).map(([, v]) => Buffer.from(v!, "hex"));
  if (!t || !/^\d{1,12}$/.test(t) || v1.length === 0) throw new ReceiptError(`receipt: ${RECEIPT_SIGNATURE_HEADER} must be t=<unix seconds>,v1=<64 hex digits>`);
  const ts = Number(t);
  const expected = Buffer.from(hmacHex(secret, ts, body), "hex");
  if (!v1.some((v) => crypto.timingSafeEqual(v, expected))) throw new ReceiptError("receipt: no signature matches (signed with another key, or the body or timestamp was changed)");
  if (Math.abs(nowSec - ts) > toleranceSec) throw new ReceiptError(`receipt: signed at ${ts}, ${Math.abs(nowSec - ts)} s from now (tolerance ${toleranceSec} s): too old to accept, or the clocks disagree`);

  let fields: Record<string, string>;
  const text = Buffer.from(body).toString("utf8");
  if (/^application\/json\b/i.test(header(headers, "content-type") ?? "")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ReceiptError("receipt: the body is not JSON although its content type says so");
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new ReceiptError("receipt: the body must be a JSON object");
    fields = Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === "string" || typeof v === "number").map(([k, v]) => [k, String(v)]));
  } else {
    fields = Object.fromEntries(new URLSearchParams(text));
  }

  const providerId = fields.MessageSid;
  const noticeId = fields.ClientReference;
  if (providerId !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(providerId)) throw new ReceiptError("receipt: MessageSid must be 1 to 64 letters, digits, - or _");
  if (noticeId !== undefined && !/^ntc_[0-9a-f]{32}$/.test(noticeId)) throw new ReceiptError("receipt: ClientReference must be a notice id (ntc_ and 32 hex digits)");
  if (providerId === undefined && noticeId === undefined) throw new ReceiptError("receipt: neither MessageSid nor ClientReference is given");
  const providerStatus = (fields.MessageStatus ?? "").toLowerCase();
  const status = STATUSES[providerStatus];
  if (!status) throw new ReceiptError(`receipt: MessageStatus must be one of ${Object.keys(STATUSES).join(", ")}`);
  const errorCode = fields.ErrorCode;
  if (errorCode !== undefined && errorCode !== "" && !/^[A-Za-z0-9_.-]{1,32}$/.test(errorCode)) throw new ReceiptError("receipt: ErrorCode must be a short code");
  return {
    ...(providerId !== undefined ? { providerId } : {}),
    ...(noticeId !== undefined ? { noticeId } : {}),
    status,
    providerStatus,
    ...(errorCode ? { errorCode } : {}),
  };
}
