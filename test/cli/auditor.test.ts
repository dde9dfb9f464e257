/**
 * Auditor commands end to end: `verify --all` and `evidence export` against a real `hardhat node`
 * with loans registered by the CLI and actions logged by a collector, compared with what the
 * chain says when read directly.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import type { PublicClient } from "viem";
import { collectionLogAbi, loanLedgerAbi } from "../../src/chain/abis";
import type { Deployment } from "../../src/chain/deployments";
import { verifyAllLoans, verifyAllReportToJson } from "../../src/evidence/verify";
import { verifyTrail } from "../../src/domain/trail";
import { deployTo, freePort, startNode, tempDeploymentsDir, type TestNode } from "../support/chain";
import { cli, deploymentIn, devAccount, grantLender, publicClient, recordActions } from "./helpers/operator";

const fixture = (name: string) => path.join(__dirname, "fixtures", name);

describe("cli auditor commands (verify --all, evidence export)", function () {
  this.timeout(600_000);

  let node: TestNode | undefined;
  let dir = "";
  let deployment: Deployment;
  let conn: string[] = [];
  const lender = devAccount(1);
  const collector = devAccount(3);
  const actionTxs: `0x${string}`[] = [];

  before(async function () {
    node = await startNode();
    dir = tempDeploymentsDir();
    await deployTo(node.url, dir);
    deployment = deploymentIn(dir);
    await grantLender(node.url, deployment, lender.address);
    conn = ["--rpc", node.url, "--network", "localhost", "--deployments", dir];
    const env = { LENDER_KEY: lender.key };
    for (const args of [
      ["loans", "register", "--file", fixture("loans.csv")],
      ["loans", "register", "--file", fixture("loans.json")],
      ["collectors", "assign", "--loans", "1-2", "--collector", collector.address],
    ]) {
      const r = await cli([...args, ...conn], env);
      expect(r.code, r.stderr).to.equal(0);
    }
    const { timestamp } = await publicClient(node.url).getBlock({ blockTag: "latest" });
    const paid = await cli(["repayments", "record", "--loan", "1", "--amount", "20000", "--paid-at", String(timestamp), "--bank-ref", "wire 1", ...conn], env);
    expect(paid.code, paid.stderr).to.equal(0);
    actionTxs.push(...(await recordActions(node.url, deployment, 3, 1n, 3)));
    await recordActions(node.url, deployment, 3, 2n, 2);
  });

  after(async function () {
    await node?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("verify --all", function () {
    it("verifies every loan with actions at one block: a valid flag per loan, exit 0", async function () {
      const r = await cli(["verify", "--all", ...conn]);
      expect(r.code, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout);
      expect(out).to.include({ valid: true, loans: 2, chainId: 31337, collectionLog: deployment.collectionLog.address });
      expect(out.invalid).to.deep.equal([]);
      expect(out.results.map((x: { loanId: string; valid: boolean; count: string }) => [x.loanId, x.valid, x.count])).to.deep.equal([
        ["1", true, "3"],
        ["2", true, "2"],
      ]);
      const client = publicClient(node!.url);
      for (const x of out.results) {
        const [head, count] = await client.readContract({ address: deployment.collectionLog.address, abi: collectionLogAbi, functionName: "trailOf", args: [BigInt(x.loanId)], blockNumber: BigInt(out.block) });
        expect([x.onChainHead, x.recomputedHead, x.onChainCount]).to.deep.equal([head, head, String(count)]);
      }
    });

    it("reports invalid (the exit 1 path) when the node hides one action", async function () {
      const real = publicClient(node!.url);
      const hiding = new Proxy(real, {
        get(target, prop, receiver) {
          if (prop !== "getLogs") return Reflect.get(target, prop, receiver);
          return async (args: Parameters<PublicClient["getLogs"]>[0]) => {
            const logs = await target.getLogs(args as never);
            return logs.filter((l) => l.transactionHash !== actionTxs[1]);
          };
        },
      });
      const report = verifyAllReportToJson(await verifyAllLoans(hiding, deployment)) as { valid: boolean; invalid: string[] };
      expect(report.valid).to.equal(false);
      expect(report.invalid).to.deep.equal(["1"]);
    });

    it("exits 2 with one line on bad input, a missing deployment, an unreachable node", async function () {
      const both = await cli(["verify", "--all", "--loan", "1", ...conn]);
      expect([both.code, both.stderr.trim()]).to.deep.equal([2, "error: give --loan <id> or --all, not both"]);
      const missing = await cli(["verify", "--all", "--rpc", node!.url, "--network", "nowhere", "--deployments", dir]);
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.match(/^error: no deployment for network "nowhere"/);
      const closed = await cli(["verify", "--all", "--rpc", `http://127.0.0.1:${await freePort()}`, "--network", "localhost", "--deployments", dir]);
      expect(closed.code).to.equal(2);
      expect(closed.stderr.trim().split("\n")).to.have.length(1);
      expect(closed.stderr).to.match(/^error: cannot reach --rpc/);
    });
  });

  describe("evidence export", function () {
    it("writes a bundle whose events, terms, schedules and verification match the chain", async function () {
      const out = path.join(dir, "loan-1.json");
      const r = await cli(["evidence", "export", "--loan", "1", "--out", out, ...conn]);
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.include({ out, loanId: "1", events: 6, scheduleVersions: 1, valid: true });
      const bundle = JSON.parse(fs.readFileSync(out, "utf8"));
      const client = publicClient(node!.url);
      const B = BigInt(bundle.asOf.blockNumber);
      expect(bundle).to.include({ format: "duetrail-evidence-bundle/2", loanId: "1" });

      // Every event of loan 1, read directly, in order.
      const ledgerEvents = await client.getContractEvents({ address: deployment.loanLedger.address, abi: loanLedgerAbi, fromBlock: 0n, toBlock: B });
      const logEvents = await client.getContractEvents({ address: deployment.collectionLog.address, abi: collectionLogAbi, fromBlock: 0n, toBlock: B });
      const mine = [...ledgerEvents, ...logEvents]
        .filter((e) => (e.args as { loanId?: bigint }).loanId === 1n)
        .sort((a, b) => Number(a.blockNumber - b.blockNumber) || a.logIndex - b.logIndex);
      expect(bundle.events.map((e: { name: string }) => e.name)).to.deep.equal([
        "LoanRegistered",
        "CollectorAssigned",
        "LoanRepaid",
        "ActionRecorded",
        "ActionRecorded",
        "ActionRecorded",
      ]);
      expect(bundle.events.map((e: { name: string; txHash: string; blockNumber: number; logIndex: number }) => [e.name, e.txHash, e.blockNumber, e.logIndex])).to.deep.equal(
        mine.map((e) => [e.eventName, e.transactionHash, Number(e.blockNumber), e.logIndex]),
      );
      for (const e of bundle.events) {
        const block = await client.getBlock({ blockNumber: BigInt(e.blockNumber) });
        expect(e.blockTimestamp).to.equal(Number(block.timestamp));
        expect(e.blockHash).to.equal(block.hash);
      }
      const repaid = bundle.events.find((e: { name: string }) => e.name === "LoanRepaid");
      expect(repaid.args).to.include({ loanId: "1", amount: "20000", offChain: true });
      expect(bundle.events[0].args.schedule).to.have.length(12);

      const terms = await client.readContract({ address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "loanTerms", args: [1n], blockNumber: B });
      expect(bundle.terms).to.include({ lender: lender.address, principal: terms.principal.toString(), currencyCode: "CNY", version: 1 });
      const schedule = await client.readContract({ address: deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "scheduleOf", args: [1n, 1], blockNumber: B });
      expect(bundle.schedules).to.have.length(1);
      expect(bundle.schedules[0].installments.map((i: { dueDate: number; principal: string; interest: string }) => [i.dueDate, i.principal, i.interest])).to.deep.equal(
        schedule.map((i) => [Number(i.dueDate), i.principal.toString(), i.interest.toString()]),
      );

      // The verification, and an independent recomputation from the bundle's own events.
      const [head, count] = await client.readContract({ address: deployment.collectionLog.address, abi: collectionLogAbi, functionName: "trailOf", args: [1n], blockNumber: B });
      expect(bundle.verification).to.include({ valid: true, count: "3", onChainCount: String(count), onChainHead: head, recomputedHead: head, block: Number(B) });
      const actions = bundle.events
        .filter((e: { name: string }) => e.name === "ActionRecorded")
        .map((e: { args: Record<string, string | number> }) => ({
          loanId: BigInt(e.args.loanId!), seq: BigInt(e.args.seq!), collector: e.args.collector, channel: e.args.channel, kind: e.args.kind,
          outcome: e.args.outcome, occurredAt: BigInt(e.args.occurredAt!), evidenceHash: e.args.evidenceHash, head: e.args.head,
        }));
      const again = verifyTrail(31337, deployment.collectionLog.address, 1n, actions, { head, count: BigInt(count) });
      expect(again.valid).to.equal(true);
    });

    it("prints the bundle on stdout without --out; a loan without actions verifies as head_0", async function () {
      const r = await cli(["evidence", "export", "--loan", "3", ...conn]);
      expect(r.code, r.stderr).to.equal(0);
      const bundle = JSON.parse(r.stdout);
      expect(bundle.events.map((e: { name: string }) => e.name)).to.deep.equal(["LoanRegistered"]);
      expect(bundle.verification).to.include({ valid: true, count: "0" });
      expect(bundle.terms.currencyCode).to.equal("USD");
    });

    it("exits 2 on an unknown loan or a bad --loan", async function () {
      const unknown = await cli(["evidence", "export", "--loan", "99", ...conn]);
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr.trim()).to.match(/^error: loan 99 is not registered on localhost \(as of block \d+\)$/);
      const bad = await cli(["evidence", "export", "--loan", "0", ...conn]);
      expect([bad.code, bad.stderr.trim()]).to.deep.equal([2, "error: --loan must be a positive integer"]);
    });
  });
});
