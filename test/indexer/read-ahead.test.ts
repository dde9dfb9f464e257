/**
 * Backfill read-ahead across sparse-to-dense boundaries, with the default range settings: sparse
 * stretches (a repayment a block) are read in spans sized by gas, and a span that runs into blocks
 * of big registrations stops there; the read-ahead is then planned again from that block. The
 * database must equal a clean index read in 3-block ranges (which never uses a span), and the run
 * must have taken that path (its debug line), or the test proves nothing.
 */
import { expect } from "chai";
import { Writable } from "node:stream";
import pino from "pino";
import { deployTo, rpc, runWorkloadOn, startNode, type TestNode } from "../support/chain";
import { connectChain, type Chain } from "./helpers/activity";
import { cleanDump, createTestDatabase, DEFAULT_OPTIONS, describeEachDialect, dumpOf, expectSameRows, indexToTip, removeTempDirs, tempDeployments } from "./helpers/harness";
import { startRpcProxy } from "./helpers/rpc-proxy";

/** `n` blocks of one repayment each (automine), sent as raw transactions: no estimate, no receipt wait. */
async function repayments(url: string, chain: Chain, ids: bigint[], n: number): Promise<void> {
  const from = await chain.accounts.borrower.getAddress();
  const to = await chain.ledger.getAddress();
  for (let i = 0; i < n; i++) {
    const data = chain.ledger.interface.encodeFunctionData("repay", [ids[i % ids.length], 1_000_000n]);
    await rpc(url, "eth_sendTransaction", [{ from, to, data, gas: "0x200000" }]);
  }
}

const REPLANNED = "a sparse span met dense blocks; read-ahead planned again from there";

describe("indexer: read-ahead across sparse and dense stretches", function () {
  this.timeout(180_000);
  let node: TestNode;
  let deploymentsDir: string;

  before(async function () {
    this.timeout(300_000);
    node = await startNode();
    deploymentsDir = tempDeployments();
    await deployTo(node.url, deploymentsDir);
    await runWorkloadOn(node.url, deploymentsDir, { loans: 4, rounds: 1, actions: 1 }); // roles, policy, funds
    const chain = await connectChain(node.url, deploymentsDir);
    // A dense block of registrations (it caps the range well under a span's 64 blocks); a sparse
    // stretch of one repayment a block, long enough for the ranges planned at the dense rate to
    // run out and spans to follow; five blocks of registrations (a span holding two or three of
    // them has used the gas it reads before it stops); another sparse stretch.
    const ids = await chain.registerLoans(250, "dense-0");
    await repayments(node.url, chain, ids, 600);
    for (let k = 0; k < 5; k++) await chain.registerLoans(250, `dense-1-${k}`);
    await repayments(node.url, chain, ids, 100);
  });

  after(async function () {
    await node?.stop();
    removeTempDirs();
  });

  describeEachDialect("default ranges", (dialect) => {
    it("plans the read-ahead again where a span meets dense blocks, and the database equals a clean index in 3-block ranges", async function () {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      });
      const database = createTestDatabase(dialect, "readahead");
      const proxy = await startRpcProxy(node.url);
      try {
        await indexToTip({ rpcUrl: proxy.url, deploymentsDir, database, logger: pino({ level: "debug" }, sink) });
        const replanned = lines.filter((l) => l.includes(REPLANNED));
        expect(replanned.length, "a span stopped at dense blocks and the lane was planned again").to.be.greaterThan(0);
        // The lane planned again needs headers its dropped spans had asked for: each finalised
        // block's header is asked for once (they are kept).
        const finalised = Number(await rpc(node.url, "eth_blockNumber", [])) - DEFAULT_OPTIONS.reorgWindow;
        const again = [...proxy.headersAsked].filter(([n, times]) => n <= finalised && times > 1);
        expect(again, "finalised blocks whose header was asked for more than once [block, times]").to.deep.equal([]);
        expect(proxy.headersAsked.size, "headers were asked through the proxy").to.be.greaterThan(600);
        expectSameRows(await dumpOf(database), await cleanDump(node.url, deploymentsDir, dialect, { maxBlockRange: 3 }));
      } finally {
        await proxy.close();
        await database.drop();
      }
    });
  });
});
