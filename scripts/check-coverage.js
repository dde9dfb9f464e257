// Checks the coverage targets of the issues against coverage/coverage-summary.json
// (written by `hardhat coverage`): at least 95% lines and 90% branches per contract file.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const TARGETS = { lines: 95, branches: 90 };
const FILES = [
  "contracts/LoanLedger.sol",
  "contracts/libraries/LoanLogic.sol",
  "contracts/libraries/LoanMath.sol",
  "contracts/libraries/ScheduleStore.sol",
  "contracts/libraries/PolicyStore.sol",
  "contracts/CollectionLog.sol",
  "contracts/libraries/Compliance.sol",
];

const summaryPath = path.join(__dirname, "..", "coverage", "coverage-summary.json");
if (!fs.existsSync(summaryPath)) {
  console.error(`${summaryPath} not found: run hardhat coverage first`);
  process.exit(2);
}
const summary = JSON.parse(fs.readFileSync(summaryPath, "utf8"));
let failed = 0;
for (const file of FILES) {
  const key = Object.keys(summary).find((k) => k.endsWith(file));
  if (!key) {
    console.error(`${file}: not in the coverage report`);
    failed++;
    continue;
  }
  const s = summary[key];
  const line = `${file.padEnd(40)} lines ${s.lines.pct}%  branches ${s.branches.pct}%`;
  const ok = s.lines.pct >= TARGETS.lines && s.branches.pct >= TARGETS.branches;
  console.log(`${ok ? "ok  " : "LOW "} ${line}`);
  if (!ok) failed++;
}
process.exit(failed ? 1 : 0);
