/**
 * GET /v1/queue under a lender's strategy, on both databases: the order by expected recovery (with
 * keyset pagination that gives the same sequence page by page), `order=due` keeping the order
 * before strategies, each item's score, reasons, segment and next best action, and champion /
 * challenger arms that re-scoring does not move.
 */
import { queueKeyMismatches } from "../support/db-dump";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { setStrategy, storeModel } from "../../src/db/strategies";
import { armOf } from "../../src/strategy/segments";
import { scorePass } from "../../src/strategy/scorer";
import { parseStrategy, type StrategyFile } from "../../src/strategy/strategy-file";
import { tinyModel } from "../strategy/helpers/tiny-model";
import { apiFixture, describeEachDialect, type ApiFixture } from "./fixture";

async function json(res: Response) {
  return (await res.json()) as any;
}

describeEachDialect("GET /v1/queue with a strategy", (dialect) => {
  let f: ApiFixture;
  let strategy: StrategyFile;

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    const model = tinyModel();
    await storeModel(f.db, model);
    const file = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "cli", "fixtures", "strategy.json"), "utf8"));
    strategy = parseStrategy({ ...file, model: model.version, challenger: { ...file.challenger, share: 0.5 } });
    await setStrategy(f.db, f.addresses.lender, strategy, "test", 0);
    const r = await scorePass(f.db);
    expect(r.scored).to.be.greaterThan(3);
    expect(await queueKeyMismatches(f.db), "keys after scoring").to.deep.equal([]);
  });
  after(async () => f?.close());

  it("orders by expected recovery (probability × amount overdue), then as before; every item explains itself", async () => {
    const body = await json(await f.call("collector", "/v1/queue"));
    const items = body.items as any[];
    expect(items.length).to.be.greaterThan(3);
    const expected = items.map((i) => BigInt(i.strategy?.expectedRecovery ?? 0));
    for (let k = 1; k < expected.length; k++) expect(expected[k]! <= expected[k - 1]!, `rank ${k + 1}`).to.equal(true);
    const delinquent = items.filter((i) => i.dpd > 0);
    expect(delinquent.length).to.be.greaterThan(0);
    for (const i of delinquent) {
      const s = i.strategy;
      expect(s.score.kind).to.equal("behavioural");
      expect(s.score.probability).to.be.within(0, 1);
      expect(BigInt(s.expectedRecovery)).to.equal((BigInt(Math.round(s.score.probability * 1e6)) * BigInt(i.amountOverdue)) / 1_000_000n);
      expect(s.score.reasons.length).to.be.at.most(3);
      for (const r of s.score.reasons) expect(r.text).to.be.a("string").and.not.equal("");
      const segment = (s.arm === "challenger" ? strategy.challenger!.segments : strategy.segments).find((x) => x.name === s.segment)!;
      expect(segment, s.segment).to.not.equal(undefined);
      expect(s.nextBestAction.action).to.equal(segment.treatment.nextAction.action);
      expect(s.nextBestAction.dueAt).to.equal(s.score.scoredAt + segment.treatment.nextAction.inDays * 86_400);
      expect(s.treatment.maxContactsPer7Days).to.equal(segment.treatment.maxContactsPer7Days);
      if (s.nextBestAction.action !== "none") expect(s.nextBestAction.allowedNow).to.be.a("boolean");
    }
    for (const i of items.filter((x) => x.dpd === 0)) {
      expect(i.strategy.score.kind).to.equal("earlyWarning");
      expect(i.strategy.expectedRecovery).to.equal("0");
    }
  });

  it("pages by keyset: page by page gives the one-page sequence; a cursor pages only its own order", async () => {
    const whole = (await json(await f.call("collector", "/v1/queue"))).items.map((i: any) => i.loanId);
    const paged: string[] = [];
    let cursor: string | null = null;
    let first: string | null = null;
    do {
      const body = await json(await f.call("collector", `/v1/queue?limit=2${cursor ? `&cursor=${cursor}` : ""}`));
      paged.push(...body.items.map((i: any) => i.loanId));
      cursor = body.nextCursor;
      first ??= cursor;
    } while (cursor);
    expect(paged).to.deep.equal(whole);
    const res = await f.call("collector", `/v1/queue?order=due&limit=2&cursor=${first}`);
    expect(res.status).to.equal(400);
    const problem = await json(res);
    expect(problem.errors[0]).to.deep.include({ path: "cursor" });
  });

  it("a higher expected recovery moves a loan up, ahead of an older due date", async () => {
    // The fixture's due order is 2, 4, 1, 3, 5, 6. Give loan 5 (current) the largest expected recovery.
    await f.db.updateTable("loan_scores").set({ expected_recovery: "1".padEnd(40, "0") }).where("loan_id", "=", 5).execute();
    expect(await queueKeyMismatches(f.db), "keys after a score update").to.deep.equal([]);
    const body = await json(await f.call("collector", "/v1/queue?limit=49")); // another URL: not the cached page
    expect(body.items[0].loanId).to.equal("5");
    expect(body.items.slice(1).map((i: any) => i.loanId)).to.deep.equal(["2", "4", "1", "3", "6"]);
    await scorePass(f.db, { limit: 100 }); // unchanged loans keep their scores...
    await f.db.deleteFrom("loan_scores").where("loan_id", "=", 5).execute();
    expect(await queueKeyMismatches(f.db), "keys after a score is deleted").to.deep.equal([]);
    await scorePass(f.db); // ...and a missing one is scored again
    expect(await queueKeyMismatches(f.db), "keys after scoring again").to.deep.equal([]);
  });

  it("order=due keeps the order before strategies, with the strategy shown", async () => {
    const body = await json(await f.call("collector", "/v1/queue?order=due"));
    expect(body.items.map((i: any) => i.loanId)).to.deep.equal(["2", "4", "1", "3", "5", "6"]);
    expect(body.items.every((i: any) => i.strategy !== null)).to.equal(true);
  });

  it("arms are drawn from the seed and the loan id: scoring again moves no loan", async () => {
    const before = await f.db.selectFrom("loan_scores").select(["loan_id", "arm", "segment"]).orderBy("loan_id").execute();
    for (const r of before) expect(r.arm).to.equal(armOf(strategy, Number(r.loan_id)));
    expect(new Set(before.map((r) => r.arm)).size).to.equal(2); // share 0.5: both arms in six loans (seeded)
    await f.db.deleteFrom("loan_scores").execute();
    await scorePass(f.db);
    const after = await f.db.selectFrom("loan_scores").select(["loan_id", "arm", "segment"]).orderBy("loan_id").execute();
    expect(after).to.deep.equal(before);
  });
});
