/**
 * Deploys LoanLedger and CollectionLog (and, on local networks, the TestUSD demo stablecoin) and
 * writes deployments/<network>/ in hardhat-deploy v1's format.
 *
 *   npm run deploy -- --network localhost
 *
 * MAX_ANNUAL_RATE_BPS sets the legal cap (default 1500: 4x a one-year LPR of 3.75%, rounded up);
 * DEPLOYMENTS_DIR the folder to write (default ./deployments).
 */
import hre from "hardhat";
import { deployAll } from "./lib/deploy";

async function main(): Promise<void> {
  const result = await deployAll(hre, {
    maxAnnualRateBps: Number(process.env.MAX_ANNUAL_RATE_BPS ?? 1500),
    deploymentsDir: process.env.DEPLOYMENTS_DIR,
  });
  for (const [name, d] of Object.entries(result.contracts)) {
    console.log(`${name.padEnd(14)} ${d.address}  block ${d.receipt.blockNumber}`);
  }
  console.log(`wrote ${process.env.DEPLOYMENTS_DIR ?? "deployments"}/${hre.network.name}/`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
