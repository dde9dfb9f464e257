/**
 * Reorgs on a real `hardhat node`: index a branch (confirmations 0), evm_revert, mine a different
 * branch (other transactions, another block count), keep indexing; the database must equal a clean
 * index of the final chain, row for row. A reorg deeper than --reorg-window must stop the indexer
 * with ReorgTooDeepError and leave the database as it was.
 */
import { expect } from "chai";
import { DAY } from "../../src/domain/constants";
import { ReorgTooDeepError } from "../../src/indexer/errors";
import { readCursor } from "../../src/indexer/store";
import { deployTo, runWorkloadOn, startNode, type TestNode } from "../support/chain";
import { queueKeyMismatches } from "../support/db-dump";
import { connectChain, type Chain } from "./helpers/activity";
import {
  cleanDump,
  cliArgs,
  createTestDatabase,
  describeEachDialect,
  dumpOf,
  expectSameRows,
  indexToTip,
  killIndexerProcesses,
  removeTempDirs,
  tempDeployments,
  rowCount,
  spawnIndexerCli,
  startIndexer,
  waitUntil,
  type TestDatabase,
} from "./helpers/harness";

describe("indexer: reorgs", function () {
  this.timeout(120_000);
  let node: TestNode;
  let deploymentsDir: string;
  let chain: Chain;
  let base: string;
  let workloadLoans: bigint[];

  before(async function () {
    this.timeout(300_000); // node, deploy (compiles when needed), workload
    node = await startNode();
    deploymentsDir = tempDeployments();
    await deployTo(node.url, deploymentsDir);
    await runWorkloadOn(node.url, deploymentsDir, { loans: 10, rounds: 1, actions: 1 });
    chain = await connectChain(node.url, deploymentsDir);
    workloadLoans = Array.from({ length: Number(await chain.ledger.loanCount()) }, (_, i) => BigInt(i + 1));
    base = await chain.snapshot();
  });

  after(async function () {
    await killIndexerProcesses();
    await node?.stop();
    removeTempDirs();
  });

  /** Every scenario starts from the chain as the workload left it. */
  async function resetChain(): Promise<void> {
    await chain.revert(base);
    base = await chain.snapshot();
  }

  /** Branch A: new loans, repayments, actions, then 40 days on and a poke (loans' overdue moves with time). */
  async function branchA(): Promise<void> {
    const ids = await chain.registerLoans(3, "branch-a");
    await chain.repay(workloadLoans[1], 108_000_000n);
    await chain.repay(ids[0], 50_000_000n);
    await chain.recordActions([...workloadLoans.slice(0, 4), ...ids], 2, "branch-a");
    await chain.increaseTime(40n * DAY);
    await chain.poke([...workloadLoans, ...ids]);
  }

  /** Branch B: other loans and transactions, no time jump. */
  async function branchB(blocks: "fewer" | "more"): Promise<void> {
    await chain.repay(workloadLoans[3], 20_000_000n);
    await chain.recordActions(workloadLoans.slice(5, 8), 1, "branch-b");
    if (blocks === "more") {
      // Six fresh loans: the last four get a payment holiday, a settlement and arrears plans (relief rows to roll back).
      const ids = await chain.registerLoans(6, "branch-b");
      await chain.repay(ids[1], 10_000_000n);
      await chain.everyKindOfEvent([...workloadLoans.slice(0, 8), ...ids]);
      await chain.poke(workloadLoans);
    }
  }

  describeEachDialect("a reorg within the window", (dialect) => {
    let database: TestDatabase;

    beforeEach(async function () {
      await resetChain();
      database = createTestDatabase(dialect, "reorg");
    });

    afterEach(async function () {
      await database.drop();
    });

    for (const blocks of ["fewer", "more"] as const) {
      it(`replaces a branch with one of ${blocks} blocks and other transactions: the database equals a clean index`, async function () {
        const run = () => indexToTip({ rpcUrl: node.url, deploymentsDir, database, options: { maxBlockRange: 4 } });
        await run();
        const fork = await chain.snapshot();
        const forkBlock = await chain.blockNumber();
        await branchA();
        const tipA = await chain.blockNumber();
        await run();
        const onA = await dumpOf(database);
        expect(rowCount(onA, "reminders"), "branch A was indexed").to.be.greaterThan(0);

        await chain.revert(fork);
        await branchB(blocks);
        const tipB = await chain.blockNumber();
        expect(tipB - forkBlock, "branch B's length").to.satisfy((n: number) => (blocks === "fewer" ? n < tipA - forkBlock : n > tipA - forkBlock));
        await run();

        const handle = await database.open();
        const cursor = (await readCursor(handle.db))!;
        await handle.close();
        const head = await chain.latest();
        expect(cursor.blockNumber).to.equal(head.number);
        const expected = await cleanDump(node.url, deploymentsDir, dialect);
        expectSameRows(await dumpOf(database), expected, "after the reorg");
        const check = await database.open();
        expect(await queueKeyMismatches(check.db), "queue keys after the reorg").to.deep.equal([]);
        await check.close();
        expect(JSON.stringify(expected.raw_logs), "branch B's logs differ from branch A's").to.not.equal(JSON.stringify(onA.raw_logs));
      });
    }

    it("follows the tip through two reorgs in a row while the chain keeps moving", async function () {
      const handle = await database.open();
      const indexer = startIndexer({ rpcUrl: node.url, deploymentsDir, handle, options: { exitAtTip: false, pollIntervalMs: 20, maxBlockRange: 3 } });
      let failure: unknown;
      const running = indexer.run().catch((err) => (failure = err));
      const caughtUp = async () => {
        const latest = await chain.latest();
        await waitUntil(
          "the indexer to reach the head",
          async () => {
            if (failure) throw failure;
            return (await readCursor(handle.db))?.blockNumber;
          },
          (n) => n === latest.number,
          30_000,
          20,
        );
      };
      try {
        await caughtUp();
        const fork = await chain.snapshot();
        await branchA();
        await caughtUp();
        await chain.revert(fork);
        const fork2 = await chain.snapshot();
        await branchB("more");
        await caughtUp();
        await chain.revert(fork2);
        await branchB("fewer");
        await chain.mineEmpty(2);
        await caughtUp();
      } finally {
        indexer.stop();
        await running;
        await handle.close();
      }
      if (failure) throw failure;
      expectSameRows(await dumpOf(database), await cleanDump(node.url, deploymentsDir, dialect), "after following two reorgs");
    });
  });

  describeEachDialect("a reorg deeper than --reorg-window", (dialect) => {
    let database: TestDatabase;

    beforeEach(async function () {
      await resetChain();
      database = createTestDatabase(dialect, "deep");
    });

    afterEach(async function () {
      await killIndexerProcesses();
      await database.drop();
    });

    for (const blocks of ["fewer", "more"] as const) {
      it(`stops with ReorgTooDeepError and leaves the database as it was (new branch with ${blocks} blocks${blocks === "more" ? "; also the CLI" : ""})`, async function () {
        const options = { reorgWindow: 4, maxBlockRange: 2 };
        const fork = await chain.snapshot();
        await branchA(); // 6 blocks above the fork: deeper than the 4-block window
        await indexToTip({ rpcUrl: node.url, deploymentsDir, database, options });
        const before = await dumpOf(database);
        await chain.revert(fork);
        await branchB(blocks);
        if (blocks === "fewer") await chain.mineEmpty(3); // the head lands below the cursor, among the kept blocks

        let error: unknown;
        await indexToTip({ rpcUrl: node.url, deploymentsDir, database, options }).catch((err) => (error = err));
        expect(error, "the in-process indexer's error").to.be.instanceOf(ReorgTooDeepError);
        expect((error as Error).message).to.match(/reorg below the kept window: block \d+ changed and none of the last 4 stored blocks matches the chain/);
        expectSameRows(await dumpOf(database), before, "after the refused reorg");

        if (blocks === "fewer") return;
        // The CLI says so and exits non-zero, still without touching the database.
        const cli = spawnIndexerCli(cliArgs(node.url, deploymentsDir, database, ["--reorg-window", "4", "--max-block-range", "2", "--exit-at-tip"]));
        const exit = await cli.exited;
        expect(exit.code, cli.output()).to.equal(1);
        const fatal = cli.logs.find((l) => l.msg === "indexer failed");
        expect(fatal?.err, cli.output()).to.match(/reorg below the kept window.*re-index from scratch or raise --reorg-window/);
        expectSameRows(await dumpOf(database), before, "after the CLI refused the reorg");
      });
    }
  });
});
