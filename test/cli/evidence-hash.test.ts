import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { EvidenceFileError, sha256File } from "../../src/cli/commands/evidence-hash";
import { cliCommand } from "../support/cli";

const root = path.resolve(__dirname, "..", "..");

function cli(...args: string[]) {
  const r = spawnSync(...cliCommand(args), { cwd: root, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("cli evidence-hash", function () {
  this.timeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-evidence-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("prints the SHA-256 of the file as 0x-prefixed hex (known answers)", async function () {
    const abc = path.join(dir, "abc.txt");
    fs.writeFileSync(abc, "abc");
    const empty = path.join(dir, "empty.bin");
    fs.writeFileSync(empty, "");
    const r = cli("evidence-hash", abc);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal("0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n");
    expect(await sha256File(empty)).to.equal("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("streams a file larger than one read chunk and hashes it whole", async function () {
    const big = path.join(dir, "recording.bin");
    const data = randomBytes(3 * 1024 * 1024 + 17);
    fs.writeFileSync(big, data);
    const expected = `0x${createHash("sha256").update(data).digest("hex")}`;
    expect(await sha256File(big)).to.equal(expected);
    fs.appendFileSync(big, Buffer.from([0]));
    expect(await sha256File(big)).to.not.equal(expected);
  });

  it("exits 2 with one line for a missing file or a directory", async function () {
    const missing = path.join(dir, "nope.pdf");
    const r = cli("evidence-hash", missing);
    expect(r.code).to.equal(2);
    expect(r.stdout).to.equal("");
    expect(r.stderr.trim().split("\n")).to.deep.equal([`error: cannot read ${missing}: no such file`]);
    let err: unknown;
    try {
      await sha256File(dir);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(EvidenceFileError);
    expect((err as Error).message).to.equal(`error: cannot read ${dir}: is a directory`);
  });

  it("--help exits 0 and shows the argument", function () {
    const r = cli("evidence-hash", "--help");
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain("evidence-hash [options] <file>");
  });
});
