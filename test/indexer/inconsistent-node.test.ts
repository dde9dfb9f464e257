/**
 * A node that contradicts itself: the indexed block is still on its chain, yet the next block
 * names another parent (Hardhat's hardhat_mine gives the blocks it reserves a zero parent hash).
 * The indexer must neither index past it nor spin in silence: it says so, with the blocks, and asks
 * again a poll interval later.
 */
import { expect } from "chai";
import { Writable } from "node:stream";
import pino from "pino";
import { readCursor } from "../../src/indexer/store";
import { rpc, type TestNode } from "../support/chain";
import { createTestDatabase, removeTempDirs, startIndexer, startWorkloadNode } from "./helpers/harness";

const WARNING = "the node's next block does not name the indexed block as its parent, though the node still serves that block; reading again after a poll interval";
const UNLINKED = "two consecutive blocks the node gave do not link (a reorg under way, or a node that contradicts itself); reading the range again after a poll interval";

describe("indexer: a node whose next block does not extend the indexed one", function () {
  this.timeout(180_000);
  let node: TestNode;
  let deploymentsDir: string;

  before(async function () {
    this.timeout(300_000);
    ({ node, deploymentsDir } = await startWorkloadNode({ loans: 2, rounds: 1, actions: 1 }));
    await rpc(node.url, "hardhat_mine", ["0x4b0"]); // 1,200 blocks at once: reserved, not mined one by one
  });

  after(async function () {
    await node?.stop();
    removeTempDirs();
  });

  it("stops at the last block that links and warns, naming it, at each reading", async function () {
    const database = createTestDatabase("sqlite", "inconsistent");
    const handle = await database.open();
    try {
      const warnings: { block: number; indexed: number; indexedHash: string }[] = [];
      let indexer: ReturnType<typeof startIndexer> | undefined;
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          const line = JSON.parse(chunk.toString()) as { msg: string; block: number; indexed: number; indexedHash: string };
          if (line.msg === WARNING) warnings.push(line);
          if (warnings.length === 3) indexer!.stop();
          done();
        },
      });
      indexer = startIndexer({ rpcUrl: node.url, deploymentsDir, handle, logger: pino({ level: "warn" }, sink), options: { pollIntervalMs: 200, exitAtTip: true } });
      await indexer.run();
      const cursor = (await readCursor(handle.db))!;
      const head = Number(await rpc(node.url, "eth_blockNumber", []));
      expect(cursor.blockNumber, "stopped below the head").to.be.lessThan(head);
      const next = await rpc<{ parentHash: string }>(node.url, "eth_getBlockByNumber", [`0x${(cursor.blockNumber + 1).toString(16)}`, false]);
      expect(next.parentHash, "the next block names another parent").to.not.equal(cursor.blockHash);
      expect(warnings).to.have.length.of.at.least(3);
      for (const w of warnings) expect({ block: w.block, indexed: w.indexed, indexedHash: w.indexedHash }).to.deep.equal({ block: cursor.blockNumber + 1, indexed: cursor.blockNumber, indexedHash: cursor.blockHash });
    } finally {
      await handle.close();
      await database.drop();
    }
  });

  it("does not index a range whose consecutive blocks do not link, and warns, naming them, at each reading", async function () {
    // A reorg window wider than the chain: every range has the headers of all its blocks.
    const database = createTestDatabase("sqlite", "unlinked");
    const handle = await database.open();
    try {
      const warnings: { block: number; parentHash: string; previous: number; previousHash: string; indexed: number }[] = [];
      let indexer: ReturnType<typeof startIndexer> | undefined;
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          const line = JSON.parse(chunk.toString()) as (typeof warnings)[number] & { msg: string };
          if (line.msg === UNLINKED) warnings.push(line);
          if (warnings.length === 3) indexer!.stop();
          done();
        },
      });
      indexer = startIndexer({ rpcUrl: node.url, deploymentsDir, handle, logger: pino({ level: "warn" }, sink), options: { pollIntervalMs: 200, exitAtTip: true, reorgWindow: 5_000 } });
      await indexer.run();
      expect(warnings).to.have.length.of.at.least(3);
      const w = warnings[0];
      const block = await rpc<{ parentHash: string }>(node.url, "eth_getBlockByNumber", [`0x${w.block.toString(16)}`, false]);
      const previous = await rpc<{ hash: string }>(node.url, "eth_getBlockByNumber", [`0x${(w.block - 1).toString(16)}`, false]);
      expect({ parentHash: w.parentHash, previous: w.previous, previousHash: w.previousHash }, "the node's own blocks").to.deep.equal({ parentHash: block.parentHash, previous: w.block - 1, previousHash: previous.hash });
      expect(block.parentHash).to.not.equal(previous.hash);
      for (const later of warnings) expect(later).to.deep.include({ block: w.block, indexed: w.indexed });
      const cursor = await readCursor(handle.db);
      expect(cursor?.blockNumber ?? w.indexed, "the cursor stayed where the range starts").to.equal(w.indexed);
      expect(w.indexed, "below the blocks that do not link").to.be.lessThan(w.block);
    } finally {
      await handle.close();
      await database.drop();
    }
  });
});
