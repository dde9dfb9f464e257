/**
 * Range planning (src/indexer/historical/range.ts): the next range grows at most twofold, shrinks
 * to the log and byte targets, never spans more than the densest blocks seen allow, and a failed
 * answer splits to half or straight to the density cap.
 */
import { expect } from "chai";
import type { Log } from "viem";
import { createRangePlanner, DENSITY_HEADROOM, logBytes, mostLogsInABlock, TARGET_LOGS } from "../../../src/indexer/historical/range";

/** `perBlock[i]` logs in block `from + i`, each with `dataBytes` bytes of data. */
function logsOf(from: number, perBlock: number[], dataBytes = 32): Log[] {
  const out: Log[] = [];
  perBlock.forEach((n, i) => {
    for (let k = 0; k < n; k++) out.push({ blockNumber: BigInt(from + i), data: `0x${"00".repeat(dataBytes)}`, topics: ["0x01", "0x02"] } as unknown as Log);
  });
  return out;
}

describe("indexer: range planning", () => {
  it("starts at 16 blocks (or the maximum, if lower)", () => {
    expect(createRangePlanner({ maxBlockRange: 1_000 }).range).to.equal(16);
    expect(createRangePlanner({ maxBlockRange: 5 }).range).to.equal(5);
  });

  it("doubles the range after a sparse answer, up to the maximum", () => {
    const p = createRangePlanner({ maxBlockRange: 50 });
    p.adapt(16, false, []);
    expect(p.range).to.equal(32);
    p.adapt(32, false, []);
    expect(p.range).to.equal(50);
  });

  it("grows from the asked size, not the blocks read, when the target cut the range short", () => {
    const p = createRangePlanner({ maxBlockRange: 1_000 });
    p.adapt(3, true, []);
    expect(p.range).to.equal(32); // 2 x max(3, 16)
    const q = createRangePlanner({ maxBlockRange: 1_000 });
    q.adapt(3, false, []);
    expect(q.range).to.equal(6);
  });

  it("sizes the range by the log target, and caps it by the densest block seen", () => {
    const p = createRangePlanner({ maxBlockRange: 100_000 });
    // 10 blocks of 1,000 logs: 10,000 logs, twice the target -> 5 blocks; the densest block (1,000
    // logs) allows DENSITY_HEADROOM * 5,000 / 1,000 = 10 blocks.
    p.adapt(10, false, logsOf(1, Array(10).fill(1_000)));
    expect(p.range).to.equal(5);
    // A long empty stretch next would double the range; the density cap holds it.
    for (let i = 0; i < 10; i++) p.adapt(p.range, false, []);
    expect(p.range).to.equal(DENSITY_HEADROOM * (TARGET_LOGS / 1_000));
    expect(p.densityCap(1)).to.equal(5);
  });

  it("keeps a moving average of logs per block", () => {
    const p = createRangePlanner({ maxBlockRange: 1_000 });
    p.adapt(10, false, logsOf(1, Array(10).fill(2)));
    expect(p.logsPerBlock).to.equal(2);
    p.adapt(10, false, []);
    expect(p.logsPerBlock).to.be.closeTo(1.6, 1e-9); // 0.8 x 2 + 0.2 x 0
    p.denserThan(7);
    expect(p.logsPerBlock).to.equal(7);
    p.denserThan(3);
    expect(p.logsPerBlock).to.equal(7);
  });

  it("splits a failed range in half, or down to the density cap when it was too large", () => {
    const p = createRangePlanner({ maxBlockRange: 100_000 });
    expect(p.split(100, 199, false)).to.equal(149);
    expect(p.range).to.equal(50);
    expect(p.split(100, 199, true)).to.equal(149); // nothing seen yet: no cap, half
    p.adapt(1, false, logsOf(100, [2_500])); // densest block: 2,500 logs -> 2 blocks at one target
    expect(p.split(100, 199, true)).to.equal(101);
    expect(p.range).to.equal(2);
    expect(p.split(100, 199, false)).to.equal(149); // a plain failure still halves
  });

  it("measures blocks and logs", () => {
    expect(mostLogsInABlock(logsOf(1, [1, 3, 0, 2]))).to.equal(3);
    expect(mostLogsInABlock([])).to.equal(0);
    expect(logBytes(logsOf(1, [1], 32)[0])).to.equal(360 + 66 + 69 * 2);
  });
});
