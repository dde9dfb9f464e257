import http from "node:http";
import type { Command } from "commander";
import { createChainClient } from "../../chain/client";
import { loadDeployment } from "../../chain/deployments";
import { loadSettings, SETTINGS } from "../../config";
import { createLogger } from "../../config/logger";
import { openDatabase } from "../../db/connect";
import { createNotifyMetrics } from "../../notify/metrics";
import { NOTIFY_SETTINGS, notifierFrom } from "../../notify/wiring";
import { action } from "../lib/errors";

/**
 * `notify`: the notice dispatcher. Plans notices from final trigger events, sends them within the
 * contact rules on the configured channels, and records them in the loans' CollectionLog trails
 * with the notifier's key (NOTIFIER_KEY, an account the lender assigns as a collector). Runs until
 * stopped (SIGINT/SIGTERM finish the current round), or with --once until nothing is left to do.
 * Settings: src/config (flags over environment; secrets from the environment only).
 */
export function registerNotifyCommand(program: Command): void {
  const opt = (key: keyof typeof SETTINGS, arg: string, text: string) => `${SETTINGS[key].flag} ${arg}`.trim() + `\u0000${text} (env ${SETTINGS[key].env})`;
  const cmd = program.command("notify").description("send due notices (SMS, email, letters, webhooks) within the contact rules and record them on chain");
  const options: [keyof typeof SETTINGS, string, string][] = [
    ["rpcUrl", "<url>", "JSON-RPC endpoint"],
    ["network", "<name>", "deployments/<name>/ to read"],
    ["deploymentsDir", "<dir>", "deployments folder"],
    ["databaseUrl", "<url>", "SQLite file or postgres:// URL (the indexer's database)"],
    ["logLevel", "<level>", "log level"],
    ["metricsPort", "<port>", "serve Prometheus metrics on this port"],
    ["evidenceDir", "<dir>", "evidence store the rendered notices go into"],
    ["lettersDir", "<dir>", "where letters' print packs go"],
    ["notifyPollMs", "<ms>", "how often to look for due notices (default 1000)"],
    ["notifyMaxAgeDays", "<days>", "trigger events older than this make no notice (default 7)"],
    ["notifyBatch", "<n>", "notices claimed per pass (default 200)"],
    ["notifyConcurrency", "<n>", "notices sent at once (default 32)"],
    ["notifyLeaseMs", "<ms>", "how long a claim holds a notice (default 60000)"],
    ["notifyMaxAttempts", "<n>", "tries before a notice fails (default 8)"],
    ["smsReceiptTimeoutSec", "<s>", "chain seconds an SMS waits for its receipt (default 3600)"],
    ["smtpHost", "<host>", "SMTP server (email is off without it)"],
    ["smtpPort", "<port>", "SMTP port (default 587)"],
    ["smtpFrom", "<address>", "sender of notices"],
    ["smsApiUrl", "<url>", "SMS provider's Messages API base URL (SMS is off without it)"],
    ["smsApiUser", "<user>", "SMS provider account"],
    ["smsFrom", "<sender>", "SMS sender id"],
    ["smsStatusCallbackUrl", "<url>", "where the provider posts delivery receipts (the API's /v1/notify/sms-receipts)"],
  ];
  for (const [key, arg, text] of options) {
    const [flags, description] = opt(key, arg, text).split("\u0000");
    cmd.option(flags, description);
  }
  cmd.option("--once", "stop once a round finds nothing to do");
  cmd.action(
    action(cmd, async (raw: Record<string, unknown>) => {
      // commander names each option after its flag (--poll-ms → pollMs).
      const attr = (key: keyof typeof SETTINGS) => (SETTINGS[key].flag ?? "").replace(/^--/, "").replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
      const flags = Object.fromEntries(options.map(([key]) => [key, raw[attr(key)]]));
      const settings = loadSettings(NOTIFY_SETTINGS, flags);
      const deployment = loadDeployment(settings.network, settings.deploymentsDir);
      const logger = createLogger(settings.logLevel, "notify");
      const metrics = createNotifyMetrics();
      const database = await openDatabase(settings.databaseUrl);
      const client = createChainClient(settings.rpcUrl);
      const notifier = notifierFrom({ settings, db: database.db, dialect: database.dialect, client, deployment, logger, metrics, exitWhenIdle: raw.once === true });
      let server: http.Server | undefined;
      if (settings.metricsPort !== undefined) {
        server = http
          .createServer(async (_req, res) => {
            res.setHeader("content-type", metrics.registry.contentType);
            res.end(await metrics.registry.metrics());
          })
          .listen(settings.metricsPort, "127.0.0.1");
      }
      process.once("SIGINT", () => notifier.stop());
      process.once("SIGTERM", () => notifier.stop());
      logger.info({ channels: Object.keys(notifier.channels), notifier: notifier.account?.address ?? null, database: database.location }, "notifier started");
      try {
        await notifier.run();
      } finally {
        await notifier.close();
        server?.close();
        await database.close();
        logger.flush();
      }
    }),
  );
}
