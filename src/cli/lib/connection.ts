/**
 * The connection every on-chain command shares: `--rpc`, `--network`, `--deployments` (flags over
 * RPC_URL, NETWORK, DEPLOYMENTS_DIR, over defaults), validated with zod, then the deployment loaded
 * and checked against the node (same chain id, contracts present).
 */
import type { Command } from "commander";
import { createPublicClient, http, type Chain, type PublicClient } from "viem";
import { chainOf } from "../../chain/client";
import { loadDeployment, type Deployment } from "../../chain/deployments";
import { ConfigError, loadSettings } from "../../config";
import { UsageError, oneLine } from "./errors";

/** Validated connection options. */
export interface ConnectionOptions {
  rpc: string;
  network: string;
  deployments: string;
}

/** Adds --rpc, --network and --deployments to a command. */
export function withConnectionOptions(cmd: Command): Command {
  return cmd
    .option("--rpc <url>", "JSON-RPC endpoint (env RPC_URL, default http://127.0.0.1:8545)")
    .option("--network <name>", "deployment to use: <deployments>/<name>/ (env NETWORK, default localhost)")
    .option("--deployments <dir>", "deployments folder (env DEPLOYMENTS_DIR, default ./deployments)");
}

/**
 * Flags over environment over defaults, validated (src/config).
 * @throws UsageError naming the flag and its variable.
 */
export function parseConnectionOptions(raw: Record<string, unknown>): ConnectionOptions {
  try {
    const c = loadSettings(["rpcUrl", "network", "deploymentsDir"], { rpcUrl: raw.rpc, network: raw.network, deploymentsDir: raw.deployments });
    return { rpc: c.rpcUrl, network: c.network, deployments: c.deploymentsDir };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`error: ${err.message}`);
    throw err;
  }
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
  return { rpc: opts.rpc, client, deployment, chain: chainOf(deployment, opts.rpc) };
}
