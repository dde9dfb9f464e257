/**
 * db-identity — indexes one generated chain with two checkouts of this repository and compares
 * the databases they write (scripts/db-hash.ts), on SQLite and, with TEST_POSTGRES_URL, on
 * PostgreSQL; with the default options and with 3-block ranges committed one at a time.
 *
 *   npx ts-node --swc scripts/db-identity.ts <checkout A> <checkout B>
 *
 * Both checkouts must be compiled (src/chain/abis.ts). The chain: a `hardhat node` with this
 * checkout's deployment and scripts/workload.ts (env LOANS, ROUNDS, ACTIONS; 150 x 4 x 2 by
 * default, about 4,200 events). Prints one line per run (variant, dialect, checkout, total hash)
 * and exits 1 when the two checkouts' hashes differ anywhere.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { deployTo, REPO_ROOT, runWorkloadOn, startNode, tempDeploymentsDir } from "./lib/local-node";

const VARIANTS: Record<string, string[]> = { default: [], small: ["--max-block-range", "3", "--commit-events", "1"] };

async function main(): Promise<void> {
  const [a, b] = process.argv.slice(2).map((p) => path.resolve(p));
  if (!a || !b) throw new Error("usage: ts-node --swc scripts/db-identity.ts <checkout A> <checkout B>");
  const postgres = process.env.TEST_POSTGRES_URL;
  const dialects = postgres ? ["sqlite", "postgres"] : ["sqlite"];
  const node = await startNode();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "db-identity-"));
  let differ = false;
  try {
    const deployments = tempDeploymentsDir();
    await deployTo(node.url, deployments);
    await runWorkloadOn(node.url, deployments, {
      loans: Number(process.env.LOANS ?? 150),
      rounds: Number(process.env.ROUNDS ?? 4),
      actions: Number(process.env.ACTIONS ?? 2),
    });
    for (const [variant, extra] of Object.entries(VARIANTS)) {
      for (const dialect of dialects) {
        const totals: string[] = [];
        for (const [label, root] of [["A", a], ["B", b]] as const) {
          const schema = `db_identity_${label.toLowerCase()}_${variant}_${process.pid}`;
          const db = dialect === "sqlite" ? path.join(tmp, `${label}-${variant}.db`) : `${postgres}${postgres!.includes("?") ? "&" : "?"}schema=${schema}`;
          const args = ["--rpc", node.url, "--network", "localhost", "--deployments", deployments, "--db", db, "--confirmations", "0", "--exit-at-tip", "--log-level", "warn", ...extra];
          execFileSync("npx", ["ts-node", "--swc", "src/cli/index.ts", "index", ...args], {
            cwd: root,
            stdio: ["ignore", "ignore", "inherit"],
            env: { ...process.env, DATABASE_URL: "", RPC_URL: "", DEPLOYMENTS_DIR: "" },
          });
          const out = execFileSync("npx", ["ts-node", "--swc", "scripts/db-hash.ts", db], { cwd: REPO_ROOT, encoding: "utf8" });
          fs.writeFileSync(path.join(tmp, `${variant}-${dialect}-${label}.txt`), out);
          const total = out.trim().split("\n").at(-1)!.split("\t")[2];
          totals.push(total);
          process.stdout.write(`${variant}\t${dialect}\t${label} ${root}\t${total}\n`);
          if (dialect === "postgres") execFileSync("psql", [postgres!, "-qc", `drop schema "${schema}" cascade`], { stdio: "ignore" });
        }
        if (totals[0] !== totals[1]) differ = true;
      }
    }
    process.stdout.write(`${differ ? "DIFFERENT" : "identical"}; per-table hashes in ${tmp}\n`);
  } finally {
    await node.stop();
  }
  if (differ) process.exit(1);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
