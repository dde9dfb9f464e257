/**
 * Tip following (src/indexer/realtime/tip.ts) against a fake chain: below the target it asks for
 * blocks; at the target it checks the cursor block and says finalize or reorg (with the newest
 * stored block still on the chain as the fork); a node lagging behind the cursor is no reorg; a
 * reorg below the kept window stops the indexer.
 */
import { expect } from "chai";
import { ReorgTooDeepError } from "../../../src/indexer/errors";
import { createTip } from "../../../src/indexer/realtime/tip";
import type { BlockHeader, Cursor } from "../../../src/indexer/store";

const options = { confirmations: 2, reorgWindow: 5 };

/** A chain of blocks 0..head whose hashes are `${branch}-${n}` from `forkAt` on (`a-${n}` below). */
function chain(head: number, branch = "a", forkAt = Infinity) {
  const hash = (n: number) => `${n >= forkAt ? branch : "a"}-${n}`;
  return { head, hash };
}

/** Stored headers of the original branch for blocks `from..to`, newest first. */
function stored(from: number, to: number): BlockHeader[] {
  const out: BlockHeader[] = [];
  for (let n = to; n >= from; n--) out.push({ number: n, hash: `a-${n}`, parentHash: `a-${n - 1}`, timestamp: n * 12 });
  return out;
}

function setup(c: { head: number; hash: (n: number) => string }, window: BlockHeader[], startBlock = 1) {
  const calls = { heads: 0, settles: 0, headers: [] as number[] };
  const tip = createTip({
    readHead: async () => {
      calls.heads++;
      return c.head;
    },
    header: async (n) => {
      calls.headers.push(n);
      return { hash: c.hash(n) };
    },
    storedHeaders: async (from) => window.filter((h) => h.number >= from),
    settle: async () => {
      calls.settles++;
    },
    startBlock,
    options,
  });
  return { tip, calls };
}

const cursorAt = (n: number, hash = `a-${n}`): Cursor => ({ chainId: 1, blockNumber: n, blockHash: hash, blockTimestamp: n * 12 });

describe("indexer: tip following and reorg detection", () => {
  it("asks for blocks up to head less the confirmations while below it, without checking the cursor block", async () => {
    const { tip, calls } = setup(chain(100), stored(80, 90));
    expect(await tip.poll(cursorAt(90))).to.deep.equal({ type: "block", head: 100, target: 98 });
    expect(calls.headers).to.deep.equal([]);
    expect(calls.settles).to.equal(0);
  });

  it("says finalize at the target when the cursor block is still on the chain (after settling the writes)", async () => {
    const { tip, calls } = setup(chain(100), stored(93, 98));
    expect(await tip.poll(cursorAt(98))).to.deep.equal({ type: "finalize", head: 100, target: 98 });
    expect(calls.headers).to.deep.equal([98]);
    expect(calls.settles).to.equal(1);
  });

  it("reports a reorg with the newest stored block the chain still has as the fork", async () => {
    const { tip } = setup(chain(100, "b", 96), stored(93, 98));
    const event = await tip.poll(cursorAt(98));
    expect(event).to.deep.equal({ type: "reorg", head: 100, fork: stored(95, 95)[0], depth: 3 });
  });

  it("takes a head below the cursor for a lagging node when the stored blocks below it are unchanged", async () => {
    const { tip } = setup(chain(96), stored(93, 98));
    expect((await tip.poll(cursorAt(98))).type).to.equal("finalize");
  });

  it("takes a head below the cursor for a shorter branch when a stored block below it changed", async () => {
    const { tip } = setup(chain(96, "b", 95), stored(93, 98));
    const event = await tip.poll(cursorAt(98));
    expect(event.type).to.equal("reorg");
    expect(event.type === "reorg" && event.fork.number).to.equal(94);
  });

  it("stops with ReorgTooDeepError when no stored block of the window is on the chain", async () => {
    const { tip } = setup(chain(100, "b", 0), stored(93, 98));
    let error: unknown;
    await tip.poll(cursorAt(98)).catch((err: unknown) => (error = err));
    expect(error).to.be.instanceOf(ReorgTooDeepError);
  });

  it("rolls back to before the start block when the whole indexed chain is within the window", async () => {
    const { tip } = setup(chain(100, "b", 0), stored(97, 98), 97);
    const event = await tip.poll(cursorAt(98));
    expect(event).to.deep.equal({ type: "reorg", head: 100, fork: { number: 96, hash: "", timestamp: 0 }, depth: 2 });
  });

  it("reuses a head read within the last second far below the tip, and reads it again near the tip", async () => {
    const { tip, calls } = setup(chain(1_000), []);
    await tip.poll(cursorAt(10));
    await tip.poll(cursorAt(20));
    expect(calls.heads).to.equal(1);
    await tip.poll(cursorAt(995));
    expect(calls.heads).to.equal(2);
  });
});
