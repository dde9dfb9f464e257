/**
 * `strategy train | backtest` end to end: the CLI as a child process against a generated book
 * (scripts/lib/strategy-book.ts). Bad flags exit 2 naming the flag and write nothing; train writes
 * the model file (its name is its version) and the model card; backtest prints the held-out
 * figures and writes them with --out.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { parseModelFile } from "../../src/strategy/model-file";
import { BOOK_LENDER, generateBook, type Book } from "../../scripts/lib/strategy-book";
import { cli, type CliResult } from "./helpers/operator";

const fixture = (name: string) => path.join(__dirname, "fixtures", name);
const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

describe("cli strategy", function () {
  this.timeout(300_000);
  let dir = "";
  let book: Book;
  let modelFile = "";
  const run = (args: string[]): Promise<CliResult> => cli(["strategy", ...args, "--db", book.file], { DATABASE_URL: undefined });

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-strategy-"));
    book = await generateBook(path.join(dir, "book.sqlite"), { loans: 1_000, months: 18, seed: 3 });
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses bad flags with exit 2, naming the flag, writing nothing", async function () {
    const out = path.join(dir, "none");
    const cases: [string[], string][] = [
      [["train", "--to", "2027-01-01"], "error: --from and --to are required (dates YYYY-MM-DD, chain time)"],
      [["train", "--from", "2026-13-01", "--to", "2027-01-01"], "error: --from: must be a calendar date YYYY-MM-DD (1970 or later)"],
      [["train", "--from", "2026-02-01", "--to", "2027-01-01", "--horizon-days", "0"], "error: --horizon-days: must be a whole number of days (1–999)"],
      [["train", "--from", "2026-02-01", "--to", "2031-01-01"], `error: --to is after the indexed head (${new Date(book.end * 1000).toISOString()}): outcomes after it are unknown`],
      [["backtest", "--lender", "0x12"], "error: --lender: must be a 0x-prefixed 20-byte hex address"],
    ];
    for (const [args, message] of cases) {
      const r = await run([...args, "--out", out]);
      expect(r.code, args.join(" ")).to.equal(2);
      expect(r.stderr.split("\n").filter((l) => l.startsWith("error"))).to.deep.equal([message]);
      expect(r.stdout).to.equal("");
    }
    expect(fs.existsSync(out)).to.equal(false);
  });

  it("train writes <version>.json and <version>.md, and prints the held-out figures", async function () {
    const out = path.join(dir, "models");
    const r = await run(["train", "--from", day(book.start + 30 * 86_400), "--to", day(book.end - 86_400), "--out", out]);
    expect(r.code, r.stderr).to.equal(0);
    const printed = JSON.parse(r.stdout) as { version: string; file: string; card: string; behavioural: { auc: number; testSnapshots: number } };
    expect(printed.file).to.equal(path.join(out, `${printed.version}.json`));
    const model = parseModelFile(fs.readFileSync(printed.file, "utf8"), printed.file);
    expect(model.version).to.equal(printed.version);
    expect(model.scores.behavioural.metrics.auc).to.equal(printed.behavioural.auc);
    expect(printed.behavioural.testSnapshots).to.be.greaterThan(0);
    expect(fs.readFileSync(printed.card, "utf8")).to.contain(`# Model card: ${model.version}`);
    modelFile = printed.file;
  });

  it("strategy set: a bad file exits 2 with every problem by line, nothing written; a good one is stored with its model, once", async function () {
    const lender = BOOK_LENDER;
    const bad = await run(["set", "--file", fixture("bad-strategy.json"), "--lender", lender, "--model", modelFile]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr.trim().split("\n")).to.deep.equal([
      "line 5, field segments[0].name: must be lower-case letters, digits and dashes (at most 40), starting with a letter",
      "line 6, field segments[0].when.buckets[0]: must be one of M0, M1, M2, M3, M4, M5, M6, M7+",
      "line 11, field segments[1].treatment.colour: is not a strategy field",
      `error: 3 problems in ${fixture("bad-strategy.json")}; nothing was sent`,
    ]);
    const none = await run(["show", "--lender", lender]);
    expect(none.code).to.equal(2);
    expect(none.stderr).to.contain(`lender ${lender} has no strategy`);
    const noModel = await run(["set", "--file", fixture("strategy.json"), "--lender", lender]);
    expect(noModel.code).to.equal(2);
    expect(noModel.stderr).to.contain("names no model: give the model file with --model");

    const set = await run(["set", "--file", fixture("strategy.json"), "--lender", lender.toLowerCase(), "--model", modelFile]);
    expect(set.code, set.stderr).to.equal(0);
    const r = JSON.parse(set.stdout) as { version: number; created: boolean; strategyHash: string; model: string };
    expect(r).to.deep.include({ version: 1, created: true });
    const again = JSON.parse((await run(["set", "--file", fixture("strategy.json"), "--lender", lender, "--model", modelFile])).stdout) as typeof r;
    expect(again).to.deep.include({ version: 1, created: false, strategyHash: r.strategyHash });
    const shown = JSON.parse((await run(["show", "--lender", lender])).stdout) as { version: number; strategyHash: string; strategy: { model: string; segments: { name: string }[] } };
    expect(shown).to.deep.include({ version: 1, strategyHash: r.strategyHash });
    expect(shown.strategy.model).to.equal(r.model);
    expect(shown.strategy.segments.map((x) => x.name)).to.deep.equal(["hardship", "self-cure", "early-soft", "high-risk", "legal", "standard"]);
  });

  it("strategy score scores the open loans once; a second pass has nothing to do", async function () {
    const first = await run(["score"]);
    expect(first.code, first.stderr).to.equal(0);
    const a = JSON.parse(first.stdout) as { scored: number; at: string };
    expect(a.scored).to.be.greaterThan(0);
    expect(a.at).to.equal(new Date(book.end * 1000).toISOString());
    expect(JSON.parse((await run(["score"])).stdout)).to.deep.include({ scored: 0 });
  });

  it("backtest prints the figures and writes them with --out", async function () {
    const out = path.join(dir, "backtest.json");
    const r = await run(["backtest", "--out", out]);
    expect(r.code, r.stderr).to.equal(0);
    const printed = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(printed).to.include.keys("auc", "ks", "brier", "top20", "loans", "months", "earlyWarning", "model");
    expect(printed.loans).to.equal(1_000);
    const written = JSON.parse(fs.readFileSync(out, "utf8")) as Record<string, unknown>;
    expect(written).to.deep.include({ auc: printed.auc, top20: printed.top20 });
    expect(written).to.have.property("calibration");
  });
});
