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
  /** Backfill: events a transaction gathers (over consecutive ranges) before it commits. */
  commitEvents: z.coerce.number().int().min(1).max(1_000_000),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
  metricsPort: z.coerce.number().int().min(0).max(65_535).optional(),
  /** Exit after catching up with the tip instead of following it. */
  exitAtTip: boolish,
  // ---- API (serve)
  port: z.coerce.number().int().min(0).max(65_535),
  host: z.string().min(1),
  /** HMAC secret for bearer tokens; at least 32 characters. */
  apiTokenSecret: z.string().min(32, "must be at least 32 characters").optional(),
  sessionTtlSec: z.coerce.number().int().min(60).max(30 * 86_400),
  corsOrigins: z.string().transform((s) => (s.trim() === "*" ? ("*" as const) : s.split(",").map((o) => o.trim()).filter(Boolean))),
  rateLimitPerMinute: z.coerce.number().int().min(1).max(10_000_000),
  evidenceDir: z.string().min(1),
  maxEvidenceBytes: z.coerce.number().int().min(1).max(1 << 30),
  /** Bytes of evidence one caller may upload in 24 hours. */
  evidenceQuotaBytesPerDay: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** Uploads are refused (507) below this much free disk in the evidence folder. */
  evidenceMinFreeBytes: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Days after which an artifact nothing cites is removed. */
  evidenceRetentionDays: z.coerce.number().int().min(1).max(36_500),
  maxLagBlocks: z.coerce.number().int().min(0),
  /** MiB of GET responses kept for the current indexed block (0: no cache). */
  responseCacheMb: z.coerce.number().int().min(0).max(65_536),
  /** Private key that relays collector actions (explicit opt-in; never committed). */
  relayerKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key").optional(),
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
  commitEvents: { flag: "--commit-events", env: "COMMIT_EVENTS" },
  logLevel: { flag: "--log-level", env: "LOG_LEVEL" },
  metricsPort: { flag: "--metrics-port", env: "METRICS_PORT" },
  exitAtTip: { flag: "--exit-at-tip", env: "EXIT_AT_TIP" },
  port: { flag: "--port", env: "PORT" },
  host: { flag: "--host", env: "HOST" },
  apiTokenSecret: { flag: "--token-secret", env: "API_TOKEN_SECRET" },
  sessionTtlSec: { flag: "--session-ttl-sec", env: "SESSION_TTL_SEC" },
  corsOrigins: { flag: "--cors-origins", env: "CORS_ORIGINS" },
  rateLimitPerMinute: { flag: "--rate-limit", env: "RATE_LIMIT_PER_MINUTE" },
  evidenceDir: { flag: "--evidence-dir", env: "EVIDENCE_DIR" },
  maxEvidenceBytes: { flag: "--max-evidence-bytes", env: "MAX_EVIDENCE_BYTES" },
  evidenceQuotaBytesPerDay: { flag: "--evidence-quota-bytes-per-day", env: "EVIDENCE_QUOTA_BYTES_PER_DAY" },
  evidenceMinFreeBytes: { flag: "--evidence-min-free-bytes", env: "EVIDENCE_MIN_FREE_BYTES" },
  evidenceRetentionDays: { flag: "--evidence-retention-days", env: "EVIDENCE_RETENTION_DAYS" },
  maxLagBlocks: { flag: "--max-lag-blocks", env: "MAX_LAG_BLOCKS" },
  responseCacheMb: { flag: "--response-cache-mb", env: "RESPONSE_CACHE_MB" },
  relayerKey: { flag: "--relayer-key", env: "RELAYER_KEY" },
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
  commitEvents: 10_000,
  logLevel: "info",
  exitAtTip: false,
  port: 8080,
  host: "127.0.0.1",
  sessionTtlSec: 86_400,
  corsOrigins: "*",
  rateLimitPerMinute: 600,
  evidenceDir: path.join("data", "evidence"),
  maxEvidenceBytes: 25 * 1024 * 1024,
  evidenceQuotaBytesPerDay: 1024 ** 3,
  evidenceMinFreeBytes: 1024 ** 3,
  evidenceRetentionDays: 30,
  maxLagBlocks: 10,
  responseCacheMb: 64,
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
