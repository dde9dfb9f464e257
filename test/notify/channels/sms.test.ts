/**
 * The SMS channel against the provider stand-in (a real HTTP server of the documented shape): an
 * SMS is accepted with the provider's sid and not yet delivered, logged once per client reference,
 * and its delivery receipt arrives signed at the status callback, where verifyReceipt accepts it;
 * a tampered, re-signed-with-another-key, stale or unsigned receipt is refused. The provider's
 * answers are classified: 429 and 5xx retryable, other 4xx not, without quoting the number.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { ConfigError, loadSettings } from "../../../src/config";
import { createSmsChannel, signReceipt, SMS_SETTINGS, verifyReceipt, type Receipt, type SmsChannelSettings } from "../../../src/notify/channels/sms";
import { ChannelSendError, ReceiptError } from "../../../src/notify/errors";
import { startSmsStandIn, type SmsStandIn } from "../../../src/notify/standins/sms";
import { CONTACT, CONTACT_NEEDLES, closedPort, outgoing, rejection, startReceiver, tmpDir, type Receiver } from "./helpers";

const USER = "ACduetrail";
const TOKEN = "sms-token-0123456789";
const RECEIPT_SECRET = "receipt-secret-0123456789abcdef0123456789";
const now = () => Math.floor(Date.now() / 1000);

function settingsFor(apiUrl: string, callback?: string, env: Record<string, string> = {}): SmsChannelSettings {
  return loadSettings(SMS_SETTINGS, {}, {
    SMS_API_URL: apiUrl,
    SMS_API_USER: USER,
    SMS_API_TOKEN: TOKEN,
    SMS_FROM: "+8610690000",
    ...(callback ? { SMS_STATUS_CALLBACK_URL: callback } : {}),
    ...env,
  });
}

describe("notify/channels/sms", function () {
  let dir: string;
  let provider: SmsStandIn;
  let callback: Receiver;
  /** Receipts the callback accepted, as verifyReceipt parsed them. */
  let receipts: Receipt[];
  /** The notice whose delivery the provider reports as failed. */
  let failing: string | undefined;

  beforeEach(async function () {
    dir = tmpDir("sms");
    receipts = [];
    failing = undefined;
    callback = await startReceiver((r) => {
      receipts.push(verifyReceipt(r.body, r.headers as Record<string, string>, RECEIPT_SECRET, now()));
      return 204;
    });
    provider = await startSmsStandIn({
      dir,
      user: USER,
      token: TOKEN,
      receiptSecret: RECEIPT_SECRET,
      outcome: ({ reference }) => (reference === failing ? { status: "undelivered", errorCode: "30003" } : { status: "delivered" }),
    });
  });

  afterEach(async function () {
    await provider.stop();
    await callback.close();
  });

  it("sends through the provider: its sid back, not yet delivered; one sms.log line; a signed receipt verified at the callback", async function () {
    const channel = createSmsChannel(settingsFor(provider.url, `${callback.url}/v1/receipts/sms`));
    const m = outgoing("sms");
    const result = await channel.send(m);
    expect(result.delivered).to.equal(false);
    expect(result.providerId).to.match(/^SM[0-9a-f]{32}$/);

    const lines = fs.readFileSync(path.join(dir, "sms.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ to: CONTACT.phone, body: m.rendered.text, reference: m.id, sid: result.providerId });

    await provider.waitForReceipts(1);
    expect(callback.requests[0]!.url).to.equal("/v1/receipts/sms");
    expect(receipts).to.deep.equal([{ providerId: result.providerId, noticeId: m.id, status: "delivered", providerStatus: "delivered" }]);
  });

  it("is idempotent on the client reference: a repeated notice gets the same sid and is neither logged nor receipted twice", async function () {
    const channel = createSmsChannel(settingsFor(provider.url, callback.url));
    const m = outgoing("sms");
    const a = await channel.send(m);
    const b = await channel.send(m);
    expect(b.providerId).to.equal(a.providerId);
    expect(provider.accepted).to.equal(1);
    expect(provider.duplicates).to.equal(1);
    expect(fs.readFileSync(path.join(dir, "sms.log"), "utf8").trim().split("\n")).to.have.length(1);
    // A later marker: once the next notice's receipt is in, a receipt of the repeat would be too.
    const marker = outgoing("sms");
    await channel.send(marker);
    await provider.waitForReceipts(2);
    expect(receipts.map((r) => r.noticeId).sort()).to.deep.equal([m.id, marker.id].sort());

    // A restarted provider still knows the reference (it reads its log back).
    await provider.stop();
    provider = await startSmsStandIn({ dir, user: USER, token: TOKEN, receiptSecret: RECEIPT_SECRET });
    const c = await createSmsChannel(settingsFor(provider.url)).send(m);
    expect(c.providerId).to.equal(a.providerId);
    expect(provider.accepted).to.equal(0);
    expect(provider.duplicates).to.equal(1);
  });

  it("reports a failed delivery in the receipt with the provider's error code", async function () {
    const channel = createSmsChannel(settingsFor(provider.url, callback.url));
    const m = outgoing("sms");
    failing = m.id;
    const { providerId } = await channel.send(m);
    await provider.waitForReceipts(1);
    expect(receipts).to.deep.equal([{ providerId, noticeId: m.id, status: "failed", providerStatus: "undelivered", errorCode: "30003" }]);
  });

  it("classifies the provider's answers: 429 and 5xx retryable; 400 and 401 not, without quoting the number", async function () {
    const channel = createSmsChannel(settingsFor(provider.url));
    for (const status of [429, 500, 503]) {
      provider.failNext({ status });
      const err = await rejection(channel.send(outgoing("sms")));
      expect(err, `${status}`).to.be.instanceOf(ChannelSendError);
      expect((err as ChannelSendError).retryable, `${status}`).to.equal(true);
      expect(err.message).to.contain(`HTTP ${status}`);
    }
    const invalid = await rejection(channel.send(outgoing("sms", { to: { phone: "+86 139 1234 5678" } })));
    expect((invalid as ChannelSendError).retryable).to.equal(false);
    expect(invalid.message).to.contain("HTTP 400").and.contain("code 21211").and.contain("is not a valid phone number");
    expect(invalid.message).not.to.contain("139 1234 5678");

    const unauthorized = createSmsChannel({ ...settingsFor(provider.url), smsApiToken: "not-the-token" });
    const denied = await rejection(unauthorized.send(outgoing("sms")));
    expect((denied as ChannelSendError).retryable).to.equal(false);
    expect(denied.message).to.contain("HTTP 401");
    expect(provider.accepted).to.equal(0);
  });

  it("an unreachable provider or one that does not answer in time is retryable", async function () {
    const closed = await rejection(createSmsChannel(settingsFor(`http://127.0.0.1:${await closedPort()}`)).send(outgoing("sms")));
    expect(closed).to.be.instanceOf(ChannelSendError);
    expect((closed as ChannelSendError).retryable).to.equal(true);
    expect(closed.message).to.contain("ECONNREFUSED");

    // Takes the request and never answers.
    const silent = http.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const slow = await rejection(createSmsChannel(settingsFor(url, undefined, { CHANNEL_TIMEOUT_MS: "300" })).send(outgoing("sms")));
      expect((slow as ChannelSendError).retryable).to.equal(true);
      expect(slow.message).to.contain("no answer within 300 ms");
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it("needs the provider's URL, credentials and a sender; a notice without a phone number is not retryable", async function () {
    expect(() => createSmsChannel(loadSettings(SMS_SETTINGS, {}, {}))).to.throw(ConfigError, /SMS_API_URL/);
    expect(() => createSmsChannel({ ...settingsFor(provider.url), smsApiToken: undefined })).to.throw(ConfigError, /SMS_API_TOKEN/);
    expect(() => createSmsChannel({ ...settingsFor(provider.url), smsFrom: undefined })).to.throw(ConfigError, /SMS_FROM/);
    const err = await rejection(createSmsChannel(settingsFor(provider.url)).send(outgoing("sms", { to: { email: CONTACT.email } })));
    expect((err as ChannelSendError).retryable).to.equal(false);
    expect(err.message).to.contain("no phone number");
  });
});

describe("notify/channels/sms: verifyReceipt", function () {
  const body = "MessageSid=SM0123456789abcdef0123456789abcdef&ClientReference=ntc_0123456789abcdef0123456789abcdef&MessageStatus=delivered";
  const t = 1_750_000_000;
  const headers = (sig: string) => ({ "Content-Type": "application/x-www-form-urlencoded", "X-Duetrail-Signature": sig });

  it("accepts a receipt signed with the key within the tolerance", function () {
    expect(verifyReceipt(body, headers(signReceipt(body, RECEIPT_SECRET, t)), RECEIPT_SECRET, t + 299)).to.deep.equal({
      providerId: "SM0123456789abcdef0123456789abcdef",
      noticeId: "ntc_0123456789abcdef0123456789abcdef",
      status: "delivered",
      providerStatus: "delivered",
    });
  });

  it("refuses a tampered body, another key, a changed timestamp, a missing or malformed signature", function () {
    const sig = signReceipt(body, RECEIPT_SECRET, t);
    expect(() => verifyReceipt(body.replace("delivered", "failed"), headers(sig), RECEIPT_SECRET, t)).to.throw(ReceiptError, /no signature matches/);
    expect(() => verifyReceipt(body, headers(signReceipt(body, "another-secret-0123456789abcdef01234567", t)), RECEIPT_SECRET, t)).to.throw(ReceiptError, /no signature matches/);
    expect(() => verifyReceipt(body, headers(sig.replace(`t=${t}`, `t=${t + 1}`)), RECEIPT_SECRET, t)).to.throw(ReceiptError, /no signature matches/);
    expect(() => verifyReceipt(body, { "content-type": "application/x-www-form-urlencoded" }, RECEIPT_SECRET, t)).to.throw(ReceiptError, /no x-duetrail-signature header/);
    expect(() => verifyReceipt(body, headers("v1=abc"), RECEIPT_SECRET, t)).to.throw(ReceiptError, /must be t=<unix seconds>,v1=<64 hex digits>/);
  });

  it("refuses a stale receipt (or one from the future) beyond the tolerance", function () {
    const sig = signReceipt(body, RECEIPT_SECRET, t);
    expect(() => verifyReceipt(body, headers(sig), RECEIPT_SECRET, t + 301)).to.throw(ReceiptError, /301 s from now \(tolerance 300 s\)/);
    expect(() => verifyReceipt(body, headers(sig), RECEIPT_SECRET, t - 61, 60)).to.throw(ReceiptError, /tolerance 60 s/);
  });

  it("accepts any of several v1 signatures (a key rotation at the provider) and a JSON body", function () {
    const both = `${signReceipt(body, "old-secret-0123456789abcdef0123456789abcd", t)},v1=${signReceipt(body, RECEIPT_SECRET, t).split("v1=")[1]}`;
    expect(verifyReceipt(body, headers(both), RECEIPT_SECRET, t).status).to.equal("delivered");
    const json = JSON.stringify({ MessageSid: "SMabc", MessageStatus: "failed", ErrorCode: 30005 });
    const r = verifyReceipt(json, { "content-type": "application/json", "x-duetrail-signature": signReceipt(json, RECEIPT_SECRET, t) }, RECEIPT_SECRET, t);
    expect(r).to.deep.equal({ providerId: "SMabc", status: "failed", providerStatus: "failed", errorCode: "30005" });
  });

  it("reports progress statuses as sent, and refuses a receipt that names no message or an unknown status", function () {
    const sign = (b: string) => headers(signReceipt(b, RECEIPT_SECRET, t));
    const queued = "MessageSid=SMabc&MessageStatus=queued";
    expect(verifyReceipt(queued, sign(queued), RECEIPT_SECRET, t).status).to.equal("sent");
    const anonymous = "MessageStatus=delivered";
    expect(() => verifyReceipt(anonymous, sign(anonymous), RECEIPT_SECRET, t)).to.throw(ReceiptError, /neither MessageSid nor ClientReference/);
    const odd = "MessageSid=SMabc&MessageStatus=teleported";
    expect(() => verifyReceipt(odd, sign(odd), RECEIPT_SECRET, t)).to.throw(ReceiptError, /MessageStatus must be one of/);
    const badRef = "ClientReference=../../etc&MessageStatus=delivered";
    expect(() => verifyReceipt(badRef, sign(badRef), RECEIPT_SECRET, t)).to.throw(ReceiptError, /ClientReference must be a notice id/);
  });
});
