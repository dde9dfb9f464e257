/**
 * Every README command works right after `npm install`: in a fresh clone nothing is compiled yet
 * (src/chain/abis.ts, artifacts/ and dist/ are generated, never committed), and `npm run cli`
 * must compile what the CLI needs first instead of dying with "Cannot find module '../chain/abis'".
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";

const ROOT = path.resolve(__dirname, "..", "..");

/** The files of this checkout git tracks (and new ones it does not ignore), as a clone has them, with node_modules linked (as after `npm install`). */
function freshClone(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-clone-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const f of files) {
    const from = path.join(ROOT, f);
    if (!fs.existsSync(from)) continue; // deleted in the working tree, not yet committed
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, f));
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

describe("the CLI in a fresh clone, before any compile", function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    dir = freshClone();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("has nothing generated yet", () => {
    for (const generated of ["src/chain/abis.ts", "artifacts", "dist"]) expect(fs.existsSync(path.join(dir, generated)), generated).to.equal(false);
  });

  it("`npm run cli -- schedule ...` compiles what it needs, then answers; the next run does not compile again", () => {
    const args = ["run", "-s", "cli", "--", "schedule", "--kind", "annuity", "--principal", "1200000", "--annual-rate-bps", "1200", "--count", "12", "--first-due", "2027-01-31"];
    const first = spawnSync("npm", args, { cwd: dir, encoding: "utf8" });
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stderr).to.contain("compiling the contracts first");
    const schedule = JSON.parse(first.stdout) as { installments: unknown[] };
    expect(schedule.installments).to.have.length(12);
    expect(fs.existsSync(path.join(dir, "src/chain/abis.ts"))).to.equal(true);
    const second = spawnSync("npm", args, { cwd: dir, encoding: "utf8" });
    expect(second.status, second.stderr).to.equal(0);
    expect(second.stderr).to.not.contain("compiling");
    expect(second.stdout).to.equal(first.stdout);
  });
});
