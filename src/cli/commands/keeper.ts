import type { Command } from "commander";
import { z } from "zod";
import { createWalletClient, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { loanLedgerAbi } from "../../chain/abis";
import { createChainClient } from "../../chain/client";
import { DeploymentError, loadDeployment } from "../../chain/deployments";
import { createLogger } from "../../config/logger";
import { errorSummary, sleep } from "../../indexer/rpc";

const Options = z.object({
  rpc: z.string().regex(/^https?:\/\//, "--rpc must be an http(s) URL"),
  network: z.string().regex(/^[A-Za-z0-9_-]+$/, "--network must be a deployments/ folder name"),
  deployments: z.string().min(1),
  intervalMs: z.coerce.number().int().min(100, "--interval-ms must be at least 100").max(3_600_000),
  key: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "KEEPER_KEY (or --key) must be a 0x-prefixed 32-byte hex private key"),
  once: z.boolean().default(false),
});

/**
 * `keeper`: Chainlink Automation's loop run locally — checkUpkeep, then performUpkeep with the
 * loans it returns, every interval. performUpkeep re-checks each loan on chain, so a stale list
 * costs nothing but a revert.
 */
export function registerKeeperCommand(program: Command): void {
  program
    .command("keeper")
    .description("poke due loans (checkUpkeep/performUpkeep) every few seconds against any node")
    .option("--rpc <url>", "JSON-RPC endpoint (env RPC_URL)")
    .option("--network <name>", "deployments/<name>/ to read (env NETWORK)", "localhost")
    .option("--deployments <dir>", "deployments folder (env DEPLOYMENTS_DIR)", "deployments")
    .option("--interval-ms <ms>", "how often to check", "5000")
    .option("--key <hex>", "the keeper's private key (prefer env KEEPER_KEY)")
    .option("--once", "check and perform once, then exit")
    .action(async (raw: Record<string, unknown>) => {
      const parsed = Options.safeParse({
        rpc: raw.rpc ?? process.env.RPC_URL ?? "http://127.0.0.1:8545",
        network: process.env.NETWORK ?? raw.network,
        deployments: process.env.DEPLOYMENTS_DIR ?? raw.deployments,
        intervalMs: raw.intervalMs,
        key: raw.key ?? process.env.KEEPER_KEY,
        once: raw.once === true,
      });
      if (!parsed.success) {
        process.stderr.write(`error: ${parsed.error.issues[0].message}\n`);
        process.exit(2);
      }
      const o = parsed.data;
      let deployment;
      try {
        deployment = loadDeployment(o.network, o.deployments);
      } catch (err) {
        if (err instanceof DeploymentError) {
          process.stderr.write(`error: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      const logger = createLogger(process.env.LOG_LEVEL ?? "info", "keeper");
      const client = createChainClient(o.rpc);
      const account = privateKeyToAccount(o.key as Hex);
      const wallet = createWalletClient({ account, transport: http(o.rpc) });
      const chainId = await client.getChainId();
      let stopped = false;
      process.once("SIGINT", () => (stopped = true));
      process.once("SIGTERM", () => (stopped = true));
      logger.info({ keeper: account.address, ledger: deployment.loanLedger.address }, "keeper started");
      while (!stopped) {
        try {
          const [needed, performData] = await client.readContract({ address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "checkUpkeep", args: ["0x"] });
          if (needed) {
            const hash = await wallet.writeContract({
              address: deployment.loanLedger.address,
              abi: loanLedgerAbi,
              functionName: "performUpkeep",
              args: [performData],
              chain: { id: chainId, name: o.network, nativeCurrency: { name: "ETH", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [o.rpc] } } },
            });
            const receipt = await client.waitForTransactionReceipt({ hash });
            logger.info({ tx: hash, block: Number(receipt.blockNumber), logs: receipt.logs.length, gasUsed: Number(receipt.gasUsed) }, "performed upkeep");
          }
        } catch (err) {
          logger.warn({ err: errorSummary(err) }, "upkeep failed; retrying next round");
        }
        if (o.once) break;
        await sleep(o.intervalMs);
      }
      logger.flush();
    });
}
