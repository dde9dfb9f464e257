/**
 * Runs scripts/lib/workload.ts against --network. Env: LOANS, ROUNDS, ACTIONS, DEPLOYMENTS_DIR;
 * optional batch sizes REGISTER_BATCH, ASSIGN_BATCH, POKE_BATCH, ACTION_BATCH; WORKLOAD_FAST=1 (no gas estimates);
 * WORKLOAD_VERBOSE=1 prints a line per step.
 */
import hre from "hardhat";
import { runWorkload } from "./lib/workload";

const optional = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
const verbose = process.env.WORKLOAD_VERBOSE === "1";

runWorkload(hre, {
  loans: Number(process.env.LOANS ?? 50),
  rounds: Number(process.env.ROUNDS ?? 2),
  actionsPerLoan: Number(process.env.ACTIONS ?? 2),
  deploymentsDir: process.env.DEPLOYMENTS_DIR,
  registerBatch: optional("REGISTER_BATCH"),
  assignBatch: optional("ASSIGN_BATCH"),
  pokeBatch: optional("POKE_BATCH"),
  actionBatch: optional("ACTION_BATCH"),
  fast: process.env.WORKLOAD_FAST === "1",
  onProgress: (d, t) => process.stderr.write(verbose ? `workload step ${d}/${t}\n` : `workload ${d}/${t}\r`),
  onDetail: verbose ? (m) => process.stderr.write(`workload: ${m}\n`) : undefined,
}).then(
  () => process.stderr.write("\nworkload done\n"),
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
