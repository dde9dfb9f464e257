/**
 * The read-ahead lane (src/indexer/historical/read-ahead.ts) with a fake fetcher: the first range
 * is read now and the lane asks for the next ones up to the target; a range read ahead is used
 * when it starts at the cursor and still fits (near the tip, only if read at the current head);
 * a split answer has the rest of its slot read next; a sparse span that meets dense blocks has the
 * lane planned again from there; an error drops the lane.
 */
import { expect } from "chai";
import pino from "pino";
import type { Log } from "viem";
import type { FetchedRange } from "../../../src/indexer/historical/fetch";
import { createRangePlanner } from "../../../src/indexer/historical/range";
import { createReadAhead, READ_AHEAD } from "../../../src/indexer/historical/read-ahead";

interface Call {
  kind: "range" | "span";
  from: number;
  to: number;
  head: number;
}

/** `n` logs in each of the blocks `from..to`. */
const logs = (from: number, to: number, n: number) =>
  Array.from({ length: (to - from + 1) * n }, (_, i) => ({ blockNumber: BigInt(from + Math.floor(i / n)), data: "0x", topics: [] }) as unknown as Log);

function setup(maxBlockRange = 10, answer: (c: Call) => Promise<FetchedRange> = async (c) => ({ from: c.from, to: c.to, logs: [], headers: [], logTimes: new Map(), head: c.head })) {
  const calls: Call[] = [];
  const planner = createRangePlanner({ maxBlockRange });
  const fetcher = {
    fetchRange: (from: number, to: number, _limit: number, head: number) => {
      const c: Call = { kind: "range", from, to, head };
      calls.push(c);
      return answer(c);
    },
    fetchSpan: async (from: number, to: number, head: number) => {
      const c: Call = { kind: "span", from, to, head };
      calls.push(c);
      return answer(c);
    },
  };
  const readAhead = createReadAhead({ fetcher, planner, options: { reorgWindow: 10, maxBlockRange }, logger: pino({ level: "silent" }), stopped: () => false });
  return { readAhead, calls, planner };
}

const spans = (calls: Call[]) => calls.map((c) => [c.from, c.to]);

describe("indexer: read-ahead", () => {
  it("reads the first range now and asks for the next ones up to the target", async () => {
    const { readAhead, calls } = setup();
    const got = await readAhead.rangeFrom(1, 1_000, 45, false);
    expect([got.from, got.to]).to.deep.equal([1, 10]);
    expect(spans(calls)).to.deep.equal([[1, 10], [11, 20], [21, 30], [31, 40], [41, 45]]);
    expect(readAhead.hasMore()).to.equal(true);
  });

  it("uses the ranges read ahead in order without asking again, and stops at READ_AHEAD ranges", async () => {
    const { readAhead, calls } = setup();
    await readAhead.rangeFrom(1, 10_000, 5_000, false);
    expect(calls).to.have.length(1 + READ_AHEAD);
    const second = await readAhead.rangeFrom(11, 10_000, 5_000, true);
    expect([second.from, second.to]).to.deep.equal([11, 20]);
    // One slot used, one more asked for at the end of the lane.
    expect(calls).to.have.length(2 + READ_AHEAD);
    expect(spans(calls).at(-1)).to.deep.equal([10 * (READ_AHEAD + 1) + 1, 10 * (READ_AHEAD + 2)]);
  });

  it("reads again a range that does not start at the cursor", async () => {
    const { readAhead, calls } = setup();
    await readAhead.rangeFrom(1, 1_000, 45, false);
    const got = await readAhead.rangeFrom(15, 1_000, 45, true);
    expect([got.from, got.to]).to.deep.equal([15, 24]);
    expect(spans(calls).slice(5)[0]).to.deep.equal([15, 24]);
  });

  it("near the tip, reads again a range read ahead at another head", async () => {
    const { readAhead, calls } = setup();
    await readAhead.rangeFrom(81, 105, 100, true);
    expect(spans(calls)).to.deep.equal([[81, 90], [91, 100]]);
    const got = await readAhead.rangeFrom(91, 106, 101, true);
    expect(got.head).to.equal(106);
    expect(calls[2]).to.deep.include({ from: 91, head: 106 });
    expect(spans(calls).slice(3)).to.deep.equal([[101, 101]]); // and the lane goes on to the new target
  });

  it("has the rest of a slot whose answer was split read next", async () => {
    const { readAhead, calls } = setup(10, async (c) => ({ from: c.from, to: c.from === 11 ? 14 : c.to, logs: [], headers: [], logTimes: new Map(), head: c.head }));
    await readAhead.rangeFrom(1, 1_000, 30, false);
    const got = await readAhead.rangeFrom(11, 1_000, 30, true);
    expect(got.to).to.equal(14);
    expect(spans(calls)).to.deep.include([15, 20]);
    const rest = await readAhead.rangeFrom(15, 1_000, 30, true);
    expect([rest.from, rest.to]).to.deep.equal([15, 20]);
  });

  it("plans the lane again where a sparse span meets dense blocks", async () => {
    const { readAhead, calls, planner } = setup(10, async (c) => {
      if (c.kind === "span" && c.from === 11) return { from: 11, to: 12, logs: logs(11, 12, 50), headers: [], logTimes: new Map(), head: c.head };
      return { from: c.from, to: c.to, logs: [], headers: [], logTimes: new Map(), head: c.head };
    });
    planner.adapt(10, false, logs(1, 10, 1)); // one log a block: sparse
    await readAhead.rangeFrom(1, 1_000, 40, false);
    expect(calls.slice(1).every((c) => c.kind === "span")).to.equal(true);
    const got = await readAhead.rangeFrom(11, 1_000, 40, true);
    expect(got.to).to.equal(12);
    expect(planner.logsPerBlock).to.equal(50);
    const after = calls.slice(calls.findIndex((c) => c.kind === "span" && c.from === 11) + 1).filter((c) => c.from >= 13);
    expect(after[after.length - 1].kind).to.equal("range"); // dense again: plain ranges from block 13
    expect(after.some((c) => c.kind === "range" && c.from === 13)).to.equal(true);
  });

  it("drops the lane when a range read ahead failed, and the error reaches the caller", async () => {
    const { readAhead } = setup(10, async (c) => {
      if (c.from === 11) throw new Error("node down");
      return { from: c.from, to: c.to, logs: [], headers: [], logTimes: new Map(), head: c.head };
    });
    await readAhead.rangeFrom(1, 1_000, 45, false);
    let error: unknown;
    await readAhead.rangeFrom(11, 1_000, 45, true).catch((err: unknown) => (error = err));
    expect((error as Error).message).to.equal("node down");
    expect(readAhead.hasMore()).to.equal(false);
  });
});
