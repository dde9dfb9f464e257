import { Option, type Command } from "commander";
import { loadConfig, SETTINGS, type Config } from "../../config";
import { createLogger } from "../../config/logger";
import { action, UsageError } from "../lib/errors";

/** What `serve` reads; secrets among them (no flag) come from the environment only. */
const API_SETTINGS = [
  "port",
  "host",
  "rpcUrl",
  "network",
  "deploymentsDir",
  "databaseUrl",
  "apiTokenSecret",
  "sessionTtlSec",
  "siweDomain",
  "siweUri",
  "siweNoncesPerClient",
  "serviceTokenMaxDays",
  "corsOrigins",
  "trustProxy",
  "rateLimitPerMinute",
  "evidenceDir",
  "smsReceiptToleranceSec",
  "maxEvidenceBytes",
  "evidenceQuotaBytesPerDay",
  "evidenceMinFreeBytes",
  "evidenceRetentionDays",
  "maxLagBlocks",
  "responseCacheMb",
  "apiWorkers",
  "dbPoolSize",
  "streamMaxPerCaller",
  "streamMaxTotal",
  "consoleDir",
  "demoTokensFile",
  "relayerKey",
  "relayBudgetPerDay",
  "relayWaitMs",
  "idempotencyKeysPerCaller",
  "metricsToken",
  "apiMetricsPort",
  "logLevel",
] as const satisfies readonly (keyof Config)[];

/** Flags that once carried secrets: refused with the variable to use instead. */
const REMOVED_SECRET_FLAGS: Record<string, string> = { "--token-secret": "API_TOKEN_SECRET", "--relayer-key": "RELAYER_KEY" };

const optionName = (flag: string) => flag.replace(/^--/, "").replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** `serve`: the collector, lender and auditor API. */
export function registerServeCommand(program: Command): void {
  const cmd = program.command("serve").description("serve the HTTP API (/v1, /openapi.json, /docs, /healthz, /readyz, /metrics) on the indexer's database");
  for (const key of API_SETTINGS) {
    const s = SETTINGS[key];
    if (s.flag) cmd.option(`${s.flag} <value>`, `env ${s.env}`);
  }
  for (const flag of Object.keys(REMOVED_SECRET_FLAGS)) cmd.addOption(new Option(`${flag} <value>`).hideHelp());
  cmd.addHelpText(
    "after",
    `\nSecrets are read from the environment only (or from a file named by <NAME>_FILE): ${API_SETTINGS.filter((k) => !SETTINGS[k].flag)
      .map((k) => SETTINGS[k].env)
      .join(", ")}.`
  );
  cmd.action(
    action(cmd, async (opts: Record<string, string | undefined>) => {
      for (const [flag, env] of Object.entries(REMOVED_SECRET_FLAGS)) {
        if (opts[optionName(flag)] !== undefined) {
          throw new UsageError(
            `error: ${flag} is not accepted: a secret on the command line is visible to every local user in the process list; set ${env} (or ${env}_FILE) in the environment`
          );
        }
      }
      const flags: Partial<Record<keyof Config, unknown>> = {};
      for (const key of API_SETTINGS) {
        const flag = SETTINGS[key].flag;
        if (flag) flags[key] = opts[optionName(flag)];
      }
      const config = loadConfig(flags);
      const logger = createLogger(config.logLevel, "api");
      // Loaded here, not at the top: the API (express, the OpenAPI document) is half of what the CLI
      // would load at start, and no other command needs it (the indexer's start is 0.2 s sooner).
      const { startServer } = await import("../../api/server");
      const { announceWorker, isApiWorker, startCluster } = await import("../../api/cluster");
      const worker = isApiWorker();
      const running = config.apiWorkers > 1 && !worker ? await startCluster(config, logger) : await startServer(config, logger, { worker });
      const stop = async () => {
        logger.info("shutting down");
        await running.close();
        logger.flush();
        process.exit(0);
      };
      process.once("SIGINT", () => void stop());
      process.once("SIGTERM", () => void stop());
      if (worker) announceWorker(running.url, () => void stop());
    })
  );
}
