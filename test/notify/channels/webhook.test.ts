/**
 * The webhook channel against a local HTTP receiver that checks each request with the
 * `standardwebhooks` package's own `Webhook.verify` (not with our code): the signature, the
 * webhook-id (the notice id) and the exact body. The receiver's statuses are classified: 2xx
 * delivered; 408, 429, 5xx and an unreachable endpoint retryable; other 4xx and redirects not.
 */
import crypto from "node:crypto";
import { expect } from "chai";
import { Webhook } from "standardwebhooks";
import { ConfigError, loadSettings } from "../../../src/config";
import { createWebhookChannel, WEBHOOK_SETTINGS } from "../../../src/notify/channels/webhook";
import { ChannelSendError } from "../../../src/notify/errors";
import { closedPort, outgoing, rejection, startReceiver, type Receiver } from "./helpers";

const SECRET = `whsec_${crypto.randomBytes(32).toString("base64")}`;
const settings = (env: Record<string, string> = {}) => loadSettings(WEBHOOK_SETTINGS, {}, { WEBHOOK_SECRET: SECRET, ...env });

describe("notify/channels/webhook", function () {
  let receiver: Receiver;
  /** The status the receiver answers a request that verifies. */
  let status: number;
  /** What Webhook.verify returned per request (the parsed JSON), or the error it threw. */
  let verified: unknown[];

  beforeEach(async function () {
    status = 200;
    verified = [];
    const wh = new Webhook(SECRET);
    receiver = await startReceiver((r) => {
      try {
        verified.push(wh.verify(r.body, r.headers as Record<string, string>));
      } catch (err) {
        verified.push(err);
        return 401;
      }
      return status;
    });
  });

  afterEach(async function () {
    await receiver.close();
  });

  it("posts the rendered JSON signed per Standard Webhooks, verified by the standardwebhooks package; a 2xx is delivery", async function () {
    const channel = createWebhookChannel(settings());
    const m = outgoing("webhook", { webhookUrl: `${receiver.url}/hooks/duetrail?tenant=7` });
    expect(await channel.send(m)).to.deep.equal({ delivered: true });
    expect(receiver.requests).to.have.length(1);
    const r = receiver.requests[0]!;
    expect(r.method).to.equal("POST");
    expect(r.url).to.equal("/hooks/duetrail?tenant=7");
    expect(r.headers["webhook-id"]).to.equal(m.id);
    expect(r.headers["content-type"]).to.equal("application/json");
    expect(Buffer.compare(r.body, Buffer.from(m.rendered.bytes))).to.equal(0);
    expect(verified).to.deep.equal([JSON.parse(Buffer.from(m.rendered.bytes).toString("utf8"))]);
  });

  it("a receiver with another key refuses the signature (the check can fail)", async function () {
    const other = createWebhookChannel(settings({ WEBHOOK_SECRET: `whsec_${crypto.randomBytes(32).toString("base64")}` }));
    const err = await rejection(other.send(outgoing("webhook", { webhookUrl: receiver.url })));
    expect(verified).to.have.length(1);
    expect(verified[0]).to.be.instanceOf(Error);
    expect((verified[0] as Error).message).to.equal("No matching signature found");
    expect((err as ChannelSendError).retryable).to.equal(false);
    expect(err.message).to.contain("HTTP 401");
  });

  it("signs with the time of each try: a timestamp from long ago is refused by the receiver", async function () {
    const stale = createWebhookChannel(settings(), { now: () => new Date(Date.now() - 10 * 60_000) });
    await rejection(stale.send(outgoing("webhook", { webhookUrl: receiver.url })));
    expect((verified[0] as Error).message).to.equal("Message timestamp too old");
  });

  it("classifies statuses: 408, 429 and 5xx retryable; other 4xx and redirects not; 204 delivered", async function () {
    const channel = createWebhookChannel(settings());
    const expected: [number, boolean | "delivered"][] = [
      [204, "delivered"],
      [408, true],
      [429, true],
      [500, true],
      [502, true],
      [503, true],
      [400, false],
      [404, false],
      [410, false],
      [422, false],
      [301, false],
    ];
    for (const [s, retryable] of expected) {
      status = s;
      const p = channel.send(outgoing("webhook", { webhookUrl: receiver.url }));
      if (retryable === "delivered") {
        expect(await p, `${s}`).to.deep.equal({ delivered: true });
        continue;
      }
      const err = await rejection(p);
      expect(err, `${s}`).to.be.instanceOf(ChannelSendError);
      expect((err as ChannelSendError).retryable, `${s}`).to.equal(retryable);
      expect(err.message, `${s}`).to.contain(`HTTP ${s}`).and.contain(receiver.url);
    }
    // The 301 was not followed: every request went to the configured URL.
    expect(receiver.requests.map((r) => r.url)).to.deep.equal(expected.map(() => "/"));
  });

  it("an unreachable endpoint is retryable; the error names the origin, not the path or query", async function () {
    const url = `http://127.0.0.1:${await closedPort()}/hooks?token=s3cr3t`;
    const err = await rejection(createWebhookChannel(settings()).send(outgoing("webhook", { webhookUrl: url })));
    expect((err as ChannelSendError).retryable).to.equal(true);
    expect(err.message).to.contain("ECONNREFUSED").and.not.contain("s3cr3t");
  });

  it("needs WEBHOOK_SECRET (env only, whsec_ and base64) and a webhook URL", async function () {
    expect(() => createWebhookChannel(loadSettings(WEBHOOK_SETTINGS, {}, {}))).to.throw(ConfigError, /WEBHOOK_SECRET is not set/);
    expect(() => loadSettings(WEBHOOK_SETTINGS, {}, { WEBHOOK_SECRET: "plain-password" })).to.throw(ConfigError, /WEBHOOK_SECRET must be whsec_/);
    expect(() => loadSettings(WEBHOOK_SETTINGS, { webhookSecret: SECRET }, {})).to.throw(ConfigError, /WEBHOOK_SECRET is a secret/);
    const err = await rejection(createWebhookChannel(settings()).send(outgoing("webhook")));
    expect((err as ChannelSendError).retryable).to.equal(false);
    expect(err.message).to.contain("no http(s) webhook URL");
  });
});
