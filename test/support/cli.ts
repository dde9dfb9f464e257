/**
 * The CLI as `npm run cli` runs it: `node dist/cli/index.js`, with dist/ made current by
 * scripts/prepare-cli.js once per test process (it also compiles the contracts when their ABIs are
 * missing). A second faster than starting it through ts-node, which the CLI tests did hundreds of times.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
let prepared = false;

/** The command and arguments that run the CLI with `args`. */
export function cliCommand(args: readonly string[]): [string, string[]] {
  if (!prepared) {
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "prepare-cli.js")], { cwd: ROOT, stdio: "ignore" });
    prepared = true;
  }
  return [process.execPath, [path.join(ROOT, "dist", "cli", "index.js"), ...args]];
}
