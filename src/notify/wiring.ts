/**
 * Builds a notifier from the settings: the channels that are configured (SMTP_HOST → email,
 * SMS_API_URL → SMS, WEBHOOK_SECRET → webhooks; letters always, into LETTERS_DIR), the renderer
 * (src/notify/templates over src/notify/notice-data.ts), the evidence store, the plans and the
 * recorder's key. `notify` (src/cli/commands/notify.ts) and `npm start` run what it returns.
 */
import { noticeLocale } from "./notice-locale";
import crypto from "node:crypto";
import os from "node:os";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Deployment } from "../chain/deployments";
import type { Config } from "../config";
import { advisoryTryLock } from "../db/try-lock";
import type { Database } from "../db/schema";
import { openArtifact, storeArtifact } from "../evidence/store";
import { piiKeyring } from "../pii/crypto";
import { backoffMs } from "./backoff";
import { createEmailChannel } from "./channels/email";
import { createLetterChannel } from "./channels/letter";
import { createSmsChannel } from "./channels/sms";
import { createWebhookChannel } from "./channels/webhook";
import type { DispatcherDeps } from "./dispatcher";
import { NotifyError } from "./errors";
import type { NotifyMetrics } from "./metrics";
import { noticeDataAll, tokenInfoReader, type TokenInfoOf } from "./notice-data";
import { capsFor, planFor, webhookUrlFor } from "./plans-in-force";
import { createNotifier } from "./run";
import { renderAddressSheet, renderNotice } from "./templates";
import type { ChannelAdapter, NoticeChannel } from "./types";

/** The settings a notifier reads. */
export const NOTIFY_SETTINGS = [
  "rpcUrl",
  "network",
  "deploymentsDir",
  "databaseUrl",
  "logLevel",
  "metricsPort",
  "evidenceDir",
  "lettersDir",
  "piiKey",
  "piiKeyPrevious",
  "smtpHost",
  "smtpPort",
  "smtpSecure",
  "smtpRequireTls",
  "smtpUser",
  "smtpPassword",
  "smtpFrom",
  "smtpMaxConnections",
  "channelTimeoutMs",
  "smsApiUrl",
  "smsApiUser",
  "smsApiToken",
  "smsFrom",
  "smsStatusCallbackUrl",
  "webhookSecret",
  "notifyMaxAttempts",
  "notifyPollMs",
  "notifyMaxAgeDays",
  "notifyBatch",
  "notifyConcurrency",
  "notifyLeaseMs",
  "smsReceiptTimeoutSec",
  "notifierKey",
] as const satisfies readonly (keyof Config)[];
export type NotifySettings = Pick<Config, (typeof NOTIFY_SETTINGS)[number]>;

/** The channels the settings configure. */
export function channelsFrom(s: NotifySettings): Partial<Record<NoticeChannel, ChannelAdapter>> {
  const channels: Partial<Record<NoticeChannel, ChannelAdapter>> = {
    // The address sheet is a print-run artifact (not evidence): dated by the server clock.
    letter: createLetterChannel(s, {
      renderAddressSheet: (postalAddress, c) => renderAddressSheet({ postalAddress, reference: `#${c.loanId}`, language: c.language, asOf: BigInt(Math.floor(Date.now() / 1_000)) }),
    }),
  };
  if (s.smtpHost) channels.email = createEmailChannel(s);
  if (s.smsApiUrl) channels.sms = createSmsChannel(s);
  if (s.webhookSecret) channels.webhook = createWebhookChannel(s);
  return channels;
}

export interface NotifierSetup {
  settings: NotifySettings;
  db: Kysely<Database>;
  dialect: "sqlite" | "postgres";
  client: PublicClient;
  deployment: Deployment;
  logger: Logger;
  metrics?: NotifyMetrics;
  /** Override the configured channels (tests, benchmarks). */
  channels?: Partial<Record<NoticeChannel, ChannelAdapter>>;
  /** Override chain time (benchmarks: a fixed time within contact hours). */
  chainNow?: () => Promise<bigint>;
  /** Override the tokens' symbol and decimals (benchmarks: a book without a chain). */
  tokenInfo?: TokenInfoOf;
  exitWhenIdle?: boolean;
}

