import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { DAY_SECONDS } from "../domain/constants";
import { ConfigError } from "./errors";
import { parsePiiKey, type PiiKey } from "../pii/crypto";

/**
 * Configuration, parsed once at start from CLI flags over environment variables; nothing else
 * reads process.env. Errors name the setting (flag and variable). Secrets (the token secret, the
 * relayer key, the metrics token, the PII keys, the channels' credentials and signing keys:
 * SECRET_SETTINGS) have no flag: a command line is visible to every local user in
 * the process list, so they come only from the environment, or from a file whose path is in the
 * environment (`<NAME>_FILE`, e.g. a mounted Docker or Kubernetes secret).
 */
const boolish = z.union([z.boolean(), z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1")]);

export const configSchema = z.object({
  rpcUrl: z.string().url({ message: "must be an http(s) URL" }).refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL"),
  network: z.string().regex(/^[A-Za-z0-9_-]+$/, "must be a deployment name (letters, digits, - and _)"),
  deploymentsDir: z.string().min(1, "must not be empty"),
  databaseUrl: z.string().min(1),
  confirmations: z.coerce.number().int().min(0).max(1_000),
  /** Blocks behind the tip whose hashes are kept to detect reorgs. */
  reorgWindow: z.coerce.number().int().min(1).max(10_000),
  pollIntervalMs: z.coerce.number().int().min(10).max(600_000),
  /** index: the node's WebSocket endpoint; new heads announced there end the wait at the tip early (polling stays the fallback). */
  rpcWsUrl: z.string().url({ message: "must be a ws(s) URL" }).refine((u) => /^wss?:\/\//.test(u), "must be a ws(s) URL").optional(),
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
  sessionTtlSec: z.coerce.number().int().min(60).max(30 * DAY_SECONDS),
  /** Origins allowed cross-origin access; none by default (same origin only). */
  corsOrigins: z
    .string()
    .optional()
    .transform((s): string[] | "*" => (s === undefined ? [] : s.trim() === "*" ? "*" : s.split(",").map((o) => o.trim()).filter(Boolean))),
  /** Express's `trust proxy`: false (default), true, a hop count, or addresses/subnets (comma-separated). */
  trustProxy: z.union([z.boolean(), z.string()]).transform((v, ctx) => parseTrustProxy(v, ctx)),
  /** Sign-In with Ethereum: the domain (host[:port]) and URI origin messages must name. Sign-in is off without both. */
  siweDomain: z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, "must be a host name with an optional :port, as in a SIWE message (no scheme, no path)").optional(),
  siweUri: z
    .string()
    .url({ message: "must be an absolute URL (the site's origin, e.g. https://duetrail.example.com)" })
    .refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL")
    .optional(),
  /** Sign-in nonces a client address may hold unused at once. */
  siweNoncesPerClient: z.coerce.number().int().min(1).max(10_000),
  /** Longest lifetime of a service token, days (the `token` command and the server both enforce it). */
  serviceTokenMaxDays: z.coerce.number().int().min(1).max(3_650),
  /** serve: Prometheus /metrics on this port (host HOST) instead of the API's port. */
  apiMetricsPort: z.coerce.number().int().min(0).max(65_535).optional(),
  /** Bearer token /metrics requires (env only); without it /metrics is open unless moved with apiMetricsPort. */
  metricsToken: z.string().min(16, "must be at least 16 characters").optional(),
  /** Idempotency keys a caller may hold at once (each kept 24 h). */
  idempotencyKeysPerCaller: z.coerce.number().int().min(1).max(1_000_000),
  /** Relayed actions a caller may have the API send per 24 h. */
  relayBudgetPerDay: z.coerce.number().int().min(0).max(1_000_000),
  /** How long a relayed action waits for inclusion before answering 202 pending. */
  relayWaitMs: z.coerce.number().int().min(0).max(600_000),
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
  /** MiB of GET responses kept for the current indexed block (0: no cache), per API process. */
  responseCacheMb: z.coerce.number().int().min(0).max(65_536),
  /** serve: API processes sharing the port (Node's cluster); 1 serves in the command's own process. */
  apiWorkers: z.coerce.number().int().min(1).max(64),
  /** serve on PostgreSQL: the most connections each API process opens to the database (SQLite has one). */
  dbPoolSize: z.coerce.number().int().min(1).max(1_000),
  /** GET /v1/stream: open streams per caller (429 above). */
  streamMaxPerCaller: z.coerce.number().int().min(1).max(100_000),
  /** GET /v1/stream: open streams in all, per API process (429 above). */
  streamMaxTotal: z.coerce.number().int().min(1).max(1_000_000),
  /** The web console's built assets (served at /); none served when the folder has no index.html. */
  consoleDir: z.string().min(1),
  /** Demo only: a JSON file of bearer tokens by role that the console's role picker reads (GET /demo/tokens); unset, the route does not exist. */
  demoTokensFile: z.string().min(1).optional(),
  /** Private key that relays collector actions (explicit opt-in; never committed). */
  relayerKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key").optional(),
  /** Data key sealing borrower contact data at rest, `<key id>:<32 bytes, hex or base64>` (env only; src/pii/crypto.ts). */
  piiKey: piiKeySetting(),
  /** The key PII_KEY replaced, while `borrowers rekey` moves rows off it (env only). */
  piiKeyPrevious: piiKeySetting(),
  // ---- notices (src/notify/channels)
  /** SMTP server of the email channel; the email channel is off without it. */
  smtpHost: z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, "must be a host name or an IP address").optional(),
  smtpPort: z.coerce.number().int().min(1).max(65_535),
  /** Implicit TLS from the first byte (usually port 465); otherwise plain SMTP upgraded by STARTTLS. */
  smtpSecure: boolish,
  /** Without implicit TLS: refuse to send unless the server upgrades the connection by STARTTLS. */
  smtpRequireTls: boolish,
  smtpUser: z.string().min(1).optional(),
  /** SMTP password (env only). */
  smtpPassword: z.string().min(1).optional(),
  /** The From of notices' email: `notices@example.com` or `Name <notices@example.com>`; its domain also names the Message-IDs. */
  smtpFrom: z.string().regex(/^(?:[^<>\r\n]*<[^\s@<>]+@[A-Za-z0-9.-]+>|[^\s@<>]+@[A-Za-z0-9.-]+)$/, "must be an address or Name <address>"),
  /** Connections the email channel's pool keeps open to the SMTP server. */
  smtpMaxConnections: z.coerce.number().int().min(1).max(100),
  /** How long a channel waits for its provider (connecting, an HTTP answer, an SMTP greeting). */
  channelTimeoutMs: z.coerce.number().int().min(100).max(600_000),
  /** Base URL of the SMS provider's Messages API (POST <url>/Messages); the SMS channel is off without it. */
  smsApiUrl: z.string().url({ message: "must be an http(s) URL" }).refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL").optional(),
  /** The account the SMS provider knows us by (Basic auth user). */
  smsApiUser: z.string().min(1).optional(),
  /** The SMS provider's API token (Basic auth password; env only). */
  smsApiToken: z.string().min(1).optional(),
  /** Sender: an E.164 number or an alphanumeric sender id (up to 11 characters). */
  smsFrom: z.string().regex(/^(\+[1-9]\d{1,14}|[A-Za-z0-9 ]{1,11})$/, "must be an E.164 number or an alphanumeric sender id of at most 11 characters").optional(),
  /** Where the provider posts delivery receipts (the API's receipt endpoint, as the provider reaches it). */
  smsStatusCallbackUrl: z.string().url({ message: "must be an http(s) URL" }).refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL").optional(),
  /** HMAC key of delivery receipts (env only). */
  smsReceiptSecret: z.string().min(32, "must be at least 32 characters").optional(),
  /** How far a receipt's signed timestamp may be from the server clock. */
  smsReceiptToleranceSec: z.coerce.number().int().min(1).max(3_600),
  /** Standard Webhooks signing secret, `whsec_` + base64 of 24 to 64 random bytes (env only). */
  webhookSecret: z
    .string()
    .refine((s) => /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(s) && Buffer.from(s.slice(6), "base64").length >= 24 && Buffer.from(s.slice(6), "base64").length <= 64, "must be whsec_ followed by the base64 of 24 to 64 bytes")
    .optional(),
  /** Where letters' print packs go (the PDF, its address sheet, letters.jsonl). */
  lettersDir: z.string().min(1),
  /** Tries of one notice before it fails (a webhook's dead-letter state). */
  notifyMaxAttempts: z.coerce.number().int().min(1).max(100),
  // ---- the dispatcher (`notify`, src/notify/run.ts)
  /** How often the dispatcher looks for due notices and new trigger events. */
  notifyPollMs: z.coerce.number().int().min(10).max(600_000),
  /** Trigger events older than this many chain days when planned make no notice. */
  notifyMaxAgeDays: z.coerce.number().int().min(0).max(3_650),
  /** Notices claimed per pass, and sent at once. */
  notifyBatch: z.coerce.number().int().min(1).max(10_000),
  notifyConcurrency: z.coerce.number().int().min(1).max(1_000),
  /** How long a claim holds a notice: another dispatcher takes it over after this (a dispatcher killed mid-send). */
  notifyLeaseMs: z.coerce.number().int().min(1_000).max(3_600_000),
  /** Chain seconds an SMS waits for its delivery receipt before it is recorded as sent, unconfirmed. */
  smsReceiptTimeoutSec: z.coerce.number().int().min(60).max(30 * DAY_SECONDS),
  /** The notifier's key: records sent notices in CollectionLog (an account the lender assigns as a collector). */
  notifierKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key").optional(),
});

/** A PII data key setting: parsed into a {@link PiiKey}; its message never quotes the value. */
function piiKeySetting() {
  return z
    .string()
    .transform((s, ctx): PiiKey => {
      const k = parsePiiKey(s);
      if ("problem" in k) {
        ctx.addIssue({ code: "custom", message: k.problem });
        return z.NEVER;
      }
      return k;
    })
    .optional();
}

export type Config = z.infer<typeof configSchema>;

/** `trust proxy` as express reads it: booleans, a hop count, or a comma-separated list of addresses, subnets or names (loopback, linklocal, uniquelocal). */
function parseTrustProxy(v: boolean | string, ctx: z.RefinementCtx): boolean | number | string {
  if (typeof v === "boolean") return v;
  const t = v.trim();
  if (t === "true" || t === "false") return t === "true";
  if (/^\d+$/.test(t)) return Number(t);
  const parts = t.split(",").map((p) => p.trim());
  const ok = parts.every((p) => /^(loopback|linklocal|uniquelocal)$/.test(p) || /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(p));
  if (!ok) {
    ctx.addIssue({ code: "custom", message: "must be true, false, a hop count, or comma-separated addresses/subnets (loopback, linklocal, uniquelocal, 10.0.0.0/8, ...)" });
    return z.NEVER;
  }
  return parts.join(",");
}

/** A setting's flag (none for secrets) and environment variable, for error messages and --help. */
export interface Setting {
  /** Absent for secrets: they come only from the environment (or `<env>_FILE`). */
  flag?: string;
  env: string;
}

/** Settings that are secrets: no flag; `<env>` or a file named by `<env>_FILE`. */
export const SECRET_SETTINGS = ["apiTokenSecret", "relayerKey", "metricsToken", "piiKey", "piiKeyPrevious", "smtpPassword", "smsApiToken", "smsReceiptSecret", "webhookSecret", "notifierKey"] as const satisfies readonly (keyof Config)[];

/** Flag and environment variable of each setting, for error messages and --help. */
export const SETTINGS: Record<keyof Config, Setting> = {
  rpcUrl: { flag: "--rpc", env: "RPC_URL" },
  network: { flag: "--network", env: "NETWORK" },
  deploymentsDir: { flag: "--deployments", env: "DEPLOYMENTS_DIR" },
  databaseUrl: { flag: "--db", env: "DATABASE_URL" },
  confirmations: { flag: "--confirmations", env: "CONFIRMATIONS" },
  reorgWindow: { flag: "--reorg-window", env: "REORG_WINDOW" },
  pollIntervalMs: { flag: "--poll-interval-ms", env: "POLL_INTERVAL_MS" },
  rpcWsUrl: { flag: "--ws-url", env: "RPC_WS_URL" },
  maxBlockRange: { flag: "--max-block-range", env: "MAX_BLOCK_RANGE" },
  commitEvents: { flag: "--commit-events", env: "COMMIT_EVENTS" },
  logLevel: { flag: "--log-level", env: "LOG_LEVEL" },
  metricsPort: { flag: "--metrics-port", env: "METRICS_PORT" },
  exitAtTip: { flag: "--exit-at-tip", env: "EXIT_AT_TIP" },
  port: { flag: "--port", env: "PORT" },
  host: { flag: "--host", env: "HOST" },
  apiTokenSecret: { env: "API_TOKEN_SECRET" },
  sessionTtlSec: { flag: "--session-ttl-sec", env: "SESSION_TTL_SEC" },
  corsOrigins: { flag: "--cors-origins", env: "CORS_ORIGINS" },
  trustProxy: { flag: "--trust-proxy", env: "TRUST_PROXY" },
  siweDomain: { flag: "--siwe-domain", env: "SIWE_DOMAIN" },
  siweUri: { flag: "--siwe-uri", env: "SIWE_URI" },
  siweNoncesPerClient: { flag: "--siwe-nonces-per-client", env: "SIWE_NONCES_PER_CLIENT" },
  serviceTokenMaxDays: { flag: "--service-token-max-days", env: "SERVICE_TOKEN_MAX_DAYS" },
  metricsToken: { env: "METRICS_TOKEN" },
  apiMetricsPort: { flag: "--metrics-port", env: "API_METRICS_PORT" },
  idempotencyKeysPerCaller: { flag: "--idempotency-keys-per-caller", env: "IDEMPOTENCY_KEYS_PER_CALLER" },
  relayBudgetPerDay: { flag: "--relay-budget-per-day", env: "RELAY_BUDGET_PER_DAY" },
  relayWaitMs: { flag: "--relay-wait-ms", env: "RELAY_WAIT_MS" },
  rateLimitPerMinute: { flag: "--rate-limit", env: "RATE_LIMIT_PER_MINUTE" },
  evidenceDir: { flag: "--evidence-dir", env: "EVIDENCE_DIR" },
  maxEvidenceBytes: { flag: "--max-evidence-bytes", env: "MAX_EVIDENCE_BYTES" },
  evidenceQuotaBytesPerDay: { flag: "--evidence-quota-bytes-per-day", env: "EVIDENCE_QUOTA_BYTES_PER_DAY" },
  evidenceMinFreeBytes: { flag: "--evidence-min-free-bytes", env: "EVIDENCE_MIN_FREE_BYTES" },
  evidenceRetentionDays: { flag: "--evidence-retention-days", env: "EVIDENCE_RETENTION_DAYS" },
  maxLagBlocks: { flag: "--max-lag-blocks", env: "MAX_LAG_BLOCKS" },
  responseCacheMb: { flag: "--response-cache-mb", env: "RESPONSE_CACHE_MB" },
  apiWorkers: { flag: "--workers", env: "API_WORKERS" },
  dbPoolSize: { flag: "--db-pool-size", env: "DB_POOL_SIZE" },
  relayerKey: { env: "RELAYER_KEY" },
  streamMaxPerCaller: { flag: "--stream-max-per-caller", env: "STREAM_MAX_PER_CALLER" },
  streamMaxTotal: { flag: "--stream-max-total", env: "STREAM_MAX_TOTAL" },
  consoleDir: { flag: "--console-dir", env: "CONSOLE_DIR" },
  demoTokensFile: { env: "DEMO_TOKENS_FILE" },
  piiKey: { env: "PII_KEY" },
  piiKeyPrevious: { env: "PII_KEY_PREVIOUS" },
  smtpHost: { flag: "--smtp-host", env: "SMTP_HOST" },
  smtpPort: { flag: "--smtp-port", env: "SMTP_PORT" },
  smtpSecure: { flag: "--smtp-secure", env: "SMTP_SECURE" },
  smtpRequireTls: { flag: "--smtp-require-tls", env: "SMTP_REQUIRE_TLS" },
  smtpUser: { flag: "--smtp-user", env: "SMTP_USER" },
  smtpPassword: { env: "SMTP_PASSWORD" },
  smtpFrom: { flag: "--smtp-from", env: "SMTP_FROM" },
  smtpMaxConnections: { flag: "--smtp-max-connections", env: "SMTP_MAX_CONNECTIONS" },
  channelTimeoutMs: { flag: "--channel-timeout-ms", env: "CHANNEL_TIMEOUT_MS" },
  smsApiUrl: { flag: "--sms-api-url", env: "SMS_API_URL" },
  smsApiUser: { flag: "--sms-api-user", env: "SMS_API_USER" },
  smsApiToken: { env: "SMS_API_TOKEN" },
  smsFrom: { flag: "--sms-from", env: "SMS_FROM" },
  smsStatusCallbackUrl: { flag: "--sms-status-callback-url", env: "SMS_STATUS_CALLBACK_URL" },
  smsReceiptSecret: { env: "SMS_RECEIPT_SECRET" },
  smsReceiptToleranceSec: { flag: "--sms-receipt-tolerance-sec", env: "SMS_RECEIPT_TOLERANCE_SEC" },
  webhookSecret: { env: "WEBHOOK_SECRET" },
  lettersDir: { flag: "--letters-dir", env: "LETTERS_DIR" },
  notifyMaxAttempts: { flag: "--notify-max-attempts", env: "NOTIFY_MAX_ATTEMPTS" },
  notifyPollMs: { flag: "--poll-ms", env: "NOTIFY_POLL_MS" },
  notifyMaxAgeDays: { flag: "--max-age-days", env: "NOTIFY_MAX_AGE_DAYS" },
  notifyBatch: { flag: "--batch", env: "NOTIFY_BATCH" },
  notifyConcurrency: { flag: "--concurrency", env: "NOTIFY_CONCURRENCY" },
  notifyLeaseMs: { flag: "--lease-ms", env: "NOTIFY_LEASE_MS" },
  smsReceiptTimeoutSec: { flag: "--sms-receipt-timeout-sec", env: "SMS_RECEIPT_TIMEOUT_SEC" },
  notifierKey: { env: "NOTIFIER_KEY" },
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
  sessionTtlSec: DAY_SECONDS,
  trustProxy: false,
  siweNoncesPerClient: 20,
  serviceTokenMaxDays: 365,
  idempotencyKeysPerCaller: 1_000,
  relayBudgetPerDay: 500,
  relayWaitMs: 15_000,
  rateLimitPerMinute: 600,
  evidenceDir: path.join("data", "evidence"),
  maxEvidenceBytes: 25 * 1024 * 1024,
  evidenceQuotaBytesPerDay: 1024 ** 3,
  evidenceMinFreeBytes: 1024 ** 3,
  evidenceRetentionDays: 30,
  maxLagBlocks: 10,
  responseCacheMb: 64,
  apiWorkers: 1,
  dbPoolSize: 10,
  streamMaxPerCaller: 5,
  streamMaxTotal: 1_000,
  consoleDir: path.join("console", "dist"),
  smtpPort: 587,
  smtpSecure: false,
  // Closed: credentials and notices never cross the network in clear unless someone says so (the demo's loopback stand-in does).
  smtpRequireTls: true,
  smtpFrom: "Duetrail <notices@duetrail.localhost>",
  smtpMaxConnections: 5,
  channelTimeoutMs: 10_000,
  smsReceiptToleranceSec: 300,
  lettersDir: path.join("data", "letters"),
  notifyMaxAttempts: 8,
  notifyPollMs: 1_000,
  notifyMaxAgeDays: 7,
  notifyBatch: 200,
  notifyConcurrency: 32,
  notifyLeaseMs: 60_000,
  smsReceiptTimeoutSec: 3_600,
};

/** A setting that does not validate (src/config/errors.ts). */
export { ConfigError };

/** How a setting is named in messages: `--flag (ENV)`, or `ENV` for a secret. */
export function settingName(key: keyof Config): string {
  const s = SETTINGS[key];
  return s.flag ? `${s.flag} (${s.env})` : s.env;
}

const isSecret = (key: keyof Config): boolean => (SECRET_SETTINGS as readonly string[]).includes(key);

/** A secret from `env[name]` or the file named by `env[name_FILE]` (one trailing newline dropped); never both. */
function secretFrom(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct && file) throw new ConfigError(`${name} and ${name}_FILE are both set: set one`);
  if (!file) return direct;
  try {
    return fs.readFileSync(file, "utf8").replace(/\r?\n$/, "");
  } catch (err) {
    throw new ConfigError(`${name}_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

/** The raw value of `key`: its flag, else its variable, else its default (a secret from the environment only). */
function rawValue(key: keyof Config, flags: Partial<Record<keyof Config, unknown>>, env: NodeJS.ProcessEnv): unknown {
  if (isSecret(key)) {
    if (flags[key] !== undefined) throw new ConfigError(`${SETTINGS[key].env} is a secret: set it in the environment (or ${SETTINGS[key].env}_FILE), never as a flag`);
    return secretFrom(SETTINGS[key].env, env);
  }
  return flags[key] ?? env[SETTINGS[key].env] ?? DEFAULTS[key];
}

/** Validates the raw values of `keys` with their part of the schema; the error names the first bad setting. */
function parse<K extends keyof Config>(keys: readonly K[], flags: Partial<Record<keyof Config, unknown>>, env: NodeJS.ProcessEnv): Pick<Config, K> {
  const raw: Record<string, unknown> = {};
  for (const key of keys) {
    const v = rawValue(key, flags, env);
    if (v !== undefined && v !== "") raw[key] = v;
  }
  // The schema of these keys only (a loose record type: zod's pick over a generic key set does not narrow).
  const mask = Object.fromEntries(keys.map((k) => [k, true])) as Record<keyof Config, true>;
  const parsed = configSchema.pick(mask).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path[0] as keyof Config;
    const where = SETTINGS[key] ? settingName(key) : String(key);
    throw new ConfigError(`${where} ${issue.message}`);
  }
  return parsed.data as unknown as Pick<Config, K>;
}

/**
 * Builds the config: flags win over environment variables, which win over defaults. Secrets are
 * read from the environment only; a flag value given for one is refused.
 */
export function loadConfig(flags: Partial<Record<keyof Config, unknown>> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  return parse(Object.keys(SETTINGS) as (keyof Config)[], flags, env);
}

/**
 * The settings `keys` only (a command reads what it uses, so a bad unrelated variable does not
 * stop it), with the same precedence and errors as {@link loadConfig}.
 */
export function loadSettings<K extends keyof Config>(keys: readonly K[], flags: Partial<Record<keyof Config, unknown>> = {}, env: NodeJS.ProcessEnv = process.env): Pick<Config, K> {
  return parse(keys, flags, env);
}

/**
 * A value the user keeps in a variable of its own naming (a signing key named by `--key-env`):
 * `env[name]`, or the file named by `env[name_FILE]`. The one other place, besides the settings,
 * where the environment is read.
 */
export function fromEnvironment(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return secretFrom(name, env);
}
