/**
 * Training and backtesting on a small generated book (scripts/lib/strategy-book.ts): the strict
 * time split, the model file round trip and its version, the same features for training and for
 * scoring, clear errors for a window that cannot be trained on.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase, type DatabaseHandle } from "../../src/db/connect";
import { DAY_SECONDS } from "../../src/domain";
import { backtest } from "../../src/strategy/backtest";
import { TrainingError, ModelFileError } from "../../src/strategy/errors";
import { modelCard, parseModelFile } from "../../src/strategy/model-file";
import { featuresAtTime, scoreLoan } from "../../src/strategy/score";
import { split, train, type TrainResult } from "../../src/strategy/train";
import { BOOK_START, generateBook, type Book } from "../../scripts/lib/strategy-book";

const DAY = DAY_SECONDS;

describe("strategy/train", function () {
  this.timeout(300_000);
  let dir: string;
  let book: Book;
  let handle: DatabaseHandle;
  let trained: TrainResult;
  const window = () => ({ from: BOOK_START + 30 * DAY, to: book.end, testFrom: book.end - 150 * DAY });

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "strategy-train-"));
    book = await generateBook(path.join(dir, "book.sqlite"), { loans: 1_500, months: 20, seed: 5 });
    handle = await openDatabase(book.file);
    trained = await train({ db: handle.db, ...window() });
  });

  after(async function () {
    await handle?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("splits strictly by time: training outcomes end by the held-out start; held-out snapshots start there", function () {
    const { model, snapshots } = trained;
    for (const kind of ["behavioural", "earlyWarning"] as const) {
      const days = kind === "behavioural" ? model.horizons.behaviouralDays : model.horizons.earlyWarningDays;
      const { train: rows, test } = split(snapshots, kind, model.window.testFrom, model.horizons);
      expect(rows.length, kind).to.equal(model.scores[kind].metrics.trainSnapshots);
      expect(test.length, kind).to.equal(model.scores[kind].metrics.testSnapshots);
      expect(test.length, kind).to.be.greaterThan(100);
      for (const s of rows) expect(Number(s.features.t) + days * DAY).to.be.at.most(model.window.testFrom);
      for (const s of test) expect(Number(s.features.t)).to.be.at.least(model.window.testFrom);
      // Snapshots whose outcome window runs past the data have no label and are used by neither.
      for (const s of snapshots) if (s.kind === kind && Number(s.features.t) + days * DAY > model.window.dataEnd) expect(s.label).to.equal(null);
    }
  });

  it("learns something real on held-out data (the book's propensity drives its history)", function () {
    expect(trained.model.scores.behavioural.metrics.auc).to.be.greaterThan(0.65);
    expect(trained.model.scores.earlyWarning.metrics.auc).to.be.greaterThan(0.65);
  });

  it("writes a model file that parses back, whose version is its content's hash; an edit is refused", function () {
    const text = JSON.stringify(trained.model, null, 2);
    const back = parseModelFile(text, "model.json");
    expect(back).to.deep.equal(trained.model);
    const edited = JSON.parse(text) as typeof trained.model;
    edited.scores.behavioural.scorecard.intercept += 1;
    expect(() => parseModelFile(JSON.stringify(edited), "model.json")).to.throw(ModelFileError, "does not match its content");
    expect(() => parseModelFile('{"format": "x"}', "m.json")).to.throw(ModelFileError, "m.json: format");
    const card = modelCard(trained.model);
    for (const heading of ["## Data", "## Features", "## Performance", "## Limits", "## Fairness"]) expect(card).to.contain(heading);
    expect(card).to.contain(trained.model.dataHash);
  });

  it("is reproducible: the same data and window give the same model version", async function () {
    const again = await train({ db: handle.db, ...window() });
    expect(again.model.version).to.equal(trained.model.version);
    expect(again.model.dataHash).to.equal(trained.model.dataHash);
  });

  it("scores with exactly the features training saw at the same time", async function () {
    const t = trained.model.window.testFrom;
    const snaps = trained.snapshots.filter((s) => Number(s.features.t) === t).slice(0, 200);
    expect(snaps.length).to.be.greaterThan(50);
    const now = await featuresAtTime(handle.db, snaps.map((s) => s.features.loanId), t);
    const byId = new Map(now.map((f) => [f.loanId, f]));
    for (const s of snaps) expect(byId.get(s.features.loanId)).to.deep.equal(s.features);
    const scored = now.map((f) => scoreLoan(trained.model, f)!);
    for (const s of scored) {
      expect(s.kind).to.equal(byId.get(s.loanId)!.dpd >= 1n ? "behavioural" : "earlyWarning");
      expect(s.probability).to.be.within(0, 1);
      expect(s.model).to.equal(trained.model.version);
    }
  });

  it("backtests: shares of recoveries in the first 20% of each order", async function () {
    const r = await backtest({ db: handle.db, ...window() });
    expect(r.model.version).to.equal(trained.model.version);
    for (const share of Object.values(r.top20)) expect(share).to.be.within(0, 1);
    expect(r.top20.strategy).to.be.greaterThan(r.top20.oldestDue);
    expect(r.loans).to.equal(1_500);
  });

  it("refuses a window past the indexed head, and one with too little history", async function () {
    const late = await train({ db: handle.db, from: BOOK_START, to: book.end + DAY }).catch((e: unknown) => e);
    expect(late).to.be.instanceOf(TrainingError).with.property("message").that.contains("after the indexed head");
    const short = await train({ db: handle.db, from: BOOK_START + 30 * DAY, to: BOOK_START + 60 * DAY }).catch((e: unknown) => e);
    expect(short).to.be.instanceOf(TrainingError).with.property("message").that.contains("at least 30 of each outcome");
  });
});
