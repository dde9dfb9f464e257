/** Runs scripts/lib/workload.ts against --network (LOANS, ROUNDS, ACTIONS, DEPLOYMENTS_DIR env). */
import hre from "hardhat";
import { runWorkload } from "./lib/workload";

runWorkload(hre, {
  loans: Number(process.env.LOANS ?? 50),
  rounds: Number(process.env.ROUNDS ?? 2),
  actionsPerLoan: Number(process.env.ACTIONS ?? 2),
  deploymentsDir: process.env.DEPLOYMENTS_DIR,
  onProgress: (d, t) => process.stderr.write(`workload ${d}/${t}\r`),
}).then(
  () => process.stderr.write("\nworkload done\n"),
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