/** The dispatcher's parts wired from `setup` (the notifier runs them; a benchmark may alone). */
export function dispatcherFrom(setup: NotifierSetup): DispatcherDeps {
  const s = setup.settings;
  const keyring = piiKeyring(s);
  const channels = setup.channels ?? channelsFrom(s);
  const account = s.notifierKey ? privateKeyToAccount(s.notifierKey as `0x${string}`) : undefined;
  const tokenInfo = setup.tokenInfo ?? tokenInfoReader(setup.client);
  return {
    db: setup.db,
    owner: `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString("hex")}`,
    channels,
    keyring,
    async render(db, requests) {
      const data = await noticeDataAll(
        db,
        requests.map((r) => ({ notice: r.notice, loan: r.loan })),
        tokenInfo,
      );
      return Promise.all(
        requests.map(async (r, i) => {
          const d = data[i]!;
          if (d instanceof Error) return d;
          try {
            return await renderNotice({
              template: r.notice.template,
              channel: r.notice.channel,
              ...noticeLocale(r),
              timeZone: r.contact?.timeZone ?? "UTC",
              data: d,
              kind: r.notice.kind === "notice" ? "notice" : "reminder",
            });
          } catch (err) {
            return err instanceof Error ? err : new NotifyError(String(err));
          }
        }),
      );
    },
    async storeEvidence(bytes) {
      return `0x${await storeArtifact(s.evidenceDir, bytes)}`;
    },
    async readEvidence(hash) {
      const h = await openArtifact(s.evidenceDir, hash.slice(2));
      if (!h) throw new NotifyError(`the rendered notice ${hash} is missing from the evidence store (${s.evidenceDir})`);
      try {
        return new Uint8Array(await h.readFile());
      } finally {
        await h.close();
      }
    },
    capsFor,
    webhookUrlFor,
    notifier: account?.address,
    chainNow: setup.chainNow ?? (async () => (await setup.client.getBlock({ blockTag: "latest" })).timestamp),
    nowMs: Date.now,
    leaseMs: s.notifyLeaseMs,
    maxAttempts: s.notifyMaxAttempts,
    backoffSec: (attempt) => Math.ceil(backoffMs(attempt) / 1_000),
    batch: s.notifyBatch,
    concurrency: s.notifyConcurrency,
  };
}

/** A notifier wired from `setup`; `close()` closes its channels and the recorder lock. */
export function notifierFrom(setup: NotifierSetup) {
  const s = setup.settings;
  const dispatcher = dispatcherFrom(setup);
  const channels = dispatcher.channels;
  const account = s.notifierKey ? privateKeyToAccount(s.notifierKey as `0x${string}`) : undefined;
  const lock = setup.dialect === "postgres" ? advisoryTryLock(s.databaseUrl, `duetrail-notify-recorder:${setup.deployment.chainId}`) : undefined;
  const notifier = createNotifier({
    db: setup.db,
    chainId: setup.deployment.chainId,
    client: setup.client,
    deployment: setup.deployment,
    dispatcher,
    planFor,
    account,
    mayRecord: lock ? () => lock.held() : async () => true,
    pollMs: s.notifyPollMs,
    maxAgeSec: s.notifyMaxAgeDays * 86_400,
    receiptTimeoutSec: s.smsReceiptTimeoutSec,
    logger: setup.logger,
    metrics: setup.metrics,
    exitWhenIdle: setup.exitWhenIdle,
  });
  return {
    ...notifier,
    channels,
    account,
    async close() {
      for (const c of Object.values(channels)) await c?.close?.();
      await lock?.release();
    },
  };
}
