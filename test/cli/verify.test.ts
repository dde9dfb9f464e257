import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createPublicClient, custom, type Address, type Hex, type PublicClient } from "viem";
import { CollectionLog__factory, LoanLedger__factory } from "../../typechain-types";
import { getActionLogs } from "../../src/chain/action-logs";
import { encodeJurisdiction } from "../../src/domain";
import type { Deployment } from "../../src/chain/deployments";
import { VerifyUsageError, parseVerifyOptions } from "../../src/cli/commands/verify";
import { verifyLoan, verifyReportToJson } from "../../src/evidence/verify";
import { Channel, Kind } from "../../src/domain/collection-types";
import { genesisHead } from "../../src/domain/trail";
import { DAY, LENDER_ROLE, collectionLogFixture, latestTimestamp } from "../domain/helpers/collection-chain";
import { cliCommand } from "../support/cli";

const root = path.resolve(__dirname, "..", "..");

/** Runs the real CLI entry point, as `npm run cli` does, without blocking the event loop. */
function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return cliWithEnv({}, ...args);
}

function cliWithEnv(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(...cliCommand(args), { cwd: root, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(file: string, text: string, ms: number, child: ChildProcess): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited: ${fs.readFileSync(file, "utf8")}`);
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8").includes(text)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`"${text}" not seen in ${ms} ms`);
}

describe("cli verify", function () {
  this.timeout(300_000);

  describe("end to end: hardhat node, deploy script, ethers, the CLI", function () {
    let node: ChildProcess | undefined;
    let rpc = "";
    let deploymentName = "";
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-verify-"));
    const deployments = path.join(tmp, "deployments");
    /** The CLI reading this test's deployments folder. */
    const cliHere = (...args: string[]) => cliWithEnv({ DEPLOYMENTS_DIR: deployments }, ...args);
    let provider: InstanceType<typeof ethers.JsonRpcProvider>;
    const recorded: { seq: bigint; channel: number; kind: number; outcome: number; occurredAt: bigint; evidenceHash: string; txHash: string }[] = [];
    let logAddress = "";
    let collector = "";

    before(async function () {
      const port = await freePort();
      rpc = `http://127.0.0.1:${port}`;
      const logFile = path.join(tmp, "node.log");
      const out = fs.openSync(logFile, "w");
      // Its own process group (detached), so after() can end npx and the node together.
      node = spawn("npx", ["hardhat", "node", "--port", String(port)], { cwd: root, detached: true, stdio: ["ignore", out, out] });
      fs.closeSync(out);
      await waitFor(logFile, "Started HTTP and WebSocket JSON-RPC server", 120_000, node);

      const deploy = spawnSync("npx", ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"], {
        cwd: root, encoding: "utf8", env: { ...process.env, RPC_URL: rpc, DEPLOYMENTS_DIR: deployments }, timeout: 180_000,
      });
      expect(deploy.status, deploy.stderr).to.equal(0);
      logAddress = /CollectionLog\s+(0x[0-9a-fA-F]{40})/.exec(deploy.stdout)![1];
      const ledgerAddress = /LoanLedger\s+(0x[0-9a-fA-F]{40})/.exec(deploy.stdout)![1];
      // The deploy wrote <tmp>/deployments/localhost/ (not the checkout's deployments/, which
      // another test process may be writing meanwhile); verify reads it under a name of its own.
      deploymentName = `verify-e2e-${process.pid}`;
      const dir = path.join(deployments, deploymentName);
      fs.renameSync(path.join(deployments, "localhost"), dir);
      expect(JSON.parse(fs.readFileSync(path.join(dir, "CollectionLog.json"), "utf8")).address).to.equal(logAddress);

      provider = new ethers.JsonRpcProvider(rpc, undefined, { staticNetwork: true });
      const [admin, lender, borrower, col] = await Promise.all([0, 1, 2, 3].map((i) => provider.getSigner(i)));
      collector = col.address;
      const ledger = LoanLedger__factory.connect(ledgerAddress, admin);
      const log = CollectionLog__factory.connect(logAddress, col);
      await (await ledger.grantRole(LENDER_ROLE, lender.address)).wait();
      const now = BigInt((await provider.getBlock("latest"))!.timestamp);
      const loan = (ref: string) => ({
        borrower: borrower.address, borrowerRef: ethers.id(ref), token: ethers.ZeroAddress,
        currency: ethers.hexlify(ethers.toUtf8Bytes("CNY")), principal: 1_200_000n, contractRateBps: 600, utcOffsetMinutes: 480, jurisdiction: encodeJurisdiction("CN"),
        schedule: Array.from({ length: 12 }, (_, k) => ({ dueDate: now + BigInt(k + 1) * 30n * DAY, principal: 100_000n, interest: 6_000n })),
      });
      await (await ledger.connect(lender).registerLoans([loan("e2e-1"), loan("e2e-2")])).wait();
      await (await log.connect(lender).assignCollector([1n, 2n], collector)).wait();
      const t = BigInt((await provider.getBlock("latest"))!.timestamp);
      const inputs = [
        { channel: Channel.Call, kind: Kind.ContactMade, outcome: 200, occurredAt: t - 3_600n, evidenceHash: ethers.id("recording-1") },
        { channel: Channel.Sms, kind: Kind.ContactAttempt, outcome: 1, occurredAt: t - DAY, evidenceHash: ethers.id("sms-2") },
        { channel: Channel.Other, kind: Kind.Note, outcome: 0, occurredAt: t, evidenceHash: ethers.ZeroHash },
      ];
      for (const [i, a] of inputs.entries()) {
        const tx = await log.recordAction(1n, a.channel, a.kind, a.outcome, a.occurredAt, a.evidenceHash);
        await tx.wait();
        recorded.push({ ...a, seq: BigInt(i + 1), txHash: tx.hash });
      }
    });

    after(async function () {
      provider?.destroy();
      if (node?.pid !== undefined && node.exitCode === null) {
        const exited = new Promise((r) => node!.once("exit", r));
        process.kill(-node.pid, "SIGTERM");
        const timer = setTimeout(() => { try { process.kill(-node!.pid!, "SIGKILL"); } catch { /* already gone */ } }, 10_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("prints the recomputed trail as JSON and exits 0 when it equals trailOf", async function () {
      const r = await cliHere("verify", "--rpc", rpc, "--network", deploymentName, "--loan", "1");
      expect(r.code, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout);
      const [head, count] = await CollectionLog__factory.connect(logAddress, provider).trailOf(1n);
      expect(out).to.include({ loanId: "1", count: "3", onChainCount: "3", valid: true, onChainHead: head, recomputedHead: head });
      expect(count).to.equal(3n);
      expect(out.problems).to.deep.equal([]);
      expect(out.actions).to.have.length(3);
      out.actions.forEach((a: Record<string, unknown>, i: number) => {
        const want = recorded[i];
        expect(a).to.include({
          loanId: "1", seq: want.seq.toString(), collector, channel: want.channel, kind: want.kind, outcome: want.outcome,
          occurredAt: Number(want.occurredAt), evidenceHash: want.evidenceHash, txHash: want.txHash,
        });
        expect(a.flags).to.be.a("number");
        expect(a.blockNumber).to.be.a("number").and.to.be.greaterThan(0);
        expect(a.head).to.match(/^0x[0-9a-f]{64}$/);
      });
      expect(out.actions[2].head).to.equal(head);
    });

    it("verifies a loan without actions as head_0, count 0", async function () {
      const r = await cliHere("verify", "--rpc", rpc, "--network", deploymentName, "--loan", "2");
      expect(r.code, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout);
      expect(out).to.include({ loanId: "2", count: "0", valid: true, recomputedHead: genesisHead(31337, logAddress as Address, 2n) });
      expect(out.actions).to.deep.equal([]);
    });

    it("exits 2 with one line on a bad --loan, a missing deployment, an unreachable RPC", async function () {
      for (const loan of ["0", "abc"]) {
        const r = await cliHere("verify", "--rpc", rpc, "--network", deploymentName, "--loan", loan);
        expect(r.code, loan).to.equal(2);
        expect(r.stdout).to.equal("");
        expect(r.stderr.trim().split("\n"), loan).to.deep.equal(["error: --loan must be a positive integer"]);
      }
      const missing = await cliHere("verify", "--rpc", rpc, "--network", "no-such-network", "--loan", "1");
      expect(missing.code).to.equal(2);
      expect(missing.stderr.trim().split("\n")).to.have.length(1);
      expect(missing.stderr).to.match(/^error: no deployment for network "no-such-network"/);
      const closed = await cliHere("verify", "--rpc", `http://127.0.0.1:${await freePort()}`, "--network", deploymentName, "--loan", "1");
      expect(closed.code).to.equal(2);
      expect(closed.stderr.trim().split("\n")).to.have.length(1);
      expect(closed.stderr).to.match(/^error: cannot reach --rpc/);
    });

    it("takes --rpc and --network from RPC_URL and NETWORK, as the other operator commands", async function () {
      const r = await cliWithEnv({ RPC_URL: rpc, NETWORK: deploymentName, DEPLOYMENTS_DIR: deployments }, "verify", "--all");
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.include({ network: deploymentName, valid: true, loans: 1 });
    });

    it("--help exits 0 and names the flags", async function () {
      const r = await cliHere("verify", "--help");
      expect(r.code).to.equal(0);
      expect(r.stdout).to.contain("--rpc <url>").and.contain("--network <name>").and.contain("--loan <id>");
    });
  });

  describe("in process", function () {
    async function verifyFixture() {
      const f = await collectionLogFixture();
      const [loanId] = f.loanIds;
      const now = await latestTimestamp();
      const c = f.log.connect(f.collector);
      for (let i = 0; i < 5; i++) await c.recordAction(loanId, Channel.Email, Kind.ContactAttempt, i, now - BigInt(i) * 60n, ethers.id(`m${i}`));
      const startBlock = BigInt((await f.log.deploymentTransaction()!.wait())!.blockNumber);
      const deployment: Deployment = {
        network: "hardhat",
        chainId: Number(f.chainId),
        loanLedger: { address: (await f.ledger.getAddress()) as Address, startBlock, transactionHash: "0x" as Hex },
        collectionLog: { address: f.logAddress, startBlock, transactionHash: "0x" as Hex },
      };
      return { ...f, loanId, deployment };
    }
    const client = () => createPublicClient({ transport: custom(network.provider) }) as PublicClient;

    it("validates options with zod: each message names its flag", function () {
      expect(parseVerifyOptions({ rpc: "https://rpc.example", network: "sepolia", loan: "42" })).to.deep.equal({
        rpc: "https://rpc.example", network: "sepolia", loan: 42n,
      });
      const cases: [Record<string, unknown>, string][] = [
        [{ network: "x", loan: "1" }, "error: --rpc is required"],
        [{ rpc: "localhost:8545", network: "x", loan: "1" }, "error: --rpc must be an http(s) URL"],
        [{ rpc: "http://h", loan: "1" }, "error: --network is required"],
        [{ rpc: "http://h", network: "../etc", loan: "1" }, "error: --network must be a deployment name (letters, digits, - and _)"],
        [{ rpc: "http://h", network: "x" }, "error: --loan is required"],
        [{ rpc: "http://h", network: "x", loan: "007" }, "error: --loan must be a positive integer"],
        [{ rpc: "http://h", network: "x", loan: (1n << 256n).toString() }, "error: --loan must be below 2^256"],
      ];
      for (const [raw, message] of cases) expect(() => parseVerifyOptions(raw), message).to.throw(VerifyUsageError, message);
    });

    it("finds the same trail whatever the chunk size, and it is valid", async function () {
      const f = await loadFixture(verifyFixture);
      const big = await verifyLoan(client(), f.deployment, f.loanId);
      const small = await verifyLoan(client(), f.deployment, f.loanId, { maxChunk: 1n });
      expect(big.valid).to.equal(true);
      expect(big.count).to.equal(5n);
      expect(verifyReportToJson(small)).to.deep.equal(verifyReportToJson(big));
    });

    it("reports invalid (exit 1 path) when the node hides an action", async function () {
      const f = await loadFixture(verifyFixture);
      const real = client();
      const hiding = new Proxy(real, {
        get(target, prop, receiver) {
          if (prop !== "getLogs") return Reflect.get(target, prop, receiver);
          return async (args: Parameters<PublicClient["getLogs"]>[0]) => {
            const logs = await target.getLogs(args as never);
            return logs.filter((l) => ((l as unknown as { args: { seq?: bigint } }).args.seq !== 3n));
          };
        },
      });
      const r = await verifyLoan(hiding, f.deployment, f.loanId);
      expect(r.valid).to.equal(false);
      expect(r.problems[0]).to.include({ kind: "seq-gap", seq: 3n });
      expect((verifyReportToJson(r) as { valid: boolean }).valid).to.equal(false);
    });

    it("shrinks a failing getLogs range and never skips one; a failing single block is an error", async function () {
      const f = await loadFixture(verifyFixture);
      const real = client();
      const toBlock = await real.getBlockNumber();
      const shrinks: [bigint, bigint][] = [];
      const limited = {
        getLogs: async (args: { fromBlock: bigint; toBlock: bigint }) => {
          if (args.toBlock - args.fromBlock + 1n > 3n) throw new Error("query returned more than 10000 results");
          return real.getLogs(args as never);
        },
      } as unknown as Pick<PublicClient, "getLogs">;
      const p = { collectionLog: f.logAddress, loanId: f.loanId, fromBlock: f.deployment.collectionLog.startBlock, toBlock };
      const logs = await getActionLogs(limited, { ...p, maxChunk: 16n, onShrink: (a, b) => shrinks.push([a, b]) });
      expect(shrinks.length).to.be.greaterThan(0);
      expect(logs.map((l) => l.seq)).to.deep.equal([1n, 2n, 3n, 4n, 5n]);
      const broken = { getLogs: async () => { throw new Error("boom"); } } as unknown as Pick<PublicClient, "getLogs">;
      let error: unknown;
      try {
        await getActionLogs(broken, { ...p, maxChunk: 4n });
      } catch (err) {
        error = err;
      }
      expect((error as Error).message).to.equal("boom");
    });
  });
});
