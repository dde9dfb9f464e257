/**
 * No contact point in any error a channel throws: every failure path of the four channels, with
 * providers that quote the address or number back (as real ones do), is inspected whole — message,
 * stack, properties and causes — for the borrower's email, phone (with and without +) and address
 * lines. Errors are logged and stored as a notice's reason; personal data must not reach them.
 */
import crypto from "node:crypto";
import path from "node:path";
import { inspect } from "node:util";
import { expect } from "chai";
import { loadSettings } from "../../../src/config";
import { createEmailChannel, EMAIL_SETTINGS } from "../../../src/notify/channels/email";
import { createLetterChannel, LETTER_SETTINGS } from "../../../src/notify/channels/letter";
import { redactContact } from "../../../src/notify/channels/redact";
import { createSmsChannel, SMS_SETTINGS } from "../../../src/notify/channels/sms";
import { createWebhookChannel, WEBHOOK_SETTINGS } from "../../../src/notify/channels/webhook";
import { ChannelSendError, TemplateError } from "../../../src/notify/errors";
import { startSmsStandIn } from "../../../src/notify/standins/sms";
import { startSmtpStandIn } from "../../../src/notify/standins/smtp";
import { CONTACT, CONTACT_NEEDLES, closedPort, outgoing, rejection, startReceiver, tmpDir } from "./helpers";

/** Everything an error shows when logged or serialized. */
const everything = (err: Error) => [err.message, String(err.stack), inspect(err, { depth: 10, showHidden: true }), JSON.stringify(err)].join("\n");

describe("notify/channels: no contact point in any thrown error", function () {
  const errors: { path: string; err: Error }[] = [];
  const collect = async (path: string, p: Promise<unknown>) => errors.push({ path, err: await rejection(p) });

  after(function () {
    // Every path below must have failed with a ChannelSendError (otherwise the test proves nothing).
    expect(errors.length).to.be.greaterThan(0);
  });

  it("email: refused recipient, full mailbox quoting the phone, unreachable server, missing address", async function () {
    const smtp = await startSmtpStandIn({ dir: tmpDir("mail") });
    const settings = (port: number) => loadSettings(EMAIL_SETTINGS, {}, { SMTP_HOST: "127.0.0.1", SMTP_PORT: String(port), SMTP_REQUIRE_TLS: "false" });
    const channel = createEmailChannel(settings(smtp.port));
    const dead = createEmailChannel(settings(await closedPort()));
    try {
      smtp.failNext(
        { code: 550, message: `5.1.1 <${CONTACT.email}>: Recipient address rejected`, at: "rcpt" },
        { code: 452, message: `4.2.2 Mailbox ${CONTACT.email.toUpperCase()} full; owner ${CONTACT.phone} notified`, at: "data" },
        { code: 554, message: `5.7.1 Message for ${CONTACT.phone.slice(1)} at ${CONTACT.postalAddress.split("\n")[1]} refused`, at: "data" },
      );
      await collect("email 550", channel.send(outgoing("email")));
      await collect("email 452", channel.send(outgoing("email")));
      await collect("email 554", channel.send(outgoing("email")));
      await collect("email unreachable", dead.send(outgoing("email")));
      await collect("email no address", channel.send(outgoing("email", { to: { phone: CONTACT.phone, postalAddress: CONTACT.postalAddress } })));
    } finally {
      await channel.close?.();
      await dead.close?.();
      await smtp.stop();
    }
    check(errors.filter((e) => e.path.startsWith("email")), 5);
  });

  it("sms: refusals quoting the number, an invalid number, the provider down, unreachable, missing number", async function () {
    const provider = await startSmsStandIn({ dir: tmpDir("sms"), user: "u", token: "t", receiptSecret: "s".repeat(32) });
    const settings = (url: string) => loadSettings(SMS_SETTINGS, {}, { SMS_API_URL: url, SMS_API_USER: "u", SMS_API_TOKEN: "t", SMS_FROM: "Duetrail" });
    const channel = createSmsChannel(settings(provider.url));
    try {
      provider.failNext(
        { status: 400, code: 21610, message: `Attempt to send to unsubscribed recipient ${CONTACT.phone}` },
        { status: 503, message: `Carrier for ${CONTACT.phone.slice(1)} unavailable` },
      );
      await collect("sms 400", channel.send(outgoing("sms")));
      await collect("sms 503", channel.send(outgoing("sms")));
      await collect("sms invalid number", channel.send(outgoing("sms", { to: { phone: "+86 139-1234-5678", email: CONTACT.email } })));
      await collect("sms unreachable", createSmsChannel(settings(`http://127.0.0.1:${await closedPort()}`)).send(outgoing("sms")));
      await collect("sms no number", channel.send(outgoing("sms", { to: { email: CONTACT.email, postalAddress: CONTACT.postalAddress } })));
    } finally {
      await provider.stop();
    }
    check(errors.filter((e) => e.path.startsWith("sms")), 5);
  });

  it("webhook and letter: refusals, unreachable, a sheet renderer that quotes the address, no address", async function () {
    const receiver = await startReceiver(() => 422);
    const webhook = createWebhookChannel(loadSettings(WEBHOOK_SETTINGS, {}, { WEBHOOK_SECRET: `whsec_${crypto.randomBytes(32).toString("base64")}` }));
    try {
      await collect("webhook 422", webhook.send(outgoing("webhook", { webhookUrl: receiver.url })));
      await collect("webhook unreachable", webhook.send(outgoing("webhook", { webhookUrl: `http://127.0.0.1:${await closedPort()}/` })));
    } finally {
      await receiver.close();
    }
    const dir = tmpDir("letters");
    const settings = loadSettings(LETTER_SETTINGS, {}, { EVIDENCE_DIR: path.join(dir, "evidence"), LETTERS_DIR: path.join(dir, "letters") });
    const quoting = createLetterChannel(settings, {
      renderAddressSheet: (address) => {
        throw new TemplateError(`cannot lay out ${JSON.stringify(address)} (${CONTACT.email})`);
      },
    });
    await collect("letter renderer", quoting.send(outgoing("letter")));
    await collect("letter no address", quoting.send(outgoing("letter", { to: { email: CONTACT.email, phone: CONTACT.phone } })));
    check(errors.filter((e) => /^(webhook|letter)/.test(e.path)), 4);
  });

  it("redactContact also blanks addresses and numbers it was not told about, and leaves hosts and SMTP codes alone", function () {
    const text = "550 5.1.1 <someone.else@example.org> unknown at 127.0.0.1:2525; call +44 20 7946 0958 or 02079460958";
    expect(redactContact(text)).to.equal("550 5.1.1 <<address>> unknown at 127.0.0.1:2525; call <number> or <number>");
    expect(redactContact("a\r\nb")).to.equal("a b");
    expect(redactContact("x".repeat(500))).to.have.length(200);
  });
});

function check(found: { path: string; err: Error }[], count: number): void {
  expect(found.map((e) => e.path)).to.have.length(count);
  for (const { path, err } of found) {
    expect(err, path).to.be.instanceOf(ChannelSendError);
    const shown = everything(err);
    for (const needle of CONTACT_NEEDLES) expect(shown, `${path}: ${err.message}`).not.to.contain(needle);
    // The spaced and dashed forms of the number too.
    expect(shown, path).not.to.match(/139[ -]?1234[ -]?5678/);
  }
}
