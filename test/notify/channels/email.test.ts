/**
 * The email channel against the local SMTP stand-in (a real smtp-server): a notice arrives with
 * its subject, text and a Message-ID derived from the notice id (read back from the .eml with
 * mailparser), the same id on a repeated send; an unreachable server, a 4xx and a 5xx are
 * classified retryable or not, naming the reason without the address.
 */
import fs from "node:fs";
import { expect } from "chai";
import { simpleParser } from "mailparser";
import { ConfigError, loadSettings } from "../../../src/config";
import { createEmailChannel, EMAIL_SETTINGS, messageIdOf, type EmailChannelSettings } from "../../../src/notify/channels/email";
import { ChannelSendError } from "../../../src/notify/errors";
import { startSmtpStandIn, type SmtpStandIn } from "../../../src/notify/standins/smtp";
import type { ChannelAdapter } from "../../../src/notify/types";
import { CONTACT, CONTACT_NEEDLES, closedPort, outgoing, rejection, tmpDir } from "./helpers";

function settingsFor(port: number, env: Record<string, string> = {}): EmailChannelSettings {
  return loadSettings(EMAIL_SETTINGS, {}, { SMTP_HOST: "127.0.0.1", SMTP_PORT: String(port), SMTP_REQUIRE_TLS: "false", SMTP_FROM: "Duetrail Notices <notices@lender.example>", ...env });
}

