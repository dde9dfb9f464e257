import { expect } from "chai";
import fc from "fast-check";
import { agencyStatement, commissionOf, recoveryWindow, type Placement, type Recovery } from "../../src/domain";

const AGENCY = "0x00000000000000000000000000000000000000aa";
const placement = (over: Partial<Placement>): Placement => ({ id: 1, lender: "0x01", agency: AGENCY, commissionBps: 1_500, start: 1_000, end: 2_000, recalledAt: null, loanIds: [1], ...over });
const pay = (loanId: number, amount: bigint, paidAt: number, i = 0, unit = "CNY"): Recovery => ({ loanId, amount, paidAt, kind: "repayment", blockNumber: paidAt, logIndex: i, txHash: "0x", unit });

describe("domain: agency commission statements", function () {
  it("rounds each payment's commission down, never the sum", function () {
    expect(commissionOf(1_000_003n, 1_234)).to.equal(123_400n);
    expect(commissionOf(9n, 1_500)).to.equal(1n);
    expect(commissionOf(6n, 1_500)).to.equal(0n);
    // Two payments of 6 at 15%: 0 + 0, not floor(12 × 0.15) = 1.
    const s = agencyStatement(AGENCY, [placement({})], [pay(1, 6n, 1_100), pay(1, 6n, 1_200, 1)], 0, 5_000);
    expect(s.totals).to.deep.equal([{ placementId: 1, unit: "CNY", payments: 2, recovered: 12n, commission: 0n }]);
  });

  it("counts a payment from the start up to, not at, the end or the recall", function () {
    const p = placement({ recalledAt: 1_500 });
    expect(recoveryWindow(p)).to.deep.equal({ from: 1_000, to: 1_500 });
    const s = agencyStatement(AGENCY, [p], [pay(1, 10n, 999), pay(1, 10n, 1_000), pay(1, 10n, 1_499), pay(1, 10n, 1_500)], 0, 5_000);
    expect(s.lines.map((l) => l.paidAt)).to.deep.equal([1_000, 1_499]);
    // Recalled before it started: nothing is the agency's.
    expect(recoveryWindow(placement({ recalledAt: 900 }))).to.deep.equal({ from: 1_000, to: 1_000 });
  });

  it("keeps units apart and leaves out other agencies' placements and unplaced loans", function () {
    const placements = [placement({ loanIds: [1, 2] }), placement({ id: 2, agency: "0xbb", loanIds: [3] })];
    const s = agencyStatement(AGENCY, placements, [pay(1, 100n, 1_100, 0, "CNY"), pay(2, 100n, 1_100, 1, "0xToken"), pay(3, 100n, 1_100, 2), pay(4, 100n, 1_100, 3)], 0, 5_000);
    expect(s.totals.map((t) => [t.unit, t.recovered, t.commission])).to.deep.equal([["0xToken", 100n, 15n], ["CNY", 100n, 15n]]);
  });

  it("adds up: over random payments, totals are the sums of the lines and every line is inside the period and its window", function () {
    fc.assert(
      fc.property(
        fc.array(fc.record({ loan: fc.integer({ min: 1, max: 4 }), amount: fc.bigInt({ min: 1n, max: 10n ** 24n }), at: fc.integer({ min: 0, max: 4_000 }) }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.option(fc.integer({ min: 0, max: 3_000 })),
        fc.integer({ min: 0, max: 2_000 }),
        fc.integer({ min: 1, max: 3_000 }),
        (payments, bps, recalledAt, from, length) => {
          const p = placement({ commissionBps: bps, recalledAt, loanIds: [1, 2] });
          const s = agencyStatement(AGENCY, [p], payments.map((x, i) => pay(x.loan, x.amount, x.at, i)), from, from + length);
          const w = recoveryWindow(p);
          for (const l of s.lines) {
            expect(l.paidAt >= Math.max(from, w.from) && l.paidAt < Math.min(from + length, w.to) && [1, 2].includes(l.loanId)).to.equal(true);
            expect(l.commission).to.equal((l.amount * BigInt(bps)) / 10_000n);
          }
          const expected = payments.filter((x) => [1, 2].includes(x.loan) && x.at >= Math.max(from, w.from) && x.at < Math.min(from + length, w.to));
          expect(s.lines.length).to.equal(expected.length);
          const recovered = s.lines.reduce((a, l) => a + l.amount, 0n);
          expect(s.totals.reduce((a, t) => a + t.recovered, 0n)).to.equal(recovered);
          expect(s.totals.reduce((a, t) => a + t.commission, 0n)).to.equal(s.lines.reduce((a, l) => a + l.commission, 0n));
        },
      ),
      { numRuns: 300 },
    );
  });
});
