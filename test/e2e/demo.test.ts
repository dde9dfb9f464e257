/**
 * End to end: runs the demo's own start path (scripts/start.ts, what `npm start` runs) on free
 * ports with a smaller seed, queries the API as each role, checks the API's figures against the
 * contracts' views at the same block, verifies every loan's evidence trail with the CLI, and stops
 * it with SIGINT (no process left, ports freed).
 */
import { expect } from "chai";
import { execFile, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { createPublicClient, http, type PublicClient } from "viem";
import { loanLedgerAbi } from "../../src/chain/abis";
import { loadDeployment } from "../../src/chain/deployments";
import { BUCKET_LABELS } from "../../src/domain";
import { verifyLoan } from "../../src/evidence/verify";
import { startDemo, type DemoProcess } from "../../scripts/lib/demo-process";
import { REPO_ROOT } from "../support/chain";
import { auditorConsole } from "./console/auditor";
import { collectorConsole } from "./console/collector";
import type { DemoContext } from "./console/context";
import { lenderConsole } from "./console/lender";
import { registerConsole } from "./console/register";

const run = promisify(execFile);
const CLASSES = ["normal", "special_mention", "substandard", "doubtful", "loss"];
const STATES = ["active", "charged_off", "written_off", "closed", "settled"];

describe("demo (npm start) end to end", function () {
  this.timeout(600_000);
  let child: ChildProcess;
  let api = "";
  let rpcUrl = "";
  let dataDir = "";
  let deploymentsDir = "";
  let tokens: Record<string, string>;
  let demoProcess: DemoProcess | undefined;

  before(async function () {
    // The same entry point `npm start` runs (after its compile step, which the test runner did), with a smaller seed.
    demoProcess = await startDemo({ LOANS_PER_LENDER: "12", MONTHS: "4" });
    ({ child, api, rpcUrl, dataDir, deploymentsDir, tokens } = demoProcess);
  });

  after(async function () {
    await demoProcess?.stop();
  });

  const get = async (p: string, role?: string) => {
    const res = await fetch(`${api}${p}`, role ? { headers: { authorization: `Bearer ${tokens[role]}` } } : undefined);
    return { status: res.status, body: (await res.json()) as any };
  };

  it("writes the seven demo tokens and prints the URLs", function () {
    expect(Object.keys(tokens).sort()).to.deep.equal(["agency", "agencyCollector", "auditor", "collector", "lender", "otherCollector", "otherLender"]);
    expect(demoProcess!.output()).to.include(`${api}/docs`).and.include("/v1/queue").and.include("/metrics");
  });

  it("seeds an agency placement: the agency sees exactly its placed loans, and its statement adds up", async function () {
    const agency = JSON.parse(Buffer.from(tokens.agency!.split(".")[0]!, "base64url").toString("utf8")).sub as string;
    const placements = await get(`/v1/agencies/${agency}/placements`, "agency");
    expect(placements.status).to.equal(200);
    const [p] = placements.body.items as { status: string; loanIds: string[]; start: number }[];
    expect(p!.status).to.equal("active");
    const seen = await get("/v1/loans?limit=500", "agency");
    expect((seen.body.items as { loanId: string }[]).map((l) => l.loanId).sort()).to.deep.equal([...p!.loanIds].sort());
    const statement = await get(`/v1/agencies/${agency}/statement?from=${p!.start}&to=${p!.start + 300 * 86_400}`, "agency");
    const lines = statement.body.lines as { commission: string; amount: string }[];
    expect(lines.length).to.be.greaterThan(0);
    for (const l of lines) expect(BigInt(l.commission)).to.equal((BigInt(l.amount) * 1_500n) / 10_000n);
  });

  it("answers each role with what it may see, and the figures equal the contract's views at the asOf block", async function () {
    const dep = loadDeployment("localhost", deploymentsDir);
    const client = createPublicClient({ transport: http(rpcUrl) });
    const auditor = await get("/v1/loans?limit=500", "auditor");
    expect(auditor.status).to.equal(200);
    const all = auditor.body.items as any[];
    expect(all.length).to.equal(36);
    const lender = await get("/v1/loans?limit=500", "lender");
    const otherLender = await get("/v1/loans?limit=500", "otherLender");
    const collector = await get("/v1/loans?limit=500", "collector");
    const otherCollector = await get("/v1/loans?limit=500", "otherCollector");
    for (const r of [lender, otherLender, collector, otherCollector]) expect(r.status).to.equal(200);
    expect(lender.body.items.length).to.be.greaterThan(0).and.lessThan(all.length);
    const lenderIds = new Set(lender.body.items.map((l: any) => l.loanId));
    expect(otherLender.body.items.some((l: any) => lenderIds.has(l.loanId))).to.equal(false);
    const collectorIds = new Set(collector.body.items.map((l: any) => l.loanId));
    expect(collectorIds.size).to.be.greaterThan(0);
    expect(otherCollector.body.items.some((l: any) => collectorIds.has(l.loanId))).to.equal(false);
    expect((await get("/v1/loans")).status).to.equal(401);

    const asOf = auditor.body.asOf;
    for (const loan of all) {
      const s = await client.readContract({
        address: dep.loanLedger.address,
        abi: loanLedgerAbi,
        functionName: "loanState",
        args: [BigInt(loan.loanId)],
        blockNumber: BigInt(asOf.block),
      });
      const st = loan.status;
      expect(st.state, `loan ${loan.loanId} status`).to.equal(STATES[s.status]);
      if (st.state === "closed") continue;
      expect(st.dpd, `loan ${loan.loanId} dpd`).to.equal(Number(s.dpd));
      expect(st.bucket).to.equal(BUCKET_LABELS[s.bucket]);
      expect(st.classification).to.equal(CLASSES[s.classification]);
      expect(st.amountOverdue, `loan ${loan.loanId} amountOverdue`).to.equal(s.amountOverdue.toString());
      expect(st.penaltyAccrued, `loan ${loan.loanId} penalty`).to.equal(s.penaltyOutstanding.toString());
      expect(st.outstandingPrincipal).to.equal(s.outstandingPrincipal.toString());
      expect(st.outstandingInterest).to.equal(s.outstandingInterest.toString());
    }
  });

  it("right after start, the seeded history's notices are out: listed sent, on disk at the stand-ins, recorded in trails", async function () {
    const counts = await get("/v1/portfolio/notices", "lender");
    expect(counts.status).to.equal(200);
    expect(counts.body.statuses.sent + counts.body.statuses.delivered).to.be.greaterThan(0);
    const sms = fs.readFileSync(path.join(dataDir, "sms.log"), "utf8").trim().split("\n");
    expect(sms.length).to.be.greaterThan(0);
    // A folder a channel never wrote to does not exist (the small demo may send no letter).
    const files = (dir: string, ext: string) => (fs.existsSync(path.join(dataDir, dir)) ? fs.readdirSync(path.join(dataDir, dir)).filter((f) => f.endsWith(ext)).length : 0);
    expect(files("mail", ".eml") + files("letters", ".pdf")).to.be.greaterThan(0);
    const recorded = await waitForRecorded();
    expect(recorded.onChain.actionSeq).to.be.a("number");
  });

  /** A notice the notifier has recorded in its loan's trail (the recorder runs a round after sending). */
  async function waitForRecorded(): Promise<any> {
    for (let i = 0; i < 100; i++) {
      const r = await get("/v1/notices?status=delivered&limit=50", "lender");
      const hit = (r.body.items as any[]).find((n) => n.onChain?.state === "recorded" && n.onChain.actionSeq !== null);
      if (hit) return hit;
      await new Promise((res) => setTimeout(res, 300));
    }
    throw new Error("no notice recorded on chain within 30 s");
  }

  it("the collector's queue follows the demo lenders' strategy: scores with reasons, segments, next best actions", async () => {
    const get = async (p: string) => (await (await fetch(`${api}${p}`, { headers: { authorization: `Bearer ${tokens.collector}` } })).json()) as any;
    const { items } = await get("/v1/queue?limit=100");
    expect(items.length).to.be.greaterThan(0);
    const scored = items.filter((i: any) => i.strategy !== null);
    expect(scored.length, "every open loan is scored before the demo says it runs").to.equal(items.length);
    const expected = items.map((i: any) => BigInt(i.strategy.expectedRecovery));
    for (let k = 1; k < expected.length; k++) expect(expected[k] <= expected[k - 1], `rank ${k + 1}`).to.equal(true);
    const delinquent = scored.filter((i: any) => i.dpd > 0);
    expect(delinquent.length).to.be.greaterThan(0);
    for (const i of delinquent) {
      expect(i.strategy.score.kind).to.equal("behavioural");
      expect(i.strategy.segment).to.be.oneOf(["hardship", "self-cure", "early-soft", "high-risk", "legal", "standard", "call-first"]);
    }
    expect(delinquent.some((i: any) => i.strategy.score.reasons.length > 0)).to.equal(true);
  });

  it("verify passes for every loan with actions", async function () {
    const dep = loadDeployment("localhost", deploymentsDir);
    const client = createPublicClient({ transport: http(rpcUrl) }) as PublicClient;
    const list = await get("/v1/loans?limit=500", "auditor");
    const withActions: { loanId: string; count: number }[] = [];
    for (const loan of list.body.items as any[]) {
      const d = await get(`/v1/loans/${loan.loanId}`, "auditor");
      if (d.body.trail.count > 0) withActions.push({ loanId: loan.loanId, count: d.body.trail.count });
    }
    expect(withActions.length).to.be.greaterThan(0);
    // Every loan through the verify command's own code path (in process: one CLI start per loan is slow) ...
    // The notifier goes on recording notices meanwhile: the chain's trail may have grown since the API's answer.
    for (const { loanId, count } of withActions) {
      const report = await verifyLoan(client, dep, BigInt(loanId));
      expect(report.valid, `loan ${loanId}`).to.equal(true);
      expect(Number(report.count)).to.be.at.least(count);
    }
    // ... and the CLI itself, as an auditor runs it, on the first one.
    const { stdout } = await run(
      "npx",
      ["ts-node", "--swc", "src/cli/index.ts", "verify", "--rpc", rpcUrl, "--network", "localhost", "--loan", withActions[0].loanId, "--deployments", deploymentsDir],
      { cwd: REPO_ROOT, maxBuffer: 32 * 1024 * 1024 },
    );
    const result = JSON.parse(stdout);
    expect(result.valid).to.equal(true);
    expect(Number(result.count)).to.be.at.least(withActions[0].count);
  });

  it("the seed's batch anchors recorded actions: its leaves file is accepted and each leaf shows verified", async function () {
    const file = JSON.parse(fs.readFileSync(path.join(dataDir, "batches", "batch-1.json"), "utf8")) as { batchId: string; actions: { loanId: string }[] };
    expect(file.actions.length).to.be.greaterThan(0);
    const res = await fetch(`${api}/v1/batches`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.auditor}`, "content-type": "application/json" },
      body: JSON.stringify({ batchId: Number(file.batchId), actions: file.actions }),
    });
    expect(res.status, JSON.stringify(await res.clone().json())).to.equal(201);
    const view = await get(`/v1/loans/${file.actions[0].loanId}/evidence`, "auditor");
    const leaves = view.body.batches.flatMap((b: any) => b.leaves);
    expect(leaves.length).to.be.greaterThan(0);
    for (const leaf of leaves) expect(leaf.verified).to.equal(true);
  });

  // The console's browser tests run against this same demo (one start for all of them).
  const demo: DemoContext = {
    get api() {
      return api;
    },
    get rpcUrl() {
      return rpcUrl;
    },
    get dataDir() {
      return dataDir;
    },
    get deploymentsDir() {
      return deploymentsDir;
    },
    get tokens() {
      return tokens;
    },
    get,
  };
  collectorConsole(demo);
  lenderConsole(demo);
  registerConsole(demo);
  auditorConsole(demo);

  // Last (mocha runs a suite's own tests before its nested suites): the shutdown.
  describe("shutdown", function () {
    it("stops everything on Ctrl-C and frees the ports", async function () {
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      process.kill(-child.pid!, "SIGINT");
      expect(await exited).to.equal(0);
      for (const url of [api, rpcUrl]) {
        const port = Number(new URL(url).port);
        const free = await new Promise<boolean>((resolve) => {
          const s = require("node:net").createServer().once("error", () => resolve(false));
          s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
        });
        expect(free, `port ${port} freed`).to.equal(true);
      }
    });
  });
});
