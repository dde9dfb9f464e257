import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { writeContractDeployment, type ContractDeployment } from "../../src/chain/deployments";
import { encodeJurisdiction } from "../../src/domain/jurisdiction";
import { BUILT_IN_JURISDICTIONS, DEFAULT_CN_ONE_YEAR_LPR_BPS, chinaCapBps } from "../../src/jurisdictions/profiles";

export interface DeployOptions {
  /** Legal cap on contract rate + penalty rate, in basis points. */
  maxAnnualRateBps: number;
  /** Admin of both contracts (default: the deployer). */
  admin?: string;
  /** Also deploy the TestUSD stablecoin (default: on hardhat/localhost only). */
  testToken?: boolean;
  /** Write deployments/<network>/ (default: every network but the in-process "hardhat"). */
  write?: boolean;
  /** The deployments folder (default ./deployments). */
  deploymentsDir?: string;
  /**
   * Load the built-in jurisdiction profiles (their rate caps into the ledger, their contact rules into
   * CollectionLog; default: when the deployer is the admin, who alone may set them); China's cap from
   * this one-year LPR (default DEFAULT_CN_ONE_YEAR_LPR_BPS).
   */
  jurisdictions?: boolean;
  cnOneYearLprBps?: number;
}

/** Deploys the contracts with the first signer and records them; returns the records by name. */
export async function deployAll(hre: HardhatRuntimeEnvironment, opts: DeployOptions) {
  const { ethers, network } = hre;
  const [deployer] = await ethers.getSigners();
  const admin = opts.admin ?? deployer.address;
  const chainId = Number((await ethers.provider.getNetwork()).chainId);
  const contracts: Record<string, ContractDeployment> = {};

  async function deploy(record: string, artifactName: string, args: unknown[]) {
    const factory = await ethers.getContractFactory(artifactName, deployer);
    const contract = await factory.deploy(...args);
    const tx = contract.deploymentTransaction()!;
    const receipt = (await tx.wait())!;
    const artifact = await hre.artifacts.readArtifact(artifactName);
    contracts[record] = {
      address: (await contract.getAddress()) as `0x${string}`,
      abi: artifact.abi,
      transactionHash: tx.hash,
      receipt: {
        to: null,
        from: receipt.from,
        contractAddress: receipt.contractAddress,
        transactionIndex: receipt.index,
        gasUsed: receipt.gasUsed.toString(),
        blockHash: receipt.blockHash,
        transactionHash: receipt.hash,
        blockNumber: receipt.blockNumber,
        cumulativeGasUsed: receipt.cumulativeGasUsed.toString(),
        status: receipt.status ?? 1,
        byzantium: true,
      },
      args,
      numDeployments: 1,
      bytecode: artifact.bytecode,
      deployedBytecode: artifact.deployedBytecode,
    };
    return contract;
  }

  const ledger = await deploy("LoanLedger", "LoanLedger", [admin, opts.maxAnnualRateBps]);
  const log = await deploy("CollectionLog", "CollectionLog", [await ledger.getAddress(), admin]);
  const local = network.name === "hardhat" || network.name === "localhost";
  // Before the jurisdiction transactions, so the deployer's nonces (and the addresses) stay as they were.
  if (opts.testToken ?? local) await deploy("TestUSD", "MockERC20", ["Test USD", "TUSD", 6]);
  const jurisdictionCaps: { code: string; maxAnnualRateBps: number }[] = [];
  const jurisdictionRules: string[] = [];
  if (opts.jurisdictions ?? admin.toLowerCase() === deployer.address.toLowerCase()) {
    // The ledger's module answers at the ledger's address (LoanLedger delegates these selectors to it).
    const module = await ethers.getContractAt("LoanRelief", await ledger.getAddress(), deployer);
    for (const p of BUILT_IN_JURISDICTIONS) {
      const cap = p.code === "CN" ? chinaCapBps(opts.cnOneYearLprBps ?? DEFAULT_CN_ONE_YEAR_LPR_BPS) : p.maxAnnualRateBps;
      if (cap === null) continue;
      await (await module.setJurisdictionCap(encodeJurisdiction(p.code), cap)).wait();
      jurisdictionCaps.push({ code: p.code, maxAnnualRateBps: cap });
    }
    const collectionLog = await ethers.getContractAt("CollectionLog", await log.getAddress(), deployer);
    for (const p of BUILT_IN_JURISDICTIONS) {
      const c = p.contact;
      const rules = {
        contactStartHour: c.startHour,
        contactEndHour: c.endHour,
        maxConnectedCallsPerDay: c.maxConnectedCallsPerDay ?? 0,
        maxCallAttemptsPer7Days: c.maxCallAttemptsPer7Days ?? 0,
        coolDownDaysAfterConversation: c.coolDownDaysAfterConversation,
      };
      await (await collectionLog.setJurisdictionRules(encodeJurisdiction(p.code), rules)).wait();
      jurisdictionRules.push(p.code);
    }
  }
  // The in-process "hardhat" network vanishes with the process: nothing to record by default.
  if (opts.write ?? network.name !== "hardhat") {
    for (const [name, record] of Object.entries(contracts)) writeContractDeployment(network.name, chainId, name, record, opts.deploymentsDir ?? path.join(hre.config.paths.root, "deployments"));
  }
  return { chainId, contracts, jurisdictionCaps, jurisdictionRules };
}
