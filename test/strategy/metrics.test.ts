/**
 * Backtest measures (src/strategy/metrics.ts) on cases worked by hand, and the queue capture of
 * each order (src/strategy/backtest.ts).
 */
import { expect } from "chai";
import { auc, brier, calibration, captured, ks } from "../../src/strategy/metrics";
import { ORDERS } from "../../src/strategy/backtest";

describe("strategy/metrics", function () {
  it("auc: the share of (positive, negative) pairs ranked right, ties half", function () {
    // Pairs (pos, neg): (0.35, 0.1) right, (0.35, 0.4) wrong, (0.8, 0.1) right, (0.8, 0.4) right → 3/4.
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).to.equal(0.75);
    expect(auc([0.5, 0.5], [0, 1])).to.equal(0.5);
    expect(auc([0.9, 0.1], [0, 1])).to.equal(0);
    expect(auc([0.1, 0.2], [1, 1])).to.be.NaN;
  });

  it("ks: the largest gap between the two cumulative distributions", function () {
    // Sorted: 0.1(n) 0.35(p) 0.4(n) 0.8(p): after 0.1 |0 − 1/2| = .5; after 0.35 |1/2 − 1/2| = 0; after 0.4 |1/2 − 1| = .5.
    expect(ks([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).to.equal(0.5);
    expect(ks([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).to.equal(1);
  });

  it("brier: mean squared error of the probabilities", function () {
    expect(brier([0.8, 0.3], [1, 0])).to.be.closeTo((0.04 + 0.09) / 2, 1e-15);
  });

  it("calibration: predicted against observed by decile", function () {
    const p = Array.from({ length: 20 }, (_, i) => i / 20);
    const y = p.map((_, i) => (i >= 10 ? 1 : 0));
    const c = calibration(p, y, 2);
    expect(c).to.deep.equal([
      { decile: 1, count: 10, meanPredicted: p.slice(0, 10).reduce((a, x) => a + x, 0) / 10, observed: 0 },
      { decile: 2, count: 10, meanPredicted: p.slice(10).reduce((a, x) => a + x, 0) / 10, observed: 1 },
    ]);
  });

  it("captured: the first 20% of the queue under an order, of all recoveries", function () {
    // Five loans: the queue's first 20% is one loan.
    const queue = [
      { loanId: 1, dpd: 90n, overdue: 500n, expected: 50n, recovered: 0n },
      { loanId: 2, dpd: 10n, overdue: 100n, expected: 90n, recovered: 100n },
      { loanId: 3, dpd: 40n, overdue: 900n, expected: 60n, recovered: 300n },
      { loanId: 4, dpd: 5n, overdue: 200n, expected: 20n, recovered: 200n },
      { loanId: 5, dpd: 60n, overdue: 50n, expected: 10n, recovered: 0n },
    ];
    expect(captured(queue, ORDERS.oldestDue)).to.deep.equal({ captured: 0n, total: 600n }); // loan 1 first
    expect(captured(queue, ORDERS.strategy)).to.deep.equal({ captured: 100n, total: 600n }); // loan 2 first
    expect(captured(queue, ORDERS.largestAmount)).to.deep.equal({ captured: 300n, total: 600n }); // loan 3 first
    expect(captured(queue, ORDERS.strategy, 0.4)).to.deep.equal({ captured: 400n, total: 600n }); // loans 2 and 3
  });
});
