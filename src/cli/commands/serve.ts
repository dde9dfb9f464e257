import type { Command } from "commander";
import { ConfigError, loadConfig, SETTINGS, type Config } from "../../config";
import { createLogger } from "../../config/logger";

const API_SETTINGS = [
  "port",
  "host",
  "rpcUrl",
  "network",
  "deploymentsDir",
  "databaseUrl",
  "apiTokenSecret",
  "sessionTtlSec",
  "corsOrigins",
  "rateLimitPerMinute",
  "evidenceDir",
  "maxEvidenceBytes",
  "evidenceQuotaBytesPerDay",
  "evidenceMinFreeBytes",
  "evidenceRetentionDays",
  "maxLagBlocks",
  "responseCacheMb",
  "relayerKey",
  "logLevel",
] as const satisfies readonly (keyof Config)[];

/** `serve`: the collector, lender and auditor API. */
export function registerServeCommand(program: Command): void {
  const cmd = program.command("serve").description("serve the HTTP API (/v1, /openapi.json, /docs, /healthz, /readyz, /metrics) on the indexer's database");
  for (const key of API_SETTINGS) {
    const s = SETTINGS[key];
    cmd.option(`${s.flag} <value>`, `env ${s.env}`);
  }
  cmd.action(async (opts: Record<string, string | undefined>) => {
    const flags: Partial<Record<keyof Config, unknown>> = {};
    for (const key of API_SETTINGS) {
      const name = SETTINGS[key].flag.replace(/^--/, "").replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
      flags[key] = opts[name];
    }
    let config: Config;
    try {
      config = loadConfig(flags);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`error: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    const logger = createLogger(config.logLevel, "api");
    // Loaded here, not at the top: the API (express, the OpenAPI document) is half of what the CLI
    // would load at start, and no other command needs it (the indexer's start is 0.2 s sooner).
    const { startServer } = await import("../../api/server");
    const running = await startServer(config, logger);
    const stop = async () => {
      logger.info("shutting down");
      await running.close();
      logger.flush();
      process.exit(0);
    };
    process.once("SIGINT", () => void stop());
    process.once("SIGTERM", () => void stop());
  });
}
