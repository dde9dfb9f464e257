/**
 * The demo's providers in one call (`npm start`): the SMTP stand-in writing to `<dataDir>/mail/`
 * and the SMS stand-in writing `<dataDir>/sms.log`, both on loopback, with the settings that point
 * the channels at them (an environment to give loadSettings, secrets included: the SMS token is
 * made up per start, and the stand-in signs receipts with the receipt secret given).
 */
import crypto from "node:crypto";
import path from "node:path";
import { startSmsStandIn, type SmsStandIn } from "./sms";
import { startSmtpStandIn, type SmtpStandIn } from "./smtp";

export { startSmsStandIn, startSmtpStandIn, type SmsStandIn, type SmtpStandIn };

export interface DemoStandInsOptions {
  /** The demo's data folder (data/). */
  dataDir: string;
  /** SMS_RECEIPT_SECRET: the stand-in signs receipts with it, the API's receipt endpoint checks them with it. */
  smsReceiptSecret: string;
  /** SMS_STATUS_CALLBACK_URL: the API's receipt endpoint (receipts are posted only when set). */
  smsStatusCallbackUrl?: string;
  smtpPort?: number;
  smsPort?: number;
}

export interface DemoStandIns {
  smtp: SmtpStandIn;
  sms: SmsStandIn;
  /** Variables for `loadSettings(EMAIL_SETTINGS | SMS_SETTINGS, flags, { ...process.env, ...env })`. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts both stand-ins; `stop()` stops both. */
export async function startDemoStandIns(o: DemoStandInsOptions): Promise<DemoStandIns> {
  const user = "ACduetrail-demo";
  const token = crypto.randomBytes(16).toString("hex");
  const smtp = await startSmtpStandIn({ dir: path.join(o.dataDir, "mail"), port: o.smtpPort });
  let sms: SmsStandIn;
  try {
    sms = await startSmsStandIn({ dir: o.dataDir, user, token, receiptSecret: o.smsReceiptSecret, port: o.smsPort });
  } catch (err) {
    await smtp.stop();
    throw err;
  }
  const env: Record<string, string> = {
    SMTP_HOST: smtp.host,
    SMTP_PORT: String(smtp.port),
    // Plain SMTP on loopback: the stand-in offers no STARTTLS.
    SMTP_REQUIRE_TLS: "false",
    SMS_API_URL: sms.url,
    SMS_API_USER: user,
    SMS_API_TOKEN: token,
    SMS_FROM: "Duetrail",
    SMS_RECEIPT_SECRET: o.smsReceiptSecret,
    ...(o.smsStatusCallbackUrl ? { SMS_STATUS_CALLBACK_URL: o.smsStatusCallbackUrl } : {}),
  };
  return {
    smtp,
    sms,
    env,
    stop: async () => {
      await Promise.all([smtp.stop(), sms.stop()]);
    },
  };
}
