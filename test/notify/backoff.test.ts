/** The retry schedule: exponential from 5 s by 4, capped at an hour, the same every time. */
import { expect } from "chai";
import { backoffMs, DEFAULT_BACKOFF } from "../../src/notify/backoff";
import { NotifyError } from "../../src/notify/errors";

describe("notify/backoff", function () {
  it("grows by the factor from the first wait and stops at the cap", function () {
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffMs(a))).to.deep.equal([5_000, 20_000, 80_000, 320_000, 1_280_000, 3_600_000, 3_600_000]);
    expect(backoffMs(1_000)).to.equal(DEFAULT_BACKOFF.capMs);
    expect([1, 2, 3, 4].map((a) => backoffMs(a, { firstMs: 100, factor: 2, capMs: 500 }))).to.deep.equal([100, 200, 400, 500]);
  });

  it("is pure (no jitter): the same attempt gives the same wait", function () {
    for (let a = 1; a <= 10; a++) expect(backoffMs(a)).to.equal(backoffMs(a));
  });

  it("refuses an attempt that is not a positive integer", function () {
    for (const a of [0, -1, 1.5, Number.NaN]) expect(() => backoffMs(a), String(a)).to.throw(NotifyError, /attempt must be an integer of at least 1/);
  });
});
