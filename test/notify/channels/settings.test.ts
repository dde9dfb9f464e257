/**
 * The channels' settings: closed defaults (TLS required, channels off until configured), flags over
 * the environment, secrets from the environment or <NAME>_FILE only, and errors naming the setting
 * without quoting a secret.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { ConfigError, loadConfig, loadSettings, SECRET_SETTINGS, SETTINGS } from "../../../src/config";
import { EMAIL_SETTINGS } from "../../../src/notify/channels/email";
import { LETTER_SETTINGS } from "../../../src/notify/channels/letter";
import { SMS_SETTINGS } from "../../../src/notify/channels/sms";
import { WEBHOOK_SETTINGS } from "../../../src/notify/channels/webhook";
import { tmpDir } from "./helpers";

const CHANNEL_SECRETS = ["smtpPassword", "smsApiToken", "smsReceiptSecret", "webhookSecret"] as const;
const WEBHOOK_SECRET = `whsec_${crypto.randomBytes(24).toString("base64")}`;
const RECEIPT_SECRET = "r".repeat(40);

describe("notify/channels: settings", function () {
  it("defaults are closed: every channel off until configured, STARTTLS required, 8 tries", function () {
    const c = loadConfig({}, {});
    expect([c.smtpHost, c.smsApiUrl, c.smsStatusCallbackUrl, c.webhookSecret, c.smtpPassword, c.smsApiToken, c.smsReceiptSecret]).to.deep.equal(Array(7).fill(undefined));
    expect([c.smtpPort, c.smtpSecure, c.smtpRequireTls, c.smtpMaxConnections, c.channelTimeoutMs]).to.deep.equal([587, false, true, 5, 10_000]);
    expect([c.smsReceiptToleranceSec, c.notifyMaxAttempts, c.lettersDir]).to.deep.equal([300, 8, path.join("data", "letters")]);
  });

  it("the channels' secrets have no flag; a flag value for one is refused, naming the variable", function () {
    for (const key of CHANNEL_SECRETS) {
      expect(SECRET_SETTINGS as readonly string[], key).to.include(key);
      expect(SETTINGS[key].flag, key).to.equal(undefined);
      expect(() => loadConfig({ [key]: "x".repeat(40) }, {}), key).to.throw(ConfigError, new RegExp(`^${SETTINGS[key].env} is a secret: set it in the environment`));
    }
  });

  it("reads the secrets from the environment or from <NAME>_FILE", function () {
    const file = path.join(tmpDir("secrets"), "webhook");
    fs.writeFileSync(file, `${WEBHOOK_SECRET}\n`, { mode: 0o600 });
    const c = loadSettings([...WEBHOOK_SETTINGS, ...SMS_SETTINGS, "smsReceiptSecret", ...EMAIL_SETTINGS], {}, {
      WEBHOOK_SECRET_FILE: file,
      SMS_API_TOKEN: "token-1",
      SMS_RECEIPT_SECRET: RECEIPT_SECRET,
      SMTP_PASSWORD: "pw",
    });
    expect([c.webhookSecret, c.smsApiToken, c.smsReceiptSecret, c.smtpPassword]).to.deep.equal([WEBHOOK_SECRET, "token-1", RECEIPT_SECRET, "pw"]);
  });

  it("flags win over the environment", function () {
    const c = loadSettings([...EMAIL_SETTINGS, ...LETTER_SETTINGS, "notifyMaxAttempts"], { smtpHost: "mail.example.com", smtpPort: "465", smtpSecure: true, lettersDir: "/srv/letters", notifyMaxAttempts: "3" }, {
      SMTP_HOST: "other.example.com",
      SMTP_PORT: "25",
      SMTP_SECURE: "false",
      LETTERS_DIR: "x",
      NOTIFY_MAX_ATTEMPTS: "9",
    });
    expect([c.smtpHost, c.smtpPort, c.smtpSecure, c.lettersDir, c.notifyMaxAttempts]).to.deep.equal(["mail.example.com", 465, true, "/srv/letters", 3]);
  });

  it("refuses bad values naming the flag and variable, never quoting a secret", function () {
    const cases: [Record<string, string>, RegExp][] = [
      [{ SMTP_FROM: "notices at example.com" }, /^--smtp-from \(SMTP_FROM\) must be an address or Name <address>/],
      [{ SMTP_PORT: "0" }, /^--smtp-port \(SMTP_PORT\)/],
      [{ SMTP_HOST: "mail.example.com/x" }, /^--smtp-host \(SMTP_HOST\) must be a host name/],
      [{ SMS_API_URL: "ftp://sms.example.com" }, /^--sms-api-url \(SMS_API_URL\) must be an http\(s\) URL/],
      [{ SMS_FROM: "+0123" }, /^--sms-from \(SMS_FROM\) must be an E.164 number/],
      [{ NOTIFY_MAX_ATTEMPTS: "0" }, /^--notify-max-attempts \(NOTIFY_MAX_ATTEMPTS\)/],
      [{ CHANNEL_TIMEOUT_MS: "5" }, /^--channel-timeout-ms \(CHANNEL_TIMEOUT_MS\)/],
      [{ SMS_RECEIPT_SECRET: "short-secret-value" }, /^SMS_RECEIPT_SECRET must be at least 32 characters/],
      [{ WEBHOOK_SECRET: "whsec_c2hvcnQ=" }, /^WEBHOOK_SECRET must be whsec_ followed by the base64 of 24 to 64 bytes/],
    ];
    for (const [env, message] of cases) {
      let err: unknown;
      try {
        loadConfig({}, env);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(env)).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(message);
      if (env.SMS_RECEIPT_SECRET) expect((err as Error).message).not.to.contain(env.SMS_RECEIPT_SECRET);
      if (env.WEBHOOK_SECRET) expect((err as Error).message).not.to.contain("c2hvcnQ");
    }
  });
});
