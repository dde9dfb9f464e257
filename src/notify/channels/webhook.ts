/**
 * The webhook channel: the rendered JSON POSTed to the lender's own endpoint, signed per the
 * Standard Webhooks specification with the `standardwebhooks` package:
 *
 *     webhook-id: <notice id>                 the same on every try: the receiver's idempotency key
 *     webhook-timestamp: <unix seconds>       the time of this try (receivers refuse stale ones)
 *     webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>
 *
 * with the key of WEBHOOK_SECRET (`whsec_` + base64). The body is the rendered bytes exactly (their
 * SHA-256 is the evidence hash). A 2xx is delivery. 408, 429, 5xx, a timeout or an unreachable
 * endpoint are retryable; any other status (a 4xx, or a redirect: redirects are not followed, the
 * signed request goes to the configured URL only) is not. Retries, backoff (src/notify/backoff.ts)
 * and the dead-letter state after NOTIFY_MAX_ATTEMPTS tries are the dispatcher's.
 */
import { Webhook } from "standardwebhooks";
import { ConfigError, type Config } from "../../config";
import { ChannelSendError } from "../errors";
import type { ChannelAdapter, OutgoingMessage, SendResult } from "../types";
import { redactContact } from "./redact";

/** The settings the webhook channel reads (`loadSettings(WEBHOOK_SETTINGS)`). */
export const WEBHOOK_SETTINGS = ["webhookSecret", "channelTimeoutMs"] as const satisfies readonly (keyof Config)[];

export type WebhookChannelSettings = Pick<Config, (typeof WEBHOOK_SETTINGS)[number]>;

export interface WebhookChannelOptions {
  /** For tests; Node's fetch by default. */
  fetch?: typeof fetch;
  /**
   * The signing time. The server clock by default: receivers check webhook-timestamp against
   * their own clock (Standard Webhooks' tolerance is 5 minutes), so chain time would not do.
   */
  now?: () => Date;
}

/** 408 Request Timeout, 429 Too Many Requests and the receiver's own failures may pass later. */
const retryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/** The origin of a URL (its path or query may carry a token: kept out of errors). */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(not a URL)";
  }
}

/** The webhook channel over `settings` (WEBHOOK_SECRET must be set). */
export function createWebhookChannel(settings: WebhookChannelSettings, options: WebhookChannelOptions = {}): ChannelAdapter {
  if (!settings.webhookSecret) throw new ConfigError("WEBHOOK_SECRET is not set: the webhook channel has no signing key");
  const signer = new Webhook(settings.webhookSecret);
  const fetchImpl = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const timeoutMs = settings.channelTimeoutMs;

  return {
    channel: "webhook",
    async send(message: OutgoingMessage): Promise<SendResult> {
      const url = message.webhookUrl;
      if (!url || !/^https?:\/\//.test(url)) throw new ChannelSendError("webhook", `notice ${message.id}: lender ${message.lender} has no http(s) webhook URL`);
      const origin = originOf(url);
      const body = message.rendered.bytes;
      const at = now();
      const headers = {
        "content-type": message.rendered.contentType || "application/json",
        "user-agent": "Duetrail-Webhooks/1",
        "webhook-id": message.id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": signer.sign(message.id, at, body),
      };
      let res: Response;
      try {
        res = await fetchImpl(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
        // The answer's body is not used; read it so the connection can be reused.
        await res.arrayBuffer();
      } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        const why = e?.name === "TimeoutError" || e?.name === "AbortError" ? `no answer within ${timeoutMs} ms` : (e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err));
        throw new ChannelSendError("webhook", `notice ${message.id}: cannot reach ${origin}: ${redactContact(why, message.to)}`, { retryable: true });
      }
      if (res.status >= 200 && res.status < 300) return { delivered: true };
      const retryable = retryableStatus(res.status);
      const what = res.status >= 300 && res.status < 400 ? "redirected (redirects are not followed)" : retryable ? "failed" : "refused the webhook";
      throw new ChannelSendError("webhook", `notice ${message.id}: ${origin} ${what}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`, { retryable });
    },
  };
}
