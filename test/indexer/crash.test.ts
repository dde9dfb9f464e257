/**
 * Crash safety of the real CLI: `kill -9` of its process group at random points, at least ten
 * times during a backfill in 5-block ranges (the first ones while the first start migrates the new
 * database, most between or inside range transactions), then again while it follows the tip as more blocks are mined (loans registered,
 * repaid, actions recorded, time moving on); restarted each time. The final database must equal a clean run's, row for row.
 */
import { expect } from "chai";
import { loadDeployment } from "../../src/chain/deployments";
import { deployTo, runWorkloadOn, startNode, type TestNode } from "../support/chain";
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
  sleep,
  spawnIndexerCli,
  waitUntil,
  type IndexerProcess,
  type TestDatabase,
} from "./helpers/harness";
import { prng } from "../support/prng";

/** Kills during the backfill required (the brief's floor) and aimed for. */
const MIN_BACKFILL_KILLS = 10;
const BACKFILL_KILLS = 10;
const RANGE = 5;
/**
 * Backfill transactions of a few ranges each (the default, 10,000 events, would be the whole
 * chain). At 150 events a transaction took ~70 blocks, more than the 1-10 ranges a kill waits for:
 * each kill then came one transaction later, and 10 kills needed more blocks than the chain has
 * (it failed when the last one landed at the head).
 */
const COMMIT_EVENTS = 40;
/** Kills while following the tip. */
const REALTIME_KILLS = 3;


