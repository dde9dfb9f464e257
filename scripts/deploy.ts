/**
 * Deploys LoanLedger and CollectionLog (and, on local networks, the TestUSD demo stablecoin) and
 * writes deployments/<network>/ in hardhat-deploy v1's format.
 *
 *   npm run deploy -- --network localhost
 *   SEPOLIA_RPC_URL=https://... DEPLOYER_KEY=0x... npm run deploy -- --network sepolia
 *
 * Any network but hardhat/localhost takes its RPC URL and deployer key from the environment
 * (scripts/lib/networks.ts, validated when Hardhat loads its config).
 * MAX_ANNUAL_RATE_BPS sets the global legal cap (default 1500: 4x a one-year LPR of 3.75%); the
 * built-in jurisdiction caps follow (src/jurisdictions/profiles.ts, docs/jurisdictions.md), China's
 * from CN_ONE_YEAR_LPR_BPS (default 375); DEPLOYMENTS_DIR the folder to write (default ./deployments).
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
  CN_ONE_YEAR_LPR_BPS: z.coerce
    .number()
    .int("CN_ONE_YEAR_LPR_BPS must be an integer (basis points)")
    .min(1, "CN_ONE_YEAR_LPR_BPS must be from 1 to 16383")
    .max(16_383, "CN_ONE_YEAR_LPR_BPS must be from 1 to 16383")
    .optional(),
});

async function main(): Promise<void> {
  const env = envSchema.safeParse({
    MAX_ANNUAL_RATE_BPS: process.env.MAX_ANNUAL_RATE_BPS || undefined,
    DEPLOYMENTS_DIR: process.env.DEPLOYMENTS_DIR || undefined,
    CN_ONE_YEAR_LPR_BPS: process.env.CN_ONE_YEAR_LPR_BPS || undefined,
  });
  if (!env.success) throw new Error(`error: ${env.error.issues[0]!.message}`);
  const result = await deployAll(hre, {
    maxAnnualRateBps: env.data.MAX_ANNUAL_RATE_BPS,
    deploymentsDir: env.data.DEPLOYMENTS_DIR,
    cnOneYearLprBps: env.data.CN_ONE_YEAR_LPR_BPS,
  });
  for (const [name, d] of Object.entries(result.contracts)) {
    console.log(`${name.padEnd(14)} ${d.address}  block ${d.receipt.blockNumber}`);
  }
  for (const c of result.jurisdictionCaps) console.log(`jurisdiction   ${c.code.padEnd(6)} cap ${c.maxAnnualRateBps} bps`);
  if (result.jurisdictionRules.length) console.log(`contact rules  ${result.jurisdictionRules.join(" ")}`);
  console.log(`wrote ${process.env.DEPLOYMENTS_DIR ?? "deployments"}/${hre.network.name}/`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
