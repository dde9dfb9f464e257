/**
 * The scoring pass (src/strategy/scorer.ts) on a generated book: every open loan of a lender with
 * a strategy is scored once; a loan is scored again when its row changes, a chain day later, or
 * under a new strategy version; a closed loan loses its score; the history keeps every score.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { openDatabase, type DatabaseHandle } from "../../src/db/connect";
import { setStrategy, storeModel } from "../../src/db/strategies";
import { scorePass } from "../../src/strategy/scorer";
import { BOOK_LENDER, generateBook, type Book } from "../../scripts/lib/strategy-book";
import { tinyModel } from "./helpers/tiny-model";

describe("strategy/scorer", function () {
  this.timeout(120_000);
  let dir: string;
  let book: Book;
  let handle: DatabaseHandle;
  const strategyWith = (model: string, noticePlan = "default") => ({
    version: 1,
    model,
    segments: [
      { name: "delinquent", when: { score: "behavioural" }, treatment: { noticePlan, nextAction: { action: "call", inDays: 0 }, maxContactsPer7Days: 3 } },
      { name: "current", treatment: { noticePlan, nextAction: { action: "none", inDays: 7 }, maxContactsPer7Days: 1 } },
    ],
  });
  const openLoans = async () => Number((await handle.db.selectFrom("loans").select((eb) => eb.fn.countAll<number>().as("n")).where("status", "in", [0, 1]).executeTakeFirstOrThrow()).n);

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "strategy-scorer-"));
    book = await generateBook(path.join(dir, "book.sqlite"), { loans: 400, months: 14, seed: 9 });
    handle = await openDatabase(book.file);
  });
  after(async function () {
    await handle?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("scores nothing while no lender has a strategy", async function () {
    expect(await scorePass(handle.db)).to.deep.include({ scored: 0, removed: 0 });
  });

  it("scores every open loan once, in passes of at most `limit`", async function () {
    const model = tinyModel();
    await storeModel(handle.db, model);
    await setStrategy(handle.db, BOOK_LENDER, strategyWith(model.version), "test", 0);
    const open = await openLoans();
    expect(open).to.be.greaterThan(100);
    expect((await scorePass(handle.db, { limit: 100 })).scored).to.equal(100);
    expect((await scorePass(handle.db)).scored).to.equal(open - 100);
    expect((await scorePass(handle.db)).scored).to.equal(0);
    const rows = await handle.db.selectFrom("loan_scores").selectAll().execute();
    expect(rows).to.have.length(open);
    for (const r of rows) {
      expect(r.segment).to.equal(r.kind === "behavioural" ? "delinquent" : "current");
      expect(Number(r.scored_at)).to.equal(book.end);
      expect(r.expected_recovery).to.match(/^\d{40}$/);
      if (r.kind === "earlyWarning") expect(BigInt(r.expected_recovery)).to.equal(0n);
    }
  });

  it("scores again a loan whose row changed, all of them a chain day later, and all under a new strategy version", async function () {
    const [one] = await handle.db.selectFrom("loan_scores").select("loan_id").limit(1).execute();
    await handle.db.updateTable("loans").set((eb) => ({ updated_block: eb("updated_block", "+", 1) })).where("loan_id", "=", one!.loan_id).execute();
    expect((await scorePass(handle.db)).scored).to.equal(1);

    const open = await openLoans();
    await handle.db.updateTable("cursor").set({ block_timestamp: book.end + 86_400 }).execute();
    expect((await scorePass(handle.db)).scored).to.equal(open);
    const history = await handle.db.selectFrom("loan_score_history").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(Number(history.n)).to.equal(open * 2);

    await setStrategy(handle.db, BOOK_LENDER, strategyWith(tinyModel().version, "hardship"), "test", 0);
    expect((await scorePass(handle.db)).scored).to.equal(open);
    const versions = await handle.db.selectFrom("loan_scores").select("strategy_version").distinct().execute();
    expect(versions.map((v) => Number(v.strategy_version))).to.deep.equal([2]);
  });

  it("drops the score of a loan that closed", async function () {
    const [one] = await handle.db.selectFrom("loan_scores").select("loan_id").limit(1).execute();
    await handle.db.updateTable("loans").set({ status: 3 }).where("loan_id", "=", one!.loan_id).execute();
    expect(await scorePass(handle.db)).to.deep.include({ scored: 0, removed: 1 });
    expect(await handle.db.selectFrom("loan_scores").select("loan_id").where("loan_id", "=", one!.loan_id).execute()).to.deep.equal([]);
  });
});
