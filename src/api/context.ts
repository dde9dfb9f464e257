import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { PublicClient, WalletClient } from "viem";
import type { Registry } from "prom-client";
import type { Database } from "../db/schema";
import type { Dialect } from "../db/connect";
import type { Deployment } from "../chain/deployments";
import type { CacheShare, ResponseCache } from "./services/response-cache";
import type { Relayer } from "./services/relayer";
import type { StreamHub } from "./services/stream-hub";
import type { TokenClaims } from "./auth/tokens";
import type { PiiKeyring } from "../pii/crypto";

export interface ApiOptions {
  /** The web console's built assets (CONSOLE_DIR), served at /; none when it has no index.html. */
  consoleDir?: string;
  /** Demo only (DEMO_TOKENS_FILE): the role picker's tokens, at GET /demo/tokens. */
  demoTokensFile?: string;
  /** HMAC secret of bearer tokens (API_TOKEN_SECRET). */
  tokenSecret: string;
  /** Lifetime of a Sign-In with Ethereum session token. */
  sessionTtlSec: number;
  /**
   * Sign-In with Ethereum: the domain (host[:port]) and URI origin every message must name
   * (SIWE_DOMAIN, SIWE_URI); the chain id is the deployment's. Never taken from the request:
   * without both, sign-in is refused (503).
   */
  siweDomain?: string;
  siweUri?: string;
  /** Unused sign-in nonces one client address may hold (default 20). */
  siweNoncesPerClient?: number;
  /** Longest accepted service-token lifetime, days (default 365). */
  serviceTokenMaxDays?: number;
  /** Allowed CORS origins ("*" for any); none (same origin only) when empty. */
  corsOrigins: string[] | "*";
  /** Express's `trust proxy` (TRUST_PROXY): false unless configured. */
  trustProxy?: boolean | number | string;
  /** Bearer token /metrics requires when set (METRICS_TOKEN). */
  metricsToken?: string;
  /** /metrics is served elsewhere (METRICS_PORT): the API port answers 404 for it. */
  metricsElsewhere?: boolean;
  /** Idempotency keys one caller may hold at once (default 1,000; each kept 24 h). */
  idempotencyKeysPerCaller?: number;
  /** Relayed actions per caller per 24 h (default 500). */
  relayBudgetPerDay?: number;
  /** How long a relayed action waits for its receipt before answering 202 pending (default 15 s). */
  relayWaitMs?: number;
  /** Requests per minute per token (or per IP without one). */
  rateLimitPerMinute: number;
  /** Content-addressed evidence store. */
  evidenceDir: string;
  /**
   * The secret SMS delivery receipts are signed with (SMS_RECEIPT_SECRET) and their timestamp
   * tolerance; without the secret the receipt endpoint answers 503.
   */
  smsReceiptSecret?: string;
  smsReceiptToleranceSec?: number;
  /** Largest accepted evidence upload, bytes. */
  maxEvidenceBytes: number;
  /** Bytes one caller may upload as evidence in 24 hours (server clock). */
  evidenceQuotaBytesPerDay: number;
  /** Uploads are refused (507) while the evidence folder's file system has less free space than this. */
  evidenceMinFreeBytes: number;
  /** Artifacts nothing cites are removed this many days after their newest upload. */
  evidenceRetentionDays: number;
  /** /readyz fails when the indexer is more than this many blocks behind the chain head. */
  maxLagBlocks: number;
  /**
   * Bytes of responses of read-only GET routes kept for the current indexed block (see
   * services/response-cache.ts); 0 disables the cache. Default 64 MiB.
   */
  responseCacheBytes?: number;
  /** GET /v1/stream: how often the process's one shared poll reads the database for new events (default 500 ms). */
  streamPollMs?: number;
  /** GET /v1/stream: interval of heartbeat comments (default 15 s). */
  streamHeartbeatMs?: number;
  /** GET /v1/stream: open streams per caller (STREAM_MAX_PER_CALLER, default 5); more get 429. */
  streamMaxPerCaller?: number;
  /** GET /v1/stream: open streams in all, per API process (STREAM_MAX_TOTAL, default 1000); more get 429. */
  streamMaxTotal?: number;
  /** GET /v1/stream: how often each open stream's token is checked with `isRevoked` (default 5 s). */
  streamAuthCheckMs?: number;
}

/** Everything the routes use, passed in once (Ponder style): no module reads globals or env. */
export interface ApiServices {
  db: Kysely<Database>;
  dialect: Dialect;
  logger: Logger;
  registry: Registry;
  /** /metrics text when it is not `registry`'s alone (a cluster worker: every worker's, aggregated). */
  metrics?: () => Promise<string>;
  options: ApiOptions;
  /** Chain access: trailOf checks, relaying actions, head for /readyz. Optional in tests. */
  chain?: {
    client: PublicClient;
    deployment: Deployment;
    /** Relays collector actions when configured explicitly (RELAYER_KEY). */
    relayer?: WalletClient;
  };
  /**
   * The keys of the borrower contact directory (PII_KEY, PII_KEY_PREVIOUS). Without them the
   * contact routes answer 503 (erasure excepted: it needs no key).
   */
  pii?: PiiKeyring;
  /** Responses per indexed block (createApp makes it from options.responseCacheBytes). */
  cache?: ResponseCache;
  /** A cluster worker's link to the other workers' response caches (src/api/cluster.ts). */
  cacheShare?: CacheShare;
  /** The relayer's nonce queue and relay records (createApp makes it when chain.relayer is set). */
  relays?: Relayer;
  /** The server's clock in seconds (token expiry, nonces) — never used for chain figures. */
  now: () => number;
  /**
   * Whether a token that verified has since been revoked (token revocation). When set, every open
   * GET /v1/stream asks it about its token every `streamAuthCheckMs` and whenever its caller's
   * access is re-resolved, and ends with `event: end` `{ reason: "token_revoked" }` on true. Keep it
   * cheap (it is called per stream); a throw is retried at the next poll, with nothing sent before.
   */
  isRevoked?: (claims: TokenClaims) => boolean | Promise<boolean>;
  /** The shared poll of GET /v1/stream (registerStreamRoutes makes one per app when absent). */
  streamHub?: StreamHub;
}
