import { expect } from "chai";
import { parseCsv } from "../../../src/cli/lib/csv";
import { parseLocatedJson } from "../../../src/cli/lib/json";
import { parseLoanFile } from "../../../src/cli/lib/loan-file";
import { UsageError } from "../../../src/cli/lib/errors";

const ROW = {
  borrower: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  borrowerRef: `0x${"11".repeat(32)}`,
  currency: "CNY",
  principal: "1200",
  contractRateBps: 1200,
  utcOffsetMinutes: 480,
  jurisdiction: "CN",
};
const ctx = { now: 1_800_000_000n, maxAnnualRateBps: 1500, penaltyRateBps: 400 };

describe("cli loan files", function () {
  it("reads CSV records with quotes, doubled quotes, CRLF and a BOM, keeping each record's first line", function () {
    const text = '\uFEFFa,b\r\n"x, y","say ""hi"""\r\n"multi\nline",z\n\n';
    expect(parseCsv(text)).to.deep.equal([
      { line: 1, cells: ["a", "b"] },
      { line: 2, cells: ["x, y", 'say "hi"'] },
      { line: 3, cells: ["multi\nline", "z"] },
      { line: 5, cells: [""] },
    ]);
  });

  it("locates every JSON value's line, falling back to the nearest ancestor", function () {
    const doc = parseLocatedJson('{\n  "loans": [\n    {\n      "a": 1,\n      "b": [2,\n 3]\n    }\n  ]\n}', "f.json");
    expect(doc.lineOf(["loans", 0])).to.equal(3);
    expect(doc.lineOf(["loans", 0, "a"])).to.equal(4);
    expect(doc.lineOf(["loans", 0, "b", 1])).to.equal(6);
    expect(doc.lineOf(["loans", 0, "missing"])).to.equal(3);
    expect(() => parseLocatedJson("{\n  oops\n}", "f.json")).to.throw(UsageError, /^error: f\.json: line 2: not valid JSON/);
  });

  it("checks the rate cap with the lender's penalty rate, and both schedule forms", function () {
    const rows = [
      { ...ROW, kind: "equal-principal", count: 3, firstDue: "2031-01-31" },
      { ...ROW, contractRateBps: 1200, schedule: [{ dueDate: "2031-01-31", principal: "1200", interest: 0 }] },
    ];
    const ok = parseLoanFile("l.json", JSON.stringify(rows, null, 2), { now: ctx.now });
    expect(ok.problems).to.deep.equal([]);
    expect(ok.rows.map((r) => r.params.schedule.length)).to.deep.equal([3, 1]);
    expect(ok.rows[0]!.params.currency).to.equal("0x434e59");
    const capped = parseLoanFile("l.json", JSON.stringify([rows[0]]), ctx);
    expect(capped.problems).to.deep.equal([
      { line: 1, field: "contractRateBps", message: "1200 plus the policy's penalty rate 400 exceeds the legal cap 1500 bps (CN)" },
    ]);
    // The jurisdiction's own cap, where the caller knows it, comes before the global one.
    const byJurisdiction = parseLoanFile("l.json", JSON.stringify([rows[0]]), { ...ctx, capOf: (j) => (j === "CN" ? 1_600 : undefined) });
    expect(byJurisdiction.problems).to.deep.equal([]);
    const gb = parseLoanFile("l.json", JSON.stringify([{ ...rows[0], jurisdiction: "GB" }]), { ...ctx, capOf: (j) => (j === "CN" ? 1_600 : undefined) });
    expect(gb.problems.map((p) => p.message)).to.deep.equal(["1200 plus the policy's penalty rate 400 exceeds the legal cap 1500 bps (GB)"]);
  });

  it("needs each row's jurisdiction, from its column or the file's default, and encodes it as the ledger's bytes6", function () {
    const { jurisdiction: _omitted, ...noJurisdiction } = ROW;
    const row = { ...noJurisdiction, kind: "annuity", count: 2, firstDue: "2031-01-31" };
    expect(parseLoanFile("l.json", JSON.stringify([row]), { now: ctx.now }).problems.map((p) => `${p.field}: ${p.message}`)).to.deep.equal([
      "jurisdiction: is required (a column, or the file's default: loans register --jurisdiction)",
    ]);
    const defaulted = parseLoanFile("l.json", JSON.stringify([row, { ...row, jurisdiction: "US-CA" }]), { now: ctx.now, defaultJurisdiction: "GB" });
    expect(defaulted.rows.map((r) => r.params.jurisdiction)).to.deep.equal(["0x474200000000", "0x55532d434100"]);
    const bad = parseLoanFile("l.json", JSON.stringify([{ ...row, jurisdiction: "China" }, { ...row, jurisdiction: "us" }]), { now: ctx.now });
    expect(bad.problems.map((p) => `${p.field}: ${p.message}`)).to.deep.equal([
      "jurisdiction: must be an ISO 3166 code such as CN, GB or US-CA",
      "jurisdiction: must be an ISO 3166 code such as CN, GB or US-CA",
    ]);
  });

  it("asks for the generator fields or a schedule, and not both", function () {
    const csv = "borrower,borrowerRef,currency,principal,contractRateBps,utcOffsetMinutes,jurisdiction,kind\n" + `${Object.values(ROW).join(",")},annuity\n`;
    expect(parseLoanFile("l.csv", csv, { now: ctx.now }).problems.map((p) => `${p.line} ${p.field}`)).to.deep.equal(["2 count", "2 firstDue"]);
    const both = [{ ...ROW, kind: "annuity", schedule: [] }];
    expect(parseLoanFile("l.json", JSON.stringify(both), ctx).problems[0]).to.include({ field: "schedule" });
    expect(() => parseLoanFile("l.txt", "", ctx)).to.throw(UsageError, "error: --file must end in .json or .csv, got l.txt");
    expect(parseLoanFile("l.csv", "borrower,nope\n", ctx).problems[0]).to.include({ line: 1, field: "nope" });
  });
});
