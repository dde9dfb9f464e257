import { createPublicClient, http, type PublicClient } from "viem";

/**
 * The viem public client the indexer and the API read the chain with. JSON-RPC batching packs
 * header fetches; retries are the caller's (the indexer's loop never skips a range), so viem's own
 * retry is off.
 */
export function createChainClient(rpcUrl: string, opts: { timeoutMs?: number } = {}): PublicClient {
  return createPublicClient({
    transport: http(rpcUrl, { batch: { batchSize: 200, wait: 0 }, retryCount: 0, timeout: opts.timeoutMs ?? 30_000 }),
  }) as PublicClient;
}