describe("notify/channels/email", function () {
  let smtp: SmtpStandIn;
  let channel: ChannelAdapter;

  beforeEach(async function () {
    smtp = await startSmtpStandIn({ dir: tmpDir("mail") });
    channel = createEmailChannel(settingsFor(smtp.port));
  });

  afterEach(async function () {
    await channel.close?.();
    await smtp.stop();
  });

  it("delivers to the SMTP server: subject, text and a Message-ID derived from the notice id, read back with mailparser", async function () {
    const m = outgoing("email");
    const result = await channel.send(m);
    expect(result).to.deep.equal({ providerId: `<${m.id}@lender.example>`, delivered: true });
    await smtp.waitFor(1);
    const file = smtp.files[0]!;
    expect(file).to.match(new RegExp(`-${m.id}@lender\\.example\\.eml$`));
    const mail = await simpleParser(fs.readFileSync(file));
    expect(mail.subject).to.equal(m.rendered.subject);
    expect(mail.text?.trimEnd()).to.equal(m.rendered.text);
    expect(mail.messageId).to.equal(messageIdOf(m.id, "lender.example"));
    expect(mail.headers.get("x-duetrail-notice")).to.equal(m.id);
    expect(mail.headers.get("content-language")).to.equal("en");
    expect(mail.from?.value[0]?.address).to.equal("notices@lender.example");
    const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
    expect(to?.value[0]?.address).to.equal(CONTACT.email);
  });

  it("takes subject and text from the rendered bytes when the fields are absent, and keeps non-ASCII text intact", async function () {
    const m = outgoing("email");
    m.rendered = { ...m.rendered, subject: undefined, text: undefined, language: "zh-CN", bytes: Buffer.from("Subject: 还款提醒：贷款 42\n\n您好，第 3 期 1,250.00 USDC 将于 2025年3月1日 到期。") };
    await channel.send(m);
    await smtp.waitFor(1);
    const mail = await simpleParser(fs.readFileSync(smtp.files[0]!));
    expect(mail.subject).to.equal("还款提醒：贷款 42");
    expect(mail.text?.trimEnd()).to.equal("您好，第 3 期 1,250.00 USDC 将于 2025年3月1日 到期。");
    expect(mail.headers.get("content-language")).to.equal("zh-CN");
  });

  it("shows the provider the same Message-ID on every try of a notice (its idempotency key)", async function () {
    const m = outgoing("email");
    await channel.send(m);
    await channel.send(m);
    await smtp.waitFor(2);
    const ids = await Promise.all(smtp.files.map(async (f) => (await simpleParser(fs.readFileSync(f))).messageId));
    expect(ids).to.deep.equal([messageIdOf(m.id, "lender.example"), messageIdOf(m.id, "lender.example")]);
  });

  it("sends many notices concurrently over the pool, each exactly once", async function () {
    const ms = Array.from({ length: 200 }, () => outgoing("email"));
    await Promise.all(ms.map((m) => channel.send(m)));
    await smtp.waitFor(200);
    const names = smtp.files.map((f) => /-(ntc_[0-9a-f]{32})@/.exec(f)?.[1]);
    expect(new Set(names)).to.deep.equal(new Set(ms.map((m) => m.id)));
  });

  it("an unreachable server (closed port) is a retryable ChannelSendError naming the reason", async function () {
    const dead = createEmailChannel(settingsFor(await closedPort()));
    try {
      const m = outgoing("email");
      const err = await rejection(dead.send(m));
      expect(err).to.be.instanceOf(ChannelSendError);
      expect((err as ChannelSendError).retryable).to.equal(true);
      expect((err as ChannelSendError).channel).to.equal("email");
      expect(err.message).to.contain(m.id).and.contain("ECONNREFUSED").and.contain("127.0.0.1:");
    } finally {
      await dead.close?.();
    }
  });

  it("a 4xx reply is retryable; a 5xx refusal of the recipient is permanent and does not quote the address", async function () {
    smtp.failNext({ code: 451, message: "4.3.0 Mailbox temporarily unavailable", at: "data" });
    const busy = await rejection(channel.send(outgoing("email")));
    expect(busy).to.be.instanceOf(ChannelSendError);
    expect((busy as ChannelSendError).retryable).to.equal(true);
    expect(busy.message).to.contain("451");

    smtp.failNext({ code: 550, message: `5.1.1 <${CONTACT.email}>: Recipient address rejected: User unknown`, at: "rcpt" });
    const refused = await rejection(channel.send(outgoing("email")));
    expect(refused).to.be.instanceOf(ChannelSendError);
    expect((refused as ChannelSendError).retryable).to.equal(false);
    expect(refused.message).to.contain("550").and.contain("Recipient address rejected").and.contain("permanent");
    for (const needle of CONTACT_NEEDLES) expect(refused.message).not.to.contain(needle);

    // The stand-in is fine again: the next notice goes through.
    await channel.send(outgoing("email"));
    await smtp.waitFor(1);
  });

  it("logs in when SMTP_USER is set; refused credentials are retryable (the operator fixes them), naming the reply", async function () {
    const guarded = await startSmtpStandIn({ dir: tmpDir("mail-auth"), auth: { user: "duetrail", password: "correct horse" } });
    const good = createEmailChannel(settingsFor(guarded.port, { SMTP_USER: "duetrail", SMTP_PASSWORD: "correct horse" }));
    const bad = createEmailChannel(settingsFor(guarded.port, { SMTP_USER: "duetrail", SMTP_PASSWORD: "wrong" }));
    try {
      await good.send(outgoing("email"));
      await guarded.waitFor(1);
      const err = await rejection(bad.send(outgoing("email")));
      expect(err).to.be.instanceOf(ChannelSendError);
      expect((err as ChannelSendError).retryable).to.equal(true);
      expect(err.message).to.contain("535").and.contain("EAUTH");
      expect(err.message).not.to.contain("wrong");
    } finally {
      await good.close?.();
      await bad.close?.();
      await guarded.stop();
    }
  });

  it("with TLS required (the default), a server without STARTTLS is refused before any message is sent", async function () {
    const strict = createEmailChannel(settingsFor(smtp.port, { SMTP_REQUIRE_TLS: "true" }));
    try {
      const err = await rejection(strict.send(outgoing("email")));
      expect(err).to.be.instanceOf(ChannelSendError);
      expect((err as ChannelSendError).retryable).to.equal(true);
      expect(err.message).to.match(/TLS/);
      expect(smtp.received).to.equal(0);
    } finally {
      await strict.close?.();
    }
  });

  it("refuses to start without a server, or with a user and no password; a notice without an address is not retryable", async function () {
    expect(() => createEmailChannel(loadSettings(EMAIL_SETTINGS, {}, {}))).to.throw(ConfigError, /SMTP_HOST/);
    expect(() => createEmailChannel(settingsFor(25, { SMTP_USER: "duetrail" }))).to.throw(ConfigError, /SMTP_PASSWORD/);
    const err = await rejection(channel.send(outgoing("email", { to: { phone: CONTACT.phone } })));
    expect(err).to.be.instanceOf(ChannelSendError);
    expect((err as ChannelSendError).retryable).to.equal(false);
    expect(err.message).to.contain("no email address");
  });
});
