/**
 * The email channel: SMTP through nodemailer's pooled transport (a few long-lived connections,
 * each carrying many messages, so one dispatcher reaches hundreds of messages a second on a local
 * relay). The Message-ID is derived from the notice id: every retry of a notice carries the same
 * Message-ID, which is what a relay or a mailbox de-duplicates on.
 *
 * What counts as retryable: an error about the connection or the server (refused, timed out, TLS
 * not offered, credentials refused, any 4xx reply, 503) may pass later unchanged — a configuration
 * mistake fixed by the operator included, so nothing is given up for it; a 5xx reply to the
 * message itself (the recipient or the content refused) is permanent. The server's reply is
 * quoted in the error with contact points taken out (see redact.ts); the address is never logged.
 */
import { createTransport } from "nodemailer";
import type { NodemailerError } from "nodemailer/lib/errors";
import { ConfigError, type Config } from "../../config";
import { ChannelSendError } from "../errors";
import type { ChannelAdapter, OutgoingMessage, RenderedNotice, SendResult } from "../types";
import { redactContact } from "./redact";

/** The settings the email channel reads (`loadSettings(EMAIL_SETTINGS)`). */
export const EMAIL_SETTINGS = [
  "smtpHost",
  "smtpPort",
  "smtpSecure",
  "smtpRequireTls",
  "smtpUser",
  "smtpPassword",
  "smtpFrom",
  "smtpMaxConnections",
  "channelTimeoutMs",
] as const satisfies readonly (keyof Config)[];

export type EmailChannelSettings = Pick<Config, (typeof EMAIL_SETTINGS)[number]>;

/** Messages one pooled connection carries before it is replaced (nodemailer's default is 100; a fresh handshake per 100 costs throughput). */
const MESSAGES_PER_CONNECTION = 1_000;

/** Errors that say nothing about the message: the connection, the TLS upgrade, the pool. */
const CONNECTION_CODES = new Set(["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ETLS", "EREQUIRETLS", "EPROXY", "EMAXLIMIT", "EAUTH", "ENOAUTH", "EOAUTH2"]);

/** The domain of the From address, which names the Message-IDs (RFC 5322: id-left@id-right). */
function fromDomain(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?$/.exec(from);
  if (!m) throw new ConfigError(`--smtp-from (SMTP_FROM) must end with an address (local@domain)`);
  return m[1]!.toLowerCase();
}

/** The Message-ID of a notice: `<ntc_…@from-domain>`, the same on every try. */
export function messageIdOf(noticeId: string, domain: string): string {
  return `<${noticeId}@${domain}>`;
}

/** The subject and text of a rendered email: its fields, or its bytes (`Subject: <subject>\n\n<body>`) when a field is absent. */
function subjectAndText(rendered: RenderedNotice): { subject: string; text: string } | undefined {
  if (rendered.subject !== undefined && rendered.text !== undefined) return { subject: rendered.subject, text: rendered.text };
  const m = /^Subject: ([^\n]*)\n\n([\s\S]*)$/.exec(Buffer.from(rendered.bytes).toString("utf8"));
  return m ? { subject: rendered.subject ?? m[1]!, text: rendered.text ?? m[2]! } : undefined;
}

/** Why nodemailer failed, in words an operator can act on, with contact points taken out; and whether a later try may pass. */
function classify(err: NodemailerError, message: OutgoingMessage, server: string): ChannelSendError {
  const code = err.code ?? "unknown";
  if (err.responseCode !== undefined) {
    // A reply refusing the login is about our credentials, not the message: retried (after the operator fixes them).
    const permanent = (err.permanent ?? (err.responseCode >= 500 && err.responseCode !== 503)) && !CONNECTION_CODES.has(code);
    const reply = redactContact(err.response ?? String(err.responseCode), message.to);
    const stage = err.command ? ` to ${err.command.split(" ")[0]}` : "";
    return new ChannelSendError("email", `notice ${message.id}: SMTP server ${server} answered ${reply}${stage} (${code}${permanent ? ", permanent" : ""})`, {
      retryable: !permanent,
    });
  }
  const original = err.originalCode && err.originalCode !== code ? ` ${err.originalCode}` : "";
  const retryable = CONNECTION_CODES.has(code);
  const what = retryable ? `cannot deliver to SMTP server ${server}` : "message refused before sending";
  return new ChannelSendError("email", `notice ${message.id}: ${what}: ${code}${original}: ${redactContact(err.message, message.to)}`, { retryable });
}

/**
 * The email channel over `settings` (SMTP_HOST must be set). One pool per channel: create it once
 * per dispatcher and `close()` it at shutdown.
 */
export function createEmailChannel(settings: EmailChannelSettings): ChannelAdapter {
  if (!settings.smtpHost) throw new ConfigError("--smtp-host (SMTP_HOST) is not set: the email channel has no server to send through");
  if (settings.smtpUser !== undefined && settings.smtpPassword === undefined) throw new ConfigError("--smtp-user (SMTP_USER) is set but SMTP_PASSWORD is not");
  const domain = fromDomain(settings.smtpFrom);
  const server = `${settings.smtpHost}:${settings.smtpPort}`;
  const transport = createTransport({
    pool: true,
    host: settings.smtpHost,
    port: settings.smtpPort,
    secure: settings.smtpSecure,
    requireTLS: !settings.smtpSecure && settings.smtpRequireTls,
    auth: settings.smtpUser !== undefined ? { user: settings.smtpUser, pass: settings.smtpPassword } : undefined,
    maxConnections: settings.smtpMaxConnections,
    maxMessages: MESSAGES_PER_CONNECTION,
    connectionTimeout: settings.channelTimeoutMs,
    greetingTimeout: settings.channelTimeoutMs,
    socketTimeout: Math.max(settings.channelTimeoutMs, 60_000),
    // nodemailer's logger would print envelopes (addresses): off.
    logger: false,
    debug: false,
    // A rendered notice is text; nothing in it may make the transport read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  // Each failure also reaches its sendMail call; an 'error' event without a listener would end the process.
  transport.on("error", () => undefined);

  return {
    channel: "email",
    async send(message: OutgoingMessage): Promise<SendResult> {
      const to = message.to.email;
      if (!to) throw new ChannelSendError("email", `notice ${message.id}: the borrower has no email address`);
      const content = subjectAndText(message.rendered);
      if (!content) throw new ChannelSendError("email", `notice ${message.id}: rendered ${message.rendered.template} v${message.rendered.templateVersion} has no subject and text`);
      try {
        await transport.sendMail({
          from: settings.smtpFrom,
          to,
          subject: content.subject,
          text: content.text,
          messageId: messageIdOf(message.id, domain),
          headers: { "X-Duetrail-Notice": message.id, ...(message.rendered.language ? { "Content-Language": message.rendered.language } : {}) },
        });
      } catch (err) {
        throw classify(err as NodemailerError, message, server);
      }
      // Acceptance by the relay is as far as SMTP reports: delivered.
      return { providerId: messageIdOf(message.id, domain), delivered: true };
    },
    async close() {
      transport.close();
    },
  };
}
