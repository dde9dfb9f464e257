#!/usr/bin/env node
/**
 * Run by `npm run cli` before the CLI: makes sure what the CLI loads exists and is current.
 * - src/chain/abis.ts is generated from the compiled contracts (never committed): when it is
 *   missing (a fresh clone right after `npm install`) or older than a contract source, this runs
 *   `hardhat compile`, which writes it (and transpiles src/ to dist/).
 * - Otherwise it transpiles src/ to dist/ (scripts/build-js.js), so an edit in src/ is what runs.
 */
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const ABIS = path.join(ROOT, "src", "chain", "abis.ts");

/** The newest modification time of a .sol file under `dir` (0 when none). */
function newestSol(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSol(p));
    else if (entry.name.endsWith(".sol")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function abisCurrent() {
  if (!fs.existsSync(ABIS)) return false;
  return fs.statSync(ABIS).mtimeMs >= newestSol(path.join(ROOT, "contracts"));
}

if (abisCurrent()) {
  require("./build-js").buildJs();
} else {
  process.stderr.write("duetrail: compiling the contracts first (src/chain/abis.ts is generated from them; once after install)\n");
  const hardhat = require.resolve("hardhat/internal/cli/bootstrap", { paths: [ROOT] });
  const r = spawnSync(process.execPath, [hardhat, "compile", "--quiet"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) {
    process.stderr.write(`error: hardhat compile failed (exit ${r.status}); run \`npx hardhat compile\` to see why\n`);
    process.exit(1);
  }
}
