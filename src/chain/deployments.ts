import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { DeploymentError } from "./errors";

/**
 * deployments/<network>/ in hardhat-deploy v1's format: one <Contract>.json per contract
 * (address, abi, transactionHash, receipt with blockNumber, args, ...) and a `.chainId` file.
 * This is the single source of addresses and start blocks for scripts, the indexer and the API.
 */
export const DEPLOYMENTS_DIR = "deployments";

const address = z.string().refine(isAddress, "not an address").transform((a) => getAddress(a));
const hex = z.string().regex(/^0x[0-9a-fA-F]*$/, "not hex");

export const contractDeploymentSchema = z
  .object({
    address,
    abi: z.array(z.unknown()),
    transactionHash: hex,
    receipt: z
      .object({
        blockNumber: z.number().int().nonnegative(),
        blockHash: hex.optional(),
        transactionHash: hex.optional(),
        contractAddress: z.string().nullable().optional(),
        from: z.string().optional(),
        gasUsed: z.string().optional(),
        status: z.number().optional(),
      })
      .passthrough(),
    args: z.array(z.unknown()).optional(),
    numDeployments: z.number().int().optional(),
    bytecode: hex.optional(),
    deployedBytecode: hex.optional(),
  })
  .passthrough();

export type ContractDeployment = z.infer<typeof contractDeploymentSchema>;

export interface DeployedContract {
  address: Address;
  /** Block of the deployment transaction: where the indexer starts. */
  startBlock: bigint;
  transactionHash: Hex;
}

export interface Deployment {
  network: string;
  chainId: number;
  loanLedger: DeployedContract;
  collectionLog: DeployedContract;
  /** The demo's test stablecoin, on local networks only. */
  testToken?: DeployedContract;
}

/** A deployment that is missing or malformed (src/chain/errors.ts). */
export { DeploymentError };

/** deployments/<network>/ under `dir` (the deployments folder, default ./deployments). */
export function deploymentDir(network: string, dir = DEPLOYMENTS_DIR): string {
  if (!/^[A-Za-z0-9_-]+$/.test(network)) throw new DeploymentError(`invalid network name "${network}"`);
  return path.resolve(dir, network);
}

function readContract(dir: string, name: string): ContractDeployment | undefined {
  const file = path.join(dir, `${name}.json`);
  if (!fs.existsSync(file)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new DeploymentError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = contractDeploymentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DeploymentError(`${file}: ${issue.path.join(".") || "(root)"} ${issue.message}`);
  }
  return parsed.data;
}

function toDeployed(c: ContractDeployment): DeployedContract {
  return { address: c.address as Address, startBlock: BigInt(c.receipt.blockNumber), transactionHash: c.transactionHash as Hex };
}

/** Loads <dir>/<network>/: LoanLedger and CollectionLog are required. */
export function loadDeployment(network: string, deploymentsDir = DEPLOYMENTS_DIR): Deployment {
  const dir = deploymentDir(network, deploymentsDir);
  const chainIdFile = path.join(dir, ".chainId");
  if (!fs.existsSync(chainIdFile)) {
    throw new DeploymentError(`no deployment for network "${network}": ${chainIdFile} not found (run npm run deploy -- --network ${network})`);
  }
  const chainId = Number(fs.readFileSync(chainIdFile, "utf8").trim());
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new DeploymentError(`${chainIdFile}: not a chain id`);
  const ledger = readContract(dir, "LoanLedger");
  const log = readContract(dir, "CollectionLog");
  if (!ledger) throw new DeploymentError(`${path.join(dir, "LoanLedger.json")} not found`);
  if (!log) throw new DeploymentError(`${path.join(dir, "CollectionLog.json")} not found`);
  const token = readContract(dir, "TestUSD");
  return {
    network,
    chainId,
    loanLedger: toDeployed(ledger),
    collectionLog: toDeployed(log),
    ...(token ? { testToken: toDeployed(token) } : {}),
  };
}

/** Writes one contract's record (and the network's .chainId) under `deploymentsDir`. */
export function writeContractDeployment(network: string, chainId: number, name: string, record: ContractDeployment, deploymentsDir = DEPLOYMENTS_DIR): void {
  const dir = deploymentDir(network, deploymentsDir);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, ".chainId"), `${chainId}`);
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(record, null, 2) + "\n");
}
