import { createPublicClient, http, type PublicClient } from "viem";

export interface ChainClientOptions {
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Largest response body accepted, in bytes (default viem's, 10 MiB); larger ones fail as too large. */
  maxResponseBodySize?: number;
}

/**
 * The viem public client the indexer and the API read the chain with. JSON-RPC batching packs
 * header fetches; retries are the caller's (the indexer's loop never skips a range), so viem's own
 * retry is off.
 */
export function createChainClient(rpcUrl: string, opts: ChainClientOptions = {}): PublicClient {
  return createPublicClient({
    transport: http(rpcUrl, {
      batch: { batchSize: 200, wait: 0 },
      retryCount: 0,
      timeout: opts.timeoutMs ?? 30_000,
      ...(opts.maxResponseBodySize !== undefined ? { maxResponseBodySize: opts.maxResponseBodySize } : {}),
    }),
  }) as PublicClient;
}
