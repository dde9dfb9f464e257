/**
 * bench/api/synthesize.ts: the benchmark's book. Built again over an earlier one (it starts from
 * an empty file, as its doc says), with every loan and its distinct synthetic hashes.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { expect } from "chai";
import { REALISTIC_SHAPE } from "../../bench/api/realistic";
import { benchCollector, benchLender, ownersOf, synthesize } from "../../bench/api/synthesize";

describe("bench: the synthesized book", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-synthesize-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("builds the book again over an earlier one: each loan once, dealt to its lender and collector, with distinct 32-byte hashes", async () => {
    const file = path.join(dir, "book.db");
    await synthesize(file, 30, REALISTIC_SHAPE);
    const result = await synthesize(file, 60, REALISTIC_SHAPE);
    expect(result.loans).to.equal(60);
    const db = new BetterSqlite3(file, { readonly: true });
    try {
      const loans = db.prepare("select loan_id, lender, tx_hash, borrower_ref from loans order by loan_id").all() as { loan_id: number; lender: string; tx_hash: string; borrower_ref: string }[];
      expect(loans.map((l) => l.loan_id)).to.deep.equal(Array.from({ length: 60 }, (_, i) => i + 1));
      for (const l of loans) expect(l.lender).to.equal(benchLender(ownersOf(l.loan_id, REALISTIC_SHAPE).lender));
      const assigned = db.prepare("select loan_id, collector from current_collectors order by loan_id").all() as { loan_id: number; collector: string }[];
      for (const a of assigned) {
        const o = ownersOf(a.loan_id, REALISTIC_SHAPE);
        expect(a.collector).to.equal(benchCollector(o.lender, o.collector));
      }
      const hashes = [
        ...loans.flatMap((l) => [l.tx_hash, l.borrower_ref]),
        ...(db.prepare("select tx_hash from repayments").all() as { tx_hash: string }[]).map((r) => r.tx_hash),
        ...(db.prepare("select tx_hash from actions").all() as { tx_hash: string }[]).map((r) => r.tx_hash),
      ];
      for (const h of hashes) expect(h).to.match(/^0x[0-9a-f]{64}$/);
      expect(new Set(hashes).size, "distinct hashes").to.equal(hashes.length);
    } finally {
      db.close();
    }
  });
});
