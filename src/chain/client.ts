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
  const client = createPublicClient({
    transport: http(rpcUrl, {
      batch: { batchSize: 200, wait: 0 },
      retryCount: 0,
      timeout: opts.timeoutMs ?? 30_000,
      ...(opts.maxResponseBodySize !== undefined ? { maxResponseBodySize: opts.maxResponseBodySize } : {}),
    }),
  }) as PublicClient;
  responseLimits.set(client, opts.maxResponseBodySize ?? VIEM_MAX_RESPONSE_BYTES);
  return client;
}

/** viem's default limit on a response body. */
export const VIEM_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

const responseLimits = new WeakMap<object, number>();

/**
 * The largest response body `client` accepts (viem keeps it out of sight): what another reader of
 * the same node on the client's behalf (the indexer's read-ahead worker) must hold to as well.
 */
export function responseLimitOf(client: object): number {
  return responseLimits.get(client) ?? VIEM_MAX_RESPONSE_BYTES;
}
