import path from "node:path";
import { z } from "zod";

/**
 * Configuration, parsed once at start from CLI flags over environment variables; nothing else
 * reads process.env. Errors name the setting (flag and variable).
 */
const boolish = z.union([z.boolean(), z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1")]);

export const configSchema = z.object({
  rpcUrl: z.string().url({ message: "must be an http(s) URL" }).refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL"),
  network: z.string().regex(/^[A-Za-z0-9_-]+$/, "must be a deployments/ folder name"),
  deploymentsDir: z.string().min(1),
  databaseUrl: z.string().min(1),
  confirmations: z.coerce.number().int().min(0).max(1_000),
  /** Blocks behind the tip whose hashes are kept to detect reorgs. */
  reorgWindow: z.coerce.number().int().min(1).max(10_000),
  pollIntervalMs: z.coerce.number().int().min(10).max(600_000),
  /** Largest eth_getLogs range tried during backfill. */
  maxBlockRange: z.coerce.number().int().min(1).max(1_000_000),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
  metricsPort: z.coerce.number().int().min(0).max(65_535).optional(),
  /** Exit after catching up with the tip instead of following it. */
  exitAtTip: boolish,
});

export type Config = z.infer<typeof configSchema>;

/** Flag and environment variable of each setting, for error messages and --help. */
export const SETTINGS: Record<keyof Config, { flag: string; env: string }> = {
  rpcUrl: { flag: "--rpc", env: "RPC_URL" },
  network: { flag: "--network", env: "NETWORK" },
  deploymentsDir: { flag: "--deployments", env: "DEPLOYMENTS_DIR" },
  databaseUrl: { flag: "--db", env: "DATABASE_URL" },
  confirmations: { flag: "--confirmations", env: "CONFIRMATIONS" },
  reorgWindow: { flag: "--reorg-window", env: "REORG_WINDOW" },
  pollIntervalMs: { flag: "--poll-interval-ms", env: "POLL_INTERVAL_MS" },
  maxBlockRange: { flag: "--max-block-range", env: "MAX_BLOCK_RANGE" },
  logLevel: { flag: "--log-level", env: "LOG_LEVEL" },
  metricsPort: { flag: "--metrics-port", env: "METRICS_PORT" },
  exitAtTip: { flag: "--exit-at-tip", env: "EXIT_AT_TIP" },
};

export const DEFAULT_DATABASE_URL = path.join("data", "duetrail.db");

const DEFAULTS: Partial<Record<keyof Config, unknown>> = {
  rpcUrl: "http://127.0.0.1:8545",
  network: "localhost",
  deploymentsDir: "deployments",
  databaseUrl: DEFAULT_DATABASE_URL,
  confirmations: 0,
  reorgWindow: 64,
  pollIntervalMs: 500,
  maxBlockRange: 10_000,
  logLevel: "info",
  exitAtTip: false,
};

/** A setting that does not validate; the message names its flag and variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Builds the config: flags win over environment variables, which win over defaults. */
export function loadConfig(flags: Partial<Record<keyof Config, unknown>> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as (keyof Config)[]) {
    const v = flags[key] ?? env[SETTINGS[key].env] ?? DEFAULTS[key];
    if (v !== undefined && v !== "") raw[key] = v;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path[0] as keyof Config;
    const where = SETTINGS[key] ? `${SETTINGS[key].flag} (${SETTINGS[key].env})` : String(key);
    throw new ConfigError(`${where} ${issue.message}`);
  }
  return parsed.data;
}
