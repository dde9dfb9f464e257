/**
 * The connection every on-chain command shares: `--rpc`, `--network`, `--deployments` (flags over
 * RPC_URL, NETWORK, DEPLOYMENTS_DIR, over defaults), validated with zod, then the deployment loaded
 * and checked against the node (same chain id, contracts present).
 */
import type { Command } from "commander";
import { z } from "zod";
import { createPublicClient, defineChain, http, type Chain, type PublicClient } from "viem";
import { loadDeployment, type Deployment } from "../../chain/deployments";
import { UsageError, oneLine } from "./errors";

const isHttpUrl = (s: string) => {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
};

/** --rpc, --network and --deployments, validated; each message is the line to print. */
export const connectionOptionsSchema = z.object({
  rpc: z.string().refine(isHttpUrl, "error: --rpc (RPC_URL) must be an http(s) URL"),
  network: z.string().regex(/^[A-Za-z0-9_-]+$/, "error: --network (NETWORK) must be a deployment name (letters, digits, - and _)"),
  deployments: z.string().min(1, "error: --deployments (DEPLOYMENTS_DIR) must not be empty"),
});

/** Validated connection options. */
export type ConnectionOptions = z.infer<typeof connectionOptionsSchema>;

/** Adds --rpc, --network and --deployments to a command. */
export function withConnectionOptions(cmd: Command): Command {
  return cmd
    .option("--rpc <url>", "JSON-RPC endpoint (env RPC_URL, default http://127.0.0.1:8545)")
    .option("--network <name>", "deployment to use: <deployments>/<name>/ (env NETWORK, default localhost)")
    .option("--deployments <dir>", "deployments folder (env DEPLOYMENTS_DIR, default ./deployments)");
}

/**
 * Flags over environment over defaults, validated.
 * @throws UsageError naming the flag and its variable.
 */
export function parseConnectionOptions(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const parsed = connectionOptionsSchema.safeParse({
    rpc: raw.rpc ?? (env.RPC_URL || "http://127.0.0.1:8545"),
    network: raw.network ?? (env.NETWORK || "localhost"),
    deployments: raw.deployments ?? (env.DEPLOYMENTS_DIR || "deployments"),
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  return parsed.data;
}

/** A public client on the deployment's chain. */
export interface Connection {
  rpc: string;
  client: PublicClient;
  deployment: Deployment;
  chain: Chain;
}

/**
 * Loads the deployment and checks the node serves its chain and has its contracts.
 * @throws DeploymentError (missing/malformed deployment) or UsageError (unreachable node, other
 *   chain, no contract at the address).
 */
export async function connect(opts: ConnectionOptions): Promise<Connection> {
  const deployment = loadDeployment(opts.network, opts.deployments);
  const client = createPublicClient({ transport: http(opts.rpc, { retryCount: 1, timeout: 30_000 }) }) as PublicClient;
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (err) {
    throw new UsageError(`error: cannot reach --rpc ${opts.rpc}: ${oneLine(err)}`);
  }
  if (chainId !== deployment.chainId) {
    throw new UsageError(`error: --rpc is chain ${chainId}, but deployments/${deployment.network} is chain ${deployment.chainId}`);
  }
  for (const [name, c] of [["LoanLedger", deployment.loanLedger], ["CollectionLog", deployment.collectionLog]] as const) {
    const code = await client.getCode({ address: c.address });
    if (!code || code === "0x") throw new UsageError(`error: no ${name} at ${c.address} on --rpc (stale deployments/${deployment.network}?)`);
  }
  const chain = defineChain({
    id: chainId,
    name: deployment.network,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [opts.rpc] } },
  });
  return { rpc: opts.rpc, client, deployment, chain };
}
