/**
 * A range's headers must link wherever the range has two consecutive blocks, far from the tip as
 * near it: a range whose blocks do not link is not applied (nothing staged or written), and the
 * blocks that do not link are named. Ingest is driven here with a read-ahead that returns a given
 * range; the database, the write pipeline and the cache throw if touched.
 */
import { expect } from "chai";
import type { Log } from "viem";
import { createIngest, PARENT_MISMATCH, type CreateIngestParameters } from "../../src/indexer/ingest";
import type { BlockHeader, Cursor } from "../../src/indexer/store";

const hash = (n: number, fork = 0) => `0x${(fork * 1_000_000 + n).toString(16).padStart(64, "0")}`;
const header = (n: number, parentHash = hash(n - 1)): BlockHeader => ({ number: n, hash: hash(n), parentHash, timestamp: 1_000 + n });

/** An object any use of which fails the test. */
function untouchable(what: string): never {
  return new Proxy({}, { get: (_t, p) => { throw new Error(`${what}.${String(p)} was used`); } }) as never;
}

function ingestOf(headers: BlockHeader[], to: number) {
  const readAhead: CreateIngestParameters["readAhead"] = {
    rangeFrom: async (from) => ({ from, to, logs: [] as Log[], headers, logTimes: new Map(), head: 10_000 }),
    hasMore: () => false,
  };
  return createIngest({
    db: untouchable("db"),
    chainId: 31337,
    decode: () => {
      throw new Error("decode was used");
    },
    readAhead,
    writes: untouchable("writes"),
    cache: { projections: untouchable("projections"), policies: untouchable("policies") } as never,
    options: { reorgWindow: 64 },
    services: { logger: untouchable("logger") },
  });
}

describe("indexer ingest: the range's blocks must link", function () {
  const cursor: Cursor = { chainId: 31337, blockNumber: 99, blockHash: hash(99), blockTimestamp: 1_099 };

  it("names the first pair of consecutive blocks that do not link, far below the head, and applies nothing", async function () {
    // Blocks 100-104 of a range read far from the tip (head 10,000): 103 names a block of another chain.
    const headers = [header(100), header(101), header(102), header(103, hash(102, 7)), header(104)];
    const result = await ingestOf(headers, 104)(cursor, 10_000, 10_000);
    expect(result).to.deep.equal({ kind: "unlinked", block: 103, parentHash: hash(102, 7), previousHash: hash(102) });
  });

  it("does not compare blocks that are not consecutive (a range has headers only of the blocks it needs)", async function () {
    // 100 (the first), then 150 (the end): 150's parent is not among them, so there is nothing to
    // compare, and the range gets as far as the write pipeline, which this test forbids.
    const headers = [header(100), header(150)];
    let error: unknown;
    try {
      await ingestOf(headers, 150)(cursor, 10_000, 10_000);
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.contain("writes.group was used");
  });

  it("checks the links inside the range before the first block's link to the cursor", async function () {
    const headers = [header(100, hash(99, 3)), header(101, hash(100, 3))];
    expect(await ingestOf(headers, 101)(cursor, 10_000, 10_000)).to.deep.equal({ kind: "unlinked", block: 101, parentHash: hash(100, 3), previousHash: hash(100) });
    expect(await ingestOf([header(100, hash(99, 3)), header(101)], 101)(cursor, 10_000, 10_000)).to.equal(PARENT_MISMATCH);
  });
});
