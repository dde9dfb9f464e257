import type { Command } from "commander";
import { z } from "zod";
import { createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { loanLedgerAbi } from "../../chain/abis";
import { chainOf, createChainClient } from "../../chain/client";
import { loadDeployment } from "../../chain/deployments";
import { errorSummary, sleep } from "../../chain/rpc";
import { loadSettings } from "../../config";
import { createLogger } from "../../config/logger";
import { action, UsageError } from "../lib/errors";
import { readPrivateKey } from "../lib/signer";

const IntervalMs = z.coerce.number().int().min(100, "error: --interval-ms must be at least 100").max(3_600_000, "error: --interval-ms must be at most 3600000");

/**
 * `keeper`: Chainlink Automation's loop run locally — checkUpkeep, then performUpkeep with the
 * loans it returns, every interval. performUpkeep re-checks each loan on chain, so a stale list
 * costs nothing but a revert. Settings come through src/config (flags over RPC_URL, NETWORK,
 * DEPLOYMENTS_DIR, LOG_LEVEL); the key from the environment (KEEPER_KEY, or --key-env).
 */
export function registerKeeperCommand(program: Command): void {
  const cmd = program
    .command("keeper")
    .description("poke due loans (checkUpkeep/performUpkeep) every few seconds against any node")
    .option("--rpc <url>", "JSON-RPC endpoint (env RPC_URL, default http://127.0.0.1:8545)")
    .option("--network <name>", "deployments/<name>/ to read (env NETWORK, default localhost)")
    .option("--deployments <dir>", "deployments folder (env DEPLOYMENTS_DIR, default ./deployments)")
    .option("--log-level <level>", "log level (env LOG_LEVEL, default info)")
    .option("--interval-ms <ms>", "how often to check", "5000")
    .option("--key-env <NAME>", "environment variable holding the keeper's private key (default KEEPER_KEY)")
    .option("--once", "check and perform once, then exit");
  cmd.action(
    action(cmd, async (raw: Record<string, unknown>) => {
      const settings = loadSettings(["rpcUrl", "network", "deploymentsDir", "logLevel"], {
        rpcUrl: raw.rpc,
        network: raw.network,
        deploymentsDir: raw.deployments,
        logLevel: raw.logLevel,
      });
      const interval = IntervalMs.safeParse(raw.intervalMs);
      if (!interval.success) throw new UsageError(interval.error.issues[0]!.message);
      const account = privateKeyToAccount(readPrivateKey(raw, "KEEPER_KEY"));
      const deployment = loadDeployment(settings.network, settings.deploymentsDir);
      const logger = createLogger(settings.logLevel, "keeper");
      const client = createChainClient(settings.rpcUrl);
      const wallet = createWalletClient({ account, chain: chainOf(deployment, settings.rpcUrl), transport: http(settings.rpcUrl) });
      let stopped = false;
      process.once("SIGINT", () => (stopped = true));
      process.once("SIGTERM", () => (stopped = true));
      logger.info({ keeper: account.address, ledger: deployment.loanLedger.address }, "keeper started");
      while (!stopped) {
        try {
          const [needed, performData] = await client.readContract({ address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "checkUpkeep", args: ["0x"] });
          if (needed) {
            const hash = await wallet.writeContract({ address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "performUpkeep", args: [performData] });
            const receipt = await client.waitForTransactionReceipt({ hash });
            logger.info({ tx: hash, block: Number(receipt.blockNumber), logs: receipt.logs.length, gasUsed: Number(receipt.gasUsed) }, "performed upkeep");
          }
        } catch (err) {
          logger.warn({ err: errorSummary(err) }, "upkeep failed; retrying next round");
        }
        if (raw.once === true) break;
        await sleep(interval.data);
      }
      logger.flush();
    })
  );
}
