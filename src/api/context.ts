import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { PublicClient, WalletClient } from "viem";
import type { Registry } from "prom-client";
import type { Database } from "../db/schema";
import type { Dialect } from "../db/connect";
import type { Deployment } from "../chain/deployments";
import type { ResponseCache } from "./services/response-cache";

export interface ApiOptions {
  /** HMAC secret of bearer tokens (API_TOKEN_SECRET). */
  tokenSecret: string;
  /** Lifetime of a Sign-In with Ethereum session token. */
  sessionTtlSec: number;
  /** The domain SIWE messages must name (default: the request's Host). */
  siweDomain?: string;
  /** Allowed CORS origins ("*" for any). */
  corsOrigins: string[] | "*";
  /** Requests per minute per token (or per IP without one). */
  rateLimitPerMinute: number;
  /** Content-addressed evidence store. */
  evidenceDir: string;
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
  /** GET /v1/stream: how often a connection polls the database for new events (default 500 ms). */
  streamPollMs?: number;
  /** GET /v1/stream: interval of heartbeat comments (default 15 s). */
  streamHeartbeatMs?: number;
}

/** Everything the routes use, passed in once (Ponder style): no module reads globals or env. */
export interface ApiServices {
  db: Kysely<Database>;
  dialect: Dialect;
  logger: Logger;
  registry: Registry;
  options: ApiOptions;
  /** Chain access: trailOf checks, relaying actions, head for /readyz. Optional in tests. */
  chain?: {
    client: PublicClient;
    deployment: Deployment;
    /** Relays collector actions when configured explicitly (RELAYER_KEY). */
    relayer?: WalletClient;
  };
  /** Responses per indexed block (createApp makes it from options.responseCacheBytes). */
  cache?: ResponseCache;
  /** The server's clock in seconds (token expiry, nonces) — never used for chain figures. */
  now: () => number;
}
