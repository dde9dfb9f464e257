/**
 * bench:gas — measures gasUsed of the ledger's hot operations on the Hardhat network and
 * writes bench/results/gas.json ({ name: gasUsed }). Compares with the committed
 * bench/gas-snapshot.json so every gas change shows in review, and checks the budgets.
 *
 *   npm run bench:gas                 measure, compare, check budgets
 *   UPDATE_GAS_SNAPSHOT=1 npm run bench:gas   also rewrite bench/gas-snapshot.json
 *
 * Exits 1 when a budget is exceeded. Scenarios are in bench/gas/*.ts; they run on a fixed chain
 * clock with fixed inputs, so a figure changes only when the code (or the scenario) does.
 */
import fs from "node:fs";
import path from "node:path";
import { ledgerScenarios } from "./gas/ledger";
import { collectionScenarios } from "./gas/collection";
import { reliefScenarios } from "./gas/relief";

export type GasResults = Record<string, number>;

/** Budgets from the issues; a name without a budget is only reported. */
export const BUDGETS: Record<string, number> = {
  "registerLoan/12": 220_000,
  "registerLoan/120": 800_000,
  "repay/erc20": 95_000,
  recordRepayment: 60_000,
  "poke/1": 45_000,
  "poke/100": 2_500_000,
  "recordAction/first": 95_000,
  "recordAction/next": 70_000,
  "recordActionBySig/next": 85_000,
  anchorBatch: 60_000,
};

async function main(): Promise<void> {
  const results: GasResults = {};
  for (const scenario of [ledgerScenarios, collectionScenarios, reliefScenarios]) Object.assign(results, await scenario());

  const outDir = path.join(__dirname, "results");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, "gas.json"), JSON.stringify(results, null, 2) + "\n");

  const snapshotPath = path.join(__dirname, "gas-snapshot.json");
  const snapshot: GasResults = fs.existsSync(snapshotPath) ? JSON.parse(fs.readFileSync(snapshotPath, "utf8")) : {};
  const rows = Object.entries(results).map(([name, gas]) => {
    const before = snapshot[name];
    const budget = BUDGETS[name];
    return {
      name,
      gas,
      snapshot: before ?? "-",
      delta: before === undefined ? "new" : gas - before,
      budget: budget ?? "-",
      ok: budget === undefined || gas <= budget ? "yes" : "OVER",
    };
  });
  console.table(rows);
  if (process.env.UPDATE_GAS_SNAPSHOT === "1") {
    fs.writeFileSync(snapshotPath, JSON.stringify(results, null, 2) + "\n");
    console.log(`updated ${path.relative(process.cwd(), snapshotPath)}`);
  }
  const over = rows.filter((r) => r.ok === "OVER");
  if (over.length > 0) {
    console.error(`over budget: ${over.map((r) => r.name).join(", ")}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
