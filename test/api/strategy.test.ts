/**
 * GET and PUT /v1/strategy, and a loan's scores in GET /v1/loans/{id}: a lender publishes a
 * strategy with its model file, reads it back with the model's summary, a bad strategy is a 400
 * naming the field, and a scored loan shows its current score and its history.
 */
import { expect } from "chai";
import { loanLedgerAbi } from "../../src/chain/abis";
import { scorePass } from "../../src/strategy/scorer";
import { tinyModel } from "../strategy/helpers/tiny-model";
import { apiFixture, describeEachDialect, type ApiFixture } from "./fixture";

async function json(res: Response) {
  return (await res.json()) as any;
}

describeEachDialect("/v1/strategy", (dialect) => {
  let f: ApiFixture;
  const model = tinyModel(3);
  const strategy = {
    version: 1,
    model: model.version,
    segments: [
      { name: "delinquent", when: { score: "behavioural" }, treatment: { noticePlan: "default", nextAction: { action: "call", inDays: 0 }, maxContactsPer7Days: 3 } },
      { name: "rest", treatment: { noticePlan: "default", nextAction: { action: "none", inDays: 7 }, maxContactsPer7Days: 1 } },
    ],
  };
  const put = (body: unknown, role: "lender" | "auditor" = "lender") =>
    f.call(role, `/v1/strategy?lender=${f.addresses.lender}`, { method: "PUT", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
  });
  after(async () => f?.close());

  it("404 before the lender sets one", async () => {
    const res = await f.call("lender", "/v1/strategy");
    expect(res.status).to.equal(404);
    expect((await json(res)).detail).to.contain("has no strategy");
  });

  it("a strategy naming a model not stored is a 400; with the model file it is stored (201), again 200 with no new version", async () => {
    const missing = await put({ strategy });
    expect(missing.status).to.equal(400);
    expect((await json(missing)).errors[0]).to.deep.include({ path: "body.strategy" });
    const created = await put({ strategy, model });
    expect(created.status).to.equal(201);
    const record = await json(created);
    expect(record).to.deep.include({ lender: f.addresses.lender, version: 1 });
    expect(record.strategyHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(record.models.map((m: any) => m.version)).to.deep.equal([model.version]);
    expect(record.models[0].scores.behavioural.features).to.deep.equal(model.scores.behavioural.scorecard.features.map((x) => x.name));
    const again = await put({ strategy });
    expect(again.status).to.equal(200);
    expect((await json(again)).version).to.equal(1);
  });

  it("a bad strategy is a 400 naming the field; an auditor may read but not set", async () => {
    const bad = await put({ strategy: { ...strategy, segments: [{ ...strategy.segments[1], when: { buckets: ["M1"] } }] } });
    expect(bad.status).to.equal(400);
    expect(JSON.stringify((await json(bad)).errors)).to.contain("the last segment takes every other loan");
    expect((await put({ strategy }, "auditor")).status).to.equal(403);
    const read = await f.call("auditor", `/v1/strategy?lender=${f.addresses.lender}`);
    expect(read.status).to.equal(200);
    expect((await json(read)).strategy.segments.map((s: any) => s.name)).to.deep.equal(["delinquent", "rest"]);
  });

  it("the hash the lender records on chain (CollectionStrategySet) shows which strategy was in force when", async () => {
    const record = await json(await f.call("lender", "/v1/strategy"));
    expect(record.onChain).to.deep.equal([]);
    const w = f.wallet("lender");
    const hash = await w.writeContract({ address: f.deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "setCollectionStrategy", args: [record.strategyHash], account: w.account!, chain: w.chain } as never);
    const receipt = await f.client.waitForTransactionReceipt({ hash });
    await f.reindex();
    const after = await json(await f.call("auditor", `/v1/strategy?lender=${f.addresses.lender}`));
    const block = await f.client.getBlock({ blockNumber: receipt.blockNumber });
    const policyId = Number(await f.client.readContract({ address: f.deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "currentPolicyOf", args: [f.addresses.lender] }));
    expect(after.onChain).to.deep.equal([{ strategyHash: record.strategyHash, version: 1, policyId, block: Number(receipt.blockNumber), timestamp: Number(block.timestamp) }]);
  });

  it("a scored loan shows its score, reasons and history in GET /v1/loans/{id}", async () => {
    const before = await json(await f.call("lender", "/v1/loans/2"));
    expect(before.scores).to.deep.equal({ current: null, history: [] });
    await scorePass(f.db);
    const body = await json(await f.call("lender", "/v1/loans/2?fresh=1"));
    const s = body.scores.current;
    expect(s).to.include({ model: model.version, segment: body.status.dpd > 0 ? "delinquent" : "rest", arm: "champion", strategyVersion: 1 });
    expect(s.probability).to.be.within(0, 1);
    expect(body.scores.history).to.have.length(1);
    expect(body.scores.history[0]).to.deep.include({ model: model.version, scoredAt: s.scoredAt, points: s.points });
  });

  it("the portfolio shows the score distribution, the segments and the champion/challenger comparison", async () => {
    const scored = await f.db.selectFrom("loan_scores").select(["kind", "probability_ppm", "segment"]).where("lender", "=", f.addresses.lender).execute();
    const { strategy: p } = await json(await f.call("lender", `/v1/portfolio?lender=${f.addresses.lender}`));
    for (const kind of ["behavioural", "earlyWarning"]) {
      const d = p.scoreDistribution.find((x: any) => x.kind === kind);
      expect(d.bands).to.have.length(10);
      const mine = scored.filter((r) => r.kind === kind);
      expect(d.bands.reduce((a: number, b: any) => a + b.loans, 0)).to.equal(mine.length);
      for (const r of mine) expect(d.bands[Math.min(9, Math.floor(Number(r.probability_ppm) / 100_000))].loans).to.be.greaterThan(0);
    }
    expect(p.segments.reduce((a: number, x: any) => a + x.loans, 0)).to.equal(scored.length);
    const champion = p.championChallenger.arms.find((a: any) => a.arm === "champion");
    expect(champion.loans).to.equal(scored.filter((r) => r.kind === "behavioural").length);
    expect(champion.cured).to.be.at.most(champion.loans);
    expect(p.championChallenger.arms.find((a: any) => a.arm === "challenger")).to.deep.include({ loans: 0, cureRate: null, recovered: "0" });
  });
});
