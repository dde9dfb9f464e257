/** Seeds the demo portfolio on --network (see scripts/lib/seed.ts). LOANS_PER_LENDER, MONTHS, DEPLOYMENTS_DIR, BATCH_FILE env. */
import hre from "hardhat";
import { seedDemo } from "./lib/seed";
import { progressBar } from "./lib/progress";

seedDemo(hre, {
  loansPerLender: Number(process.env.LOANS_PER_LENDER ?? 100),
  months: Number(process.env.MONTHS ?? 6),
  deploymentsDir: process.env.DEPLOYMENTS_DIR,
  batchFile: process.env.BATCH_FILE,
  onProgress: progressBar("seeding"),
}).then(
  () => process.stderr.write("\n"),
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
