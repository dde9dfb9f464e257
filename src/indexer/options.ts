import type { Logger } from "pino";
import type { PublicClient } from "viem";
import type { Deployment } from "../chain/deployments";
import type { DatabaseHandle } from "../db/connect";
import type { IndexerMetrics } from "./metrics";

export interface IndexerOptions {
  confirmations: number;
  reorgWindow: number;
  pollIntervalMs: number;
  /**
   * The node's WebSocket endpoint (ws:// or wss://): at the tip, a newHeads notification ends the
   * wait for the next poll at once (realtime/heads.ts). Without it, or while it is down, polling.
   */
  rpcWsUrl?: string;
  maxBlockRange: number;
  /**
   * Backfill: a transaction gathers consecutive ranges until it holds this many events (or
   * GROUP_MS of work), then commits with its cursor; default 10,000. 1 commits every range.
   */
  commitEvents?: number;
  /** Resolve run() once the tip is reached instead of following it. */
  exitAtTip?: boolean;
  /**
   * Projections kept in memory between batches (bounds memory whatever the chain length); default
   * 10,000 (about 3 KB each; a miss costs one read of the loans row and its installments).
   */
  cacheSize?: number;
}

/** What every part of the indexer is handed (Ponder's `common`): logs and metrics. */
export interface IndexerServices {
  logger: Logger;
  metrics: IndexerMetrics;
}

export interface CreateIndexerParameters {
  client: PublicClient;
  database: DatabaseHandle;
  deployment: Deployment;
  options: IndexerOptions;
  services: IndexerServices;
}
