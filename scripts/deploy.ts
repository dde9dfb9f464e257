/**
 * Deploys LoanLedger and CollectionLog (and, on local networks, the TestUSD demo stablecoin) and
 * writes deployments/<network>/ in hardhat-deploy v1's format.
 *
 *   npm run deploy -- --network localhost
 *   SEPOLIA_RPC_URL=https://... DEPLOYER_KEY=0x... npm run deploy -- --network sepolia
 *
 * Any network but hardhat/localhost takes its RPC URL and deployer key from the environment
 * (scripts/lib/networks.ts, validated when Hardhat loads its config).
 * MAX_ANNUAL_RATE_BPS sets the legal cap (default 1500: 4x a one-year LPR of 3.75%, rounded up);
 * DEPLOYMENTS_DIR the folder to write (default ./deployments).
 */
import hre from "hardhat";
import { z } from "zod";
import { deployAll } from "./lib/deploy";

const envSchema = z.object({
  MAX_ANNUAL_RATE_BPS: z.coerce
    .number()
    .int("MAX_ANNUAL_RATE_BPS must be an integer (basis points)")
    .min(1, "MAX_ANNUAL_RATE_BPS must be from 1 to 65535")
    .max(65_535, "MAX_ANNUAL_RATE_BPS must be from 1 to 65535")
    .default(1500),
  DEPLOYMENTS_DIR: z.string().min(1).optional(),
});

async function main(): Promise<void> {
  const env = envSchema.safeParse({
    MAX_ANNUAL_RATE_BPS: process.env.MAX_ANNUAL_RATE_BPS || undefined,
    DEPLOYMENTS_DIR: process.env.DEPLOYMENTS_DIR || undefined,
  });
  if (!env.success) throw new Error(`error: ${env.error.issues[0]!.message}`);
  const result = await deployAll(hre, {
    maxAnnualRateBps: env.data.MAX_ANNUAL_RATE_BPS,
    deploymentsDir: env.data.DEPLOYMENTS_DIR,
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
