/**
 * Nodes that follow execution-apis#639 (geth 1.16+, Erigon, Besu) give each log its block's
 * `blockTimestamp`. The indexer then reads no header for a finalised block with logs, only the
 * range's first and last blocks and the unfinalised window's, and must build exactly the database
 * it builds from headers. Hardhat's node gives no such field: a proxy in front of it adds the field
 * to every eth_getLogs answer (the time from the block itself) and counts the headers asked for
 * (helpers/rpc-proxy.ts).
 * In the second case the proxy gives one log of a block another time than its block's other logs:
 * the indexer must read that block's header, whose time wins.
 */
import { Writable } from "node:stream";
import { expect } from "chai";
import pino from "pino";
import { rpc, type TestNode } from "../support/chain";
import { startRpcProxy, type RpcProxy } from "./helpers/rpc-proxy";
import { cleanDump, createTestDatabase, describeEachDialect, dumpOf, expectSameRows, indexToTip, removeTempDirs, rowCount, startWorkloadNode, type Dump } from "./helpers/harness";

/** A reorg window shorter than the chain: most of its blocks are finalised when the index starts. */
const OPTIONS = { reorgWindow: 4 };
const TIMED = "the node's logs carry their block's timestamp: finalised blocks with logs need no header";

describeEachDialect("indexer: logs that carry their block's timestamp", (dialect) => {
  let node: TestNode;
  let deploymentsDir: string;
  let clean: Dump;

  before(async function () {
    this.timeout(300_000);
    ({ node, deploymentsDir } = await startWorkloadNode({ loans: 6, rounds: 1, actions: 2 }));
    clean = await cleanDump(node.url, deploymentsDir, dialect, OPTIONS);
    expect(rowCount(clean, "raw_logs"), "the workload indexed something").to.be.greaterThan(50);
  });

  after(async function () {
    await node?.stop();
    removeTempDirs();
  });

  /** Indexes through a proxy giving the logs times (`logTimes`); its counters stay readable after. */
  async function indexThrough(logTimes: "exact" | "skewed"): Promise<{ dump: Dump; lines: string[]; proxy: RpcProxy }> {
    const proxy = await startRpcProxy(node.url, { logTimes });
    const database = createTestDatabase(dialect, "timed");
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
        done();
      },
    });
    try {
      await indexToTip({ rpcUrl: proxy.url, deploymentsDir, database, options: OPTIONS, logger: pino({ level: "info" }, sink) });
      return { dump: await dumpOf(database), lines, proxy };
    } finally {
      await database.drop();
      await proxy.close();
    }
  }

  it("reads no header of a finalised block for its time alone, and builds the same database", async function () {
    this.timeout(120_000);
    const { dump, lines, proxy } = await indexThrough("exact");
    expectSameRows(dump, clean, "indexed with timed logs");
    expect(lines).to.include(TIMED);
    const head = Number(await rpc(node.url, "eth_blockNumber", []));
    const finalisedWithLogs = [...proxy.blocksWithLogs].filter((n) => n <= head - OPTIONS.reorgWindow);
    const askedForLogs = finalisedWithLogs.filter((n) => proxy.headersAsked.has(n));
    expect(finalisedWithLogs.length, "finalised blocks with logs").to.be.greaterThan(10);
    // Only range ends (and the first range's start) among them: far fewer than one header a block.
    expect(askedForLogs.length, `headers of finalised blocks with logs: ${askedForLogs.join(", ")}`).to.be.lessThan(finalisedWithLogs.length / 2);
  });

  it("reads the header of a block whose logs give different times, and keeps the header's", async function () {
    this.timeout(120_000);
    const { dump, proxy } = await indexThrough("skewed");
    expect(proxy.skewed, "a block with two logs was skewed").to.be.a("number");
    expect(proxy.headersAsked.has(proxy.skewed!), `the header of block ${proxy.skewed} was read`).to.equal(true);
    expectSameRows(dump, clean, "indexed with one skewed log");
  });
});