describe("indexer: kill -9 and restart", function () {
  this.timeout(600_000);
  let node: TestNode;
  let deploymentsDir: string;
  let chain: Chain;
  let afterFirstWorkload: string;
  let startBlock: number;

  before(async function () {
    this.timeout(300_000); // node, deploy (compiles when needed), workload
    node = await startNode();
    deploymentsDir = tempDeployments();
    await deployTo(node.url, deploymentsDir);
    // ~430 blocks, ~85 ranges of 5 blocks: an uninterrupted backfill takes a few seconds.
    await runWorkloadOn(node.url, deploymentsDir, { loans: 120, rounds: 6, actions: 2 });
    chain = await connectChain(node.url, deploymentsDir);
    const d = loadDeployment("localhost", deploymentsDir);
    startBlock = Number(d.loanLedger.startBlock < d.collectionLog.startBlock ? d.loanLedger.startBlock : d.collectionLog.startBlock);
    afterFirstWorkload = await chain.snapshot();
  });

  after(async function () {
    await killIndexerProcesses();
    await node?.stop();
    removeTempDirs();
  });

  describeEachDialect("crash and restart", (dialect) => {
    let database: TestDatabase;
    const seed = Number(process.env.TEST_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = prng(seed);
    const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

    before(async function () {
      console.log(`      kill schedule seed ${seed} (TEST_CRASH_SEED=${seed} to reuse it)`);
      await chain.revert(afterFirstWorkload);
      afterFirstWorkload = await chain.snapshot();
      database = createTestDatabase(dialect, "crash");
    });

    after(async function () {
      await killIndexerProcesses();
      await database.drop();
    });

    const spawnCli = () => spawnIndexerCli(cliArgs(node.url, deploymentsDir, database, ["--max-block-range", String(RANGE), "--commit-events", String(COMMIT_EVENTS)]));

    it(`backfill: kill -9 at ${BACKFILL_KILLS} random points, restart each time; the result equals a clean run`, async function () {
      const head = await chain.blockNumber();
      expect(head - startBlock, "blocks to backfill").to.be.greaterThan(BACKFILL_KILLS * 2 * RANGE);
      const cursors: number[] = [];
      let kills = 0;
      let midRange = 0; // runs that made progress and were killed before the head
      for (let round = 0; kills < BACKFILL_KILLS; round++) {
        const before = (await database.cursorBlock()) ?? startBlock - 1;
        if (before >= head) break;
        const cli = spawnCli();
        if (round < 3) {
          // Right after the first start created the file or schema: during the migrations.
          await waitUntil("the database to be created", async () => !cli.alive() || (await database.exists()), (v) => v, 120_000, 1);
          await sleep(between(0, 150));
        } else if (round === 3) {
          // Anywhere from process start (loading, connecting, reading the cursor) to its first commit.
          const until = Date.now() + between(0, 4_000);
          while (Date.now() < until && cli.alive() && ((await database.cursorBlock()) ?? before) === before) await sleep(2);
        } else {
          // After 1 to 6 more ranges committed (spreading the kills over the backfill: at most
          // ~50 blocks a round with the commit that lands meanwhile, so the six rounds end before
          // the head), then anywhere within the next ones.
          const ranges = between(1, 6);
          await waitUntil("backfill progress", async () => (cli.alive() ? ((await database.cursorBlock()) ?? before) : Infinity), (c) => c >= before + ranges * RANGE, 60_000, 2);
          await sleep(between(0, 30));
        }
        expect(cli.alive(), `the indexer exited by itself:\n${cli.output()}`).to.equal(true);
        await cli.kill("SIGKILL");
        const after = (await database.cursorBlock()) ?? startBlock - 1;
        cursors.push(after);
        expect(after, "the cursor never moves back").to.be.at.least(before);
        if (after < head) kills++;
        if (after > before && after < head) midRange++;
      }
      console.log(`      killed ${kills} times during the backfill; cursors after each kill: ${cursors.join(" ")} (head ${head})`);
      expect(kills, "kills during the backfill (raise the workload if the backfill got too short)").to.be.at.least(MIN_BACKFILL_KILLS);
      expect(midRange, "runs killed after some progress, before the head").to.be.at.least(5);

      const last = spawnCli();
      await last.waitForLog("caught up with the tip", 120_000);
      await last.kill("SIGTERM");
      const expected = await cleanDump(node.url, deploymentsDir, dialect);
      expect(rowCount(expected, "actions")).to.be.greaterThan(400);
      expectSameRows(await dumpOf(database), expected, "after the interrupted backfill");
    });

    it(`realtime: kill -9 ${REALTIME_KILLS} times while following the tip as the chain keeps moving; the result equals a clean run`, async function () {
      const older = Array.from({ length: 40 }, (_, i) => BigInt(i + 1));
      const miner = chain.startMiner("realtime", older);
      let failure: unknown;
      void miner.done.catch((err) => (failure = err));
      let kills = 0;
      let cli: IndexerProcess | undefined;
      const firstHead = await chain.blockNumber();
      try {
        while (kills < REALTIME_KILLS) {
          cli = spawnCli();
          await cli.waitForLog("indexer starting", 120_000);
          await Promise.race([sleep(between(100, 1_500)), cli.exited]);
          if (failure) throw failure;
          expect(cli.alive(), `the indexer exited by itself:\n${cli.output()}`).to.equal(true);
          await cli.kill("SIGKILL");
          kills++;
        }
        cli = spawnCli();
        await cli.waitForLog("indexer starting", 120_000);
        await sleep(between(100, 1_000));
        const rounds = await miner.stop();
        const head = await chain.blockNumber();
        console.log(`      killed ${kills} times while following the tip; ${rounds} rounds mined meanwhile (blocks ${firstHead}..${head})`);
        expect(head - firstHead, "blocks mined while the indexer was being killed").to.be.greaterThan(kills * 4);
        await waitUntil("the indexer to reach the head", () => database.cursorBlock(), (c) => c === head, 120_000, 50);
        await cli.kill("SIGTERM");
      } finally {
        await miner.stop().catch(() => undefined);
        await killIndexerProcesses();
      }
      expectSameRows(await dumpOf(database), await cleanDump(node.url, deploymentsDir, dialect), "after the interrupted realtime indexing");
    });

    it("restart whose first range only registers loans (under a policy published before the restart)", async function () {
      const other = createTestDatabase(dialect, "restart");
      try {
        await indexToTip({ rpcUrl: node.url, deploymentsDir, database: other });
        await chain.registerLoans(3, "after-restart"); // LoanRegistered and CollectorAssigned only
        await indexToTip({ rpcUrl: node.url, deploymentsDir, database: other }); // a new indexer: nothing cached
        expectSameRows(await dumpOf(other), await cleanDump(node.url, deploymentsDir, dialect), "after the restart");
      } finally {
        await other.drop();
      }
    });
  });
});
