import { createPublicClient, defineChain, http, type Chain, type PublicClient } from "viem";
import type { Deployment } from "./deployments";

/**
 * The viem chain of a deployment (chain id and name from deployments/, the RPC URL given): the one
 * place it is built, for wallet clients that sign and send. viem/chains is not imported: its types
 * pull in sources that do not type-check under this tsconfig, and the deployment already says which
 * chain it is.
 */
export function chainOf(deployment: Pick<Deployment, "chainId" | "network">, rpcUrl?: string): Chain {
  return defineChain({
    id: deployment.chainId,
    name: deployment.network,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: rpcUrl ? [rpcUrl] : [] } },
  });
}

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
