/**
 * Shared by the operator-command tests: the CLI run as a child process (as `npm run cli` runs
 * it), Hardhat's development accounts with their keys, and a viem client on the test node.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { createPublicClient, createWalletClient, http, keccak256, stringToBytes, toHex, type Hex, type PublicClient } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { defineChain } from "viem";
import { collectionLogAbi, loanLedgerAbi } from "../../../src/chain/abis";
import { loadDeployment, type Deployment } from "../../../src/chain/deployments";
import { LENDER_ROLE } from "../../../src/chain/roles";
import { cliCommand } from "../../support/cli";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** Hardhat's default development mnemonic (public, test only). */
const MNEMONIC = "test test test test test test test test test test test junk";

const hardhat = defineChain({ id: 31337, name: "hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: ["http://127.0.0.1:8545"] } } });

/** Development account `index`: its address and private key. */
export function devAccount(index: number): { address: Hex; key: Hex } {
  const account = mnemonicToAccount(MNEMONIC, { addressIndex: index });
  return { address: account.address, key: toHex(account.getHdKey().privateKey!) };
}

/** The result of one CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI (dist/cli/index.js, as `npm run cli` does) with `args` and extra environment (e.g. LENDER_KEY), without blocking the event loop. */
export function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(...cliCommand(args), {
      cwd: ROOT,
      env: { ...process.env, LENDER_KEY: undefined, RPC_URL: undefined, NETWORK: undefined, DEPLOYMENTS_DIR: undefined, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export { LENDER_ROLE } from "../../../src/chain/roles";

/** A viem public client on `url` (chain 31337). */
export function publicClient(url: string): PublicClient {
  return createPublicClient({ chain: hardhat, transport: http(url) }) as PublicClient;
}

/** Grants LENDER_ROLE on the deployment's LoanLedger to `lender`, as the admin (account 0). */
export async function grantLender(url: string, deployment: Deployment, lender: Hex): Promise<void> {
  const admin = mnemonicToAccount(MNEMONIC, { addressIndex: 0 });
  const wallet = createWalletClient({ account: admin, chain: hardhat, transport: http(url) });
  const hash = await wallet.writeContract({ address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "grantRole", args: [LENDER_ROLE, lender] });
  await publicClient(url).waitForTransactionReceipt({ hash });
}

/** loanCount() on the deployment's LoanLedger. */
export async function loanCount(url: string, deployment: Deployment): Promise<bigint> {
  return publicClient(url).readContract({ address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "loanCount" });
}

/** The deployment written by deployTo into `dir` (network "localhost"). */
export function deploymentIn(dir: string): Deployment {
  return loadDeployment("localhost", dir);
}

/** Logs `n` actions on `loanId` as development account `collector` (which must be assigned); returns their tx hashes. */
export async function recordActions(url: string, deployment: Deployment, collector: number, loanId: bigint, n: number): Promise<Hex[]> {
  const account = mnemonicToAccount(MNEMONIC, { addressIndex: collector });
  const wallet = createWalletClient({ account, chain: hardhat, transport: http(url) });
  const client = publicClient(url);
  const hashes: Hex[] = [];
  for (let i = 0; i < n; i++) {
    const { timestamp } = await client.getBlock({ blockTag: "latest" });
    const hash = await wallet.writeContract({
      address: deployment.collectionLog.address,
      abi: collectionLogAbi,
      functionName: "recordAction",
      // A note (channel Other, kind Note): no contact rule applies, so no flag depends on the clock.
      args: [loanId, 7, 6, i, timestamp - 60n, keccak256(stringToBytes(`evidence ${loanId}/${i}`))],
    });
    await client.waitForTransactionReceipt({ hash });
    hashes.push(hash);
  }
  return hashes;
}
