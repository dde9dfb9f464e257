/**
 * The demo's stand-ins started together: the settings they hand out point the email and SMS
 * channels at them, mail lands in <data>/mail/, SMS in <data>/sms.log, and receipts reach the
 * callback signed with the receipt secret.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { loadSettings } from "../../src/config";
import { createEmailChannel, EMAIL_SETTINGS } from "../../src/notify/channels/email";
import { createSmsChannel, SMS_SETTINGS, verifyReceipt } from "../../src/notify/channels/sms";
import { startDemoStandIns } from "../../src/notify/standins";
import { outgoing, startReceiver, tmpDir } from "./channels/helpers";

describe("notify/standins: the demo's providers", function () {
  it("start together and receive what the channels configured from their settings send", async function () {
    const dataDir = tmpDir("demo-data");
    const secret = "demo-receipt-secret-0123456789abcdef";
    const statuses: string[] = [];
    const callback = await startReceiver((r) => {
      statuses.push(verifyReceipt(r.body, r.headers as Record<string, string>, secret, Math.floor(Date.now() / 1000)).status);
      return 200;
    });
    const standIns = await startDemoStandIns({ dataDir, smsReceiptSecret: secret, smsStatusCallbackUrl: `${callback.url}/receipts` });
    const email = createEmailChannel(loadSettings(EMAIL_SETTINGS, {}, standIns.env));
    const sms = createSmsChannel(loadSettings(SMS_SETTINGS, {}, standIns.env));
    try {
      const mail = outgoing("email");
      await email.send(mail);
      await sms.send(outgoing("sms"));
      await standIns.smtp.waitFor(1);
      await standIns.sms.waitForReceipts(1);
      expect(fs.readdirSync(path.join(dataDir, "mail"))).to.have.length(1);
      expect(fs.readdirSync(path.join(dataDir, "mail"))[0]).to.contain(mail.id);
      expect(fs.readFileSync(path.join(dataDir, "sms.log"), "utf8").trim().split("\n")).to.have.length(1);
      expect(statuses).to.deep.equal(["delivered"]);
    } finally {
      await email.close?.();
      await standIns.stop();
      await callback.close();
    }
  });
});
