import { expect } from "chai";
import fc from "fast-check";
import {
  Bucket,
  Classification,
  DAY,
  DEFAULT_POLICY,
  InvalidArgumentError,
  LoanStatus,
  bucketDpdRange,
  bucketLabel,
  bucketOf,
  classify,
  daysLate,
  penaltyDays,
} from "../../src/domain";

const D = 1_700_000_000n;

describe("domain/delinquency", function () {
  it("daysLate counts whole days after the due time only", function () {
    expect(daysLate(D, D - 1n)).to.equal(0n);
    expect(daysLate(D, D)).to.equal(0n);
    expect(daysLate(D, D + DAY - 1n)).to.equal(0n);
    expect(daysLate(D, D + DAY)).to.equal(1n);
    expect(daysLate(D, D + 30n * DAY + 86_399n)).to.equal(30n);
  });

  it("penaltyDays starts after the grace days", function () {
    expect(penaltyDays(D, D + 3n * DAY, 3)).to.equal(0n);
    expect(penaltyDays(D, D + 4n * DAY - 1n, 3)).to.equal(0n);
    expect(penaltyDays(D, D + 4n * DAY, 3)).to.equal(1n);
    expect(penaltyDays(D, D + 10n * DAY, 0)).to.equal(10n);
    expect(penaltyDays(D, D - DAY, 0)).to.equal(0n);
    expect(() => penaltyDays(D, D, -1)).to.throw(InvalidArgumentError);
  });

  it("buckets at every boundary", function () {
    const cases: Array<[bigint, Bucket, string]> = [
      [0n, Bucket.M0, "M0"], [1n, Bucket.M1, "M1"], [30n, Bucket.M1, "M1"], [31n, Bucket.M2, "M2"],
      [60n, Bucket.M2, "M2"], [61n, Bucket.M3, "M3"], [90n, Bucket.M3, "M3"], [91n, Bucket.M4, "M4"],
      [120n, Bucket.M4, "M4"], [121n, Bucket.M5, "M5"], [150n, Bucket.M5, "M5"], [151n, Bucket.M6, "M6"],
      [180n, Bucket.M6, "M6"], [181n, Bucket.M7, "M7+"], [10_000n, Bucket.M7, "M7+"],
    ];
    for (const [dpd, bucket, label] of cases) {
      expect(bucketOf(dpd), `dpd ${dpd}`).to.equal(bucket);
      expect(bucketLabel(bucketOf(dpd))).to.equal(label);
    }
    expect(() => bucketOf(-1n)).to.throw(InvalidArgumentError);
  });

  it("bucketDpdRange is exactly the DPDs bucketOf puts in the bucket", function () {
    expect(bucketDpdRange(Bucket.M0)).to.deep.equal({ min: 0n, max: 0n });
    expect(bucketDpdRange(Bucket.M1)).to.deep.equal({ min: 1n, max: 30n });
    expect(bucketDpdRange(Bucket.M6)).to.deep.equal({ min: 151n, max: 180n });
    expect(bucketDpdRange(Bucket.M7)).to.deep.equal({ min: 181n, max: null });
    for (const b of Object.values(Bucket)) {
      const { min, max } = bucketDpdRange(b);
      expect(bucketOf(min), `M${b} min`).to.equal(b);
      if (b > Bucket.M0) expect(bucketOf(min - 1n), `M${b} min - 1`).to.equal(b - 1);
      if (max === null) expect(bucketOf(min + 100_000n)).to.equal(b);
      else {
        expect(bucketOf(max), `M${b} max`).to.equal(b);
        expect(bucketOf(max + 1n), `M${b} max + 1`).to.equal(b + 1);
      }
    }
    for (const bad of [-1, 8, 1.5]) expect(() => bucketDpdRange(bad as Bucket)).to.throw(InvalidArgumentError);
  });

  it("buckets are monotone in DPD", function () {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: 0n, max: 1_000n }), (a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        expect(bucketOf(lo) <= bucketOf(hi)).to.equal(true);
      }),
    );
  });

  it("classifies with the default thresholds (strictly above 90/270/360)", function () {
    const cases: Array<[bigint, Classification]> = [
      [0n, Classification.Normal], [1n, Classification.SpecialMention], [90n, Classification.SpecialMention],
      [91n, Classification.Substandard], [270n, Classification.Substandard], [271n, Classification.Doubtful],
      [360n, Classification.Doubtful], [361n, Classification.Loss],
    ];
    for (const [dpd, c] of cases) expect(classify(dpd, DEFAULT_POLICY), `dpd ${dpd}`).to.equal(c);
  });

  it("uses the policy's thresholds and the loan status", function () {
    const strict = { substandardAfterDays: 30, doubtfulAfterDays: 60, lossAfterDays: 90 };
    expect(classify(30n, strict)).to.equal(Classification.SpecialMention);
    expect(classify(31n, strict)).to.equal(Classification.Substandard);
    expect(classify(61n, strict)).to.equal(Classification.Doubtful);
    expect(classify(91n, strict)).to.equal(Classification.Loss);
    expect(classify(0n, strict, LoanStatus.WrittenOff)).to.equal(Classification.Loss);
    expect(classify(500n, strict, LoanStatus.Closed)).to.equal(Classification.Normal);
    expect(classify(45n, strict, LoanStatus.ChargedOff)).to.equal(Classification.Substandard);
  });
});
