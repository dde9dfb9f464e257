import { expect } from "chai";
import { sinceBlockProfile, type TimedResponse } from "../../bench/api/realistic";

describe("bench:api:ab: responses through the block interval (sinceBlockProfile)", function () {
  /** A response whose request started at `start` and took `ms`. */
  const started = (start: number, ms: number): TimedResponse => ({ end: start + ms, ms });

  it("bins requests by their start after the latest block, with the rate over the time the intervals spent in each slice", function () {
    // Blocks at 1000, 2000 and 2600: intervals of 1000 ms and 600 ms.
    const blocks = [1000, 2000, 2600];
    const responses = [
      started(900, 5), // before the first block: left out
      started(1000, 40), // 0 ms after the block at 1000
      started(1100, 30),
      started(1300, 8), // 300 ms after: slice 250-500
      started(1999, 4), // 999 ms after: slice 750-1000
      started(2010, 50), // 10 ms after the block at 2000 (though it ends after 2600)
      started(2400, 6), // 400 ms after the block at 2000
      started(2550, 7), // 550 ms after the block at 2000: slice 500-750
      started(2600, 9), // at the last block: no interval after it here, left out
    ];
    const slices = sinceBlockProfile([{ responses, blocks }], 250);
    expect(slices).to.deep.equal([
      // Both intervals spent 250 ms here: 0.5 s, three requests.
      { fromMs: 0, toMs: 250, rps: 6, p50: 40, p99: 50 },
      { fromMs: 250, toMs: 500, rps: 4, p50: 8, p99: 8 },
      // 250 ms of the first interval and 100 ms of the second: 0.35 s, one request.
      { fromMs: 500, toMs: 750, rps: 3, p50: 7, p99: 7 },
      // Only the 1000 ms interval reached 750-1000: 0.25 s, one request.
      { fromMs: 750, toMs: 1000, rps: 4, p50: 4, p99: 4 },
    ]);
  });

  it("adds up stretches, each with its own blocks, and rejects blocks out of order or slices of no width", function () {
    const a = { responses: [started(0, 10), started(100, 20)], blocks: [0, 500] };
    const b = { responses: [started(10_000, 30)], blocks: [10_000, 10_500] };
    // 1 s in slice 0-500 over both stretches (never the 9.5 s between them), three requests.
    expect(sinceBlockProfile([a, b], 500)).to.deep.equal([{ fromMs: 0, toMs: 500, rps: 3, p50: 20, p99: 30 }]);
    expect(sinceBlockProfile([{ responses: a.responses, blocks: [0] }], 500), "one block: no interval").to.deep.equal([]);
    expect(() => sinceBlockProfile([{ responses: [], blocks: [5, 1] }])).to.throw("ascending");
    expect(() => sinceBlockProfile([a], 0)).to.throw("binMs must be positive");
  });
});
