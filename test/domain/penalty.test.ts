import { expect } from "chai";
import fc from "fast-check";
import {
  DEFAULT_POLICY,
  InvalidArgumentError,
  RateAboveCapError,
  YEAR_BPS,
  floorDiv,
  makeTerms,
  penaltyFor,
} from "../../src/domain";

describe("domain/penalty", function () {
  // 1825 bps a year = 5 bps a day (ACT/365); cap room 3650 bps = 10 bps a day.
  const terms = { penaltyRateBps: 1_825, lateFee: 1_000n, capRoomBps: 3_650 };

  it("is simple interest on U plus the late fee once there is a penalty day", function () {
    // 510,000 unpaid for 7 penalty days: U = 3,570,000; 3,570,000 * 0.0005 = 1,785 exactly; + fee 1,000.
    expect(penaltyFor(3_570_000n, 7n, terms)).to.equal(2_785n);
    // No penalty day: 0 (U is 0 in any reachable state; LoanMath.penalty returns 0 early too).
    expect(penaltyFor(3_570_000n, 0n, terms)).to.equal(0n);
    expect(penaltyFor(0n, 0n, terms)).to.equal(0n);
  });

  it("rounds the rate term half up", function () {
    // 7,697,850 * 0.0005 = 3,848.925 -> 3,849; + 1,000.
    expect(penaltyFor(7_697_850n, 17n, terms)).to.equal(4_849n);
    // 1,000 * 0.0005 = 0.5 -> 1 (no fee).
    expect(penaltyFor(1_000n, 1n, { ...terms, lateFee: 0n })).to.equal(1n);
  });

  it("never exceeds the cap term, late fee included", function () {
    // Cap: floor(3,570,000 * 0.001) = 3,570 < 1,785 + 100,000.
    expect(penaltyFor(3_570_000n, 7n, { ...terms, lateFee: 100_000n })).to.equal(3_570n);
    // No cap room at all: no penalty, not even the fee.
    expect(penaltyFor(3_570_000n, 7n, { ...terms, capRoomBps: 0 })).to.equal(0n);
    // A fee on a zero accumulator is capped to 0.
    expect(penaltyFor(0n, 1n, terms)).to.equal(0n);
  });

  it("rate == cap room: the floored cap wins where half-up would exceed it", function () {
    const equal = { penaltyRateBps: 1, lateFee: 0n, capRoomBps: 1 };
    // U * 1 / 3,650,000 = 0.5 exactly: halfUp gives 1, the cap floor gives 0.
    expect(penaltyFor(1_825_000n, 5n, equal)).to.equal(0n);
    // 1.5 -> halfUp 2, floor 1.
    expect(penaltyFor(5_475_000n, 15n, equal)).to.equal(1n);
    expect(penaltyFor(3_650_000n, 10n, equal)).to.equal(1n);
  });

  it("rejects a negative accumulator", function () {
    expect(() => penaltyFor(-1n, 1n, terms)).to.throw(InvalidArgumentError);
  });

  it("is never above the cap term and is monotone in U and days", function () {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 18n }),
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.bigInt({ min: 0n, max: 10n ** 6n }),
        (u, du, rate, extra, lateFee) => {
          const t = { penaltyRateBps: rate, lateFee, capRoomBps: rate + extra };
          const p = penaltyFor(u, 1n, t);
          expect(p <= floorDiv(u * BigInt(t.capRoomBps), YEAR_BPS)).to.equal(true);
          expect(p >= 0n).to.equal(true);
          expect(penaltyFor(u + du, 1n, t) >= p).to.equal(true);
          expect(penaltyFor(u, 0n, t)).to.equal(0n);
          expect(penaltyFor(u, 2n, t)).to.equal(p);
        },
      ),
    );
  });

  it("makeTerms captures the cap room and rejects a rate above the cap", function () {
    const t = makeTerms({
      principal: 1_000n,
      contractRateBps: 1_200,
      maxAnnualRateBps: 1_240 * 4,
      policy: { ...DEFAULT_POLICY, penaltyRateBps: 1_800, lateFee: 50n },
      registeredAt: 5n,
    });
    expect(t).to.deep.equal({
      principal: 1_000n, contractRateBps: 1_200, penaltyRateBps: 1_800, lateFee: 50n,
      capRoomBps: 3_760, graceDays: 3, registeredAt: 5n,
    });
    try {
      makeTerms({ principal: 1n, contractRateBps: 3_000, maxAnnualRateBps: 4_960, policy: { ...DEFAULT_POLICY, penaltyRateBps: 2_000 }, registeredAt: 0n });
      expect.fail("must reject");
    } catch (err) {
      expect(err).to.be.instanceOf(RateAboveCapError);
      expect(err).to.deep.include({ contractRateBps: 3_000, penaltyRateBps: 2_000, maxAnnualRateBps: 4_960 });
    }
  });
});
