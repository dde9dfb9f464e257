/**
 * Scorecard maths (src/domain/scorecard.ts): binning and WOE worked by hand, points that add up to
 * the score and double the odds every PDO, reason codes in words, uninformative features left out.
 */
import { expect } from "chai";
import { binFeature, binOf, DEFAULT_SCALING, informationValue, scoreWith, trainScorecard, type Bin, type LoanFeatures } from "../../src/domain";
import { featureRow } from "../strategy/helpers/tiny-model";
import { prng } from "../../scripts/lib/prng";

const rowOf = featureRow;

describe("domain/scorecard", function () {
  describe("binFeature", function () {
    it("numeric: bins large enough, event rate monotonic, the last open above, missing values apart", function () {
      const random = prng(1);
      const values: (number | null)[] = [];
      const ys: number[] = [];
      for (let i = 0; i < 5_000; i++) {
        const v = i % 50 === 0 ? null : Math.floor(random() * 100);
        values.push(v);
        ys.push(random() < (v === null ? 0.5 : 0.1 + (0.8 * v) / 100) ? 1 : 0);
      }
      const bins = binFeature("numeric", values, ys, { minShare: 0.05 });
      const numeric = bins.filter((b): b is Bin & { upper: number | null } => "upper" in b);
      expect(numeric.length).to.be.greaterThan(2);
      for (const b of numeric) expect(b.count).to.be.at.least(250);
      const rates = numeric.map((b) => b.targets / b.count);
      for (let i = 1; i < rates.length; i++) expect(rates[i]).to.be.at.least(rates[i - 1]!);
      expect(numeric[numeric.length - 1]!.upper).to.equal(null);
      const missing = bins.find((b) => "missing" in b)!;
      expect(missing.count).to.equal(100);
      expect(bins.reduce((a, b) => a + b.count, 0)).to.equal(5_000);
      // WOE = ln((targets_i + .5)/(T + .5) / ((others_i + .5)/(N + .5)))
      const T = ys.reduce((a, y) => a + y, 0);
      const N = 5_000 - T;
      const b0 = numeric[0]!;
      expect(b0.woe).to.be.closeTo(Math.log((b0.targets + 0.5) / (T + 0.5) / ((b0.count - b0.targets + 0.5) / (N + 0.5))), 1e-12);
      expect(binOf(bins, 1_000).woe).to.equal(numeric[numeric.length - 1]!.woe);
      expect(binOf(bins, null)).to.equal(missing);
    });

    it("a value never straddles two bins", function () {
      const values = [...Array(600).fill(0), ...Array(400).fill(1)];
      const ys = values.map((v, i) => (v === 1 ? (i % 3 === 0 ? 1 : 0) : i % 5 === 0 ? 1 : 0));
      const bins = binFeature("numeric", values, ys, { maxBins: 10, minShare: 0.01 });
      const numeric = bins.filter((b) => "upper" in b);
      expect(numeric.map((b) => b.count)).to.deep.equal([600, 400]);
    });

    it("category: each large category its own bin; small and unseen ones in other", function () {
      const values = [...Array(500).fill("a"), ...Array(480).fill("b"), ...Array(20).fill("c")];
      const ys = values.map((v, i) => (v === "a" ? i % 2 : i % 4 === 0 ? 1 : 0));
      const bins = binFeature("category", values, ys, { minShare: 0.05 });
      expect(bins.map((b) => ("categories" in b ? b.categories : "other"))).to.deep.equal([["a"], ["b"], "other"]);
      expect(binOf(bins, "c")).to.have.property("other", true);
      expect(binOf(bins, "never-seen")).to.have.property("other", true);
    });
  });

  it("informationValue: Σ (share of targets − share of others) × WOE", function () {
    const bins: Bin[] = [
      { upper: 1, count: 100, targets: 80, woe: Math.log(80.5 / 100.5 / (20.5 / 100.5)) },
      { upper: null, count: 100, targets: 20, woe: Math.log(20.5 / 100.5 / (80.5 / 100.5)) },
    ];
    const expected = (80.5 / 100.5 - 20.5 / 100.5) * bins[0]!.woe + (20.5 / 100.5 - 80.5 / 100.5) * bins[1]!.woe;
    expect(informationValue(bins)).to.be.closeTo(expected, 1e-12);
  });

  describe("trainScorecard and scoreWith", function () {
    // Outcome driven by on_time_share (strongly) and promises_broken_90d; dpd is noise.
    const random = prng(7);
    const rows: LoanFeatures[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 6_000; i++) {
      const onTime = Math.floor(random() * 101);
      const broken = Math.floor(random() * 4);
      const z = -1 + 0.04 * onTime - 0.6 * broken;
      rows.push(rowOf({ on_time_share: onTime, promises_broken_90d: broken, dpd: Math.floor(random() * 90) }, i));
      ys.push(random() < 1 / (1 + Math.exp(-z)) ? 1 : 0);
    }
    const card = trainScorecard({ rows, ys, favourable: 1, features: ["on_time_share", "promises_broken_90d", "dpd"] });

    it("keeps the informative features, drops the noise, with positive coefficients on WOE", function () {
      expect(card.features.map((f) => f.name)).to.deep.equal(["on_time_share", "promises_broken_90d"]);
      for (const f of card.features) expect(f.coefficient).to.be.greaterThan(0);
    });

    it("points add up to the score, and the score is the scaled log-odds (PDO doubles the odds)", function () {
      const factor = DEFAULT_SCALING.pdo / Math.LN2;
      const offset = DEFAULT_SCALING.baseScore - factor * Math.log(DEFAULT_SCALING.baseOdds);
      for (const r of rows.slice(0, 200)) {
        const s = scoreWith(card, r);
        expect(Math.abs(s.points - s.parts.reduce((a, p) => a + p.points, 0))).to.be.at.most(1);
        expect(s.points).to.be.closeTo(offset + factor * Math.log(s.probability / (1 - s.probability)), 0.5 + 1e-9);
      }
      // Odds 50:1 score exactly baseScore; twice the odds score PDO more.
      const at = (odds: number) => offset + factor * Math.log(odds);
      expect(at(DEFAULT_SCALING.baseOdds)).to.be.closeTo(DEFAULT_SCALING.baseScore, 1e-9);
      expect(at(2 * DEFAULT_SCALING.baseOdds) - at(DEFAULT_SCALING.baseOdds)).to.be.closeTo(DEFAULT_SCALING.pdo, 1e-9);
    });

    it("ranks: a better history scores higher and is likelier to pay", function () {
      const good = scoreWith(card, rowOf({ on_time_share: 100, promises_broken_90d: 0 }));
      const bad = scoreWith(card, rowOf({ on_time_share: 5, promises_broken_90d: 3 }));
      expect(good.points).to.be.greaterThan(bad.points);
      expect(good.probability).to.be.greaterThan(bad.probability);
    });

    it("reason codes: the features that cost the most points against the average, in words", function () {
      const bad = scoreWith(card, rowOf({ on_time_share: 5, promises_broken_90d: 3 }));
      expect(bad.reasons).to.have.length(2);
      expect(bad.reasons[0]!.points).to.be.at.most(bad.reasons[1]!.points); // the costliest first
      expect(bad.reasons.map((r) => r.text)).to.have.members(["only 5% of scheduled amounts paid on time", "3 broken promises in 90 days"]);
      for (const r of bad.reasons) expect(r.points).to.be.lessThan(0);
      expect(scoreWith(card, rowOf({ on_time_share: 100, promises_broken_90d: 0 })).reasons).to.deep.equal([]);
    });

    it("favourable −1 (an early warning): the same fit, points fall as the probability rises", function () {
      const warn = trainScorecard({ rows, ys, favourable: -1, features: ["on_time_share", "promises_broken_90d"] });
      const a = scoreWith(warn, rowOf({ on_time_share: 100, promises_broken_90d: 0 }));
      const b = scoreWith(warn, rowOf({ on_time_share: 5, promises_broken_90d: 3 }));
      expect(a.probability).to.be.greaterThan(b.probability);
      expect(a.points).to.be.lessThan(b.points);
    });

    it("refuses a feature that does not exist, and data with nothing to learn", function () {
      expect(() => trainScorecard({ rows, ys, favourable: 1, features: ["shoe_size"] })).to.throw("no feature is called shoe_size");
      expect(() => trainScorecard({ rows, ys: ys.map(() => 1), favourable: 1, features: ["on_time_share"] })).to.throw("no feature separates the outcomes");
    });
  });
});
