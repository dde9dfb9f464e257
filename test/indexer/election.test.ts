/**
 * Writer election on PostgreSQL (src/indexer/leader.ts): two indexer CLI processes on one schema,
 * started together on a fresh schema. Exactly one holds the advisory lock and writes; the other
 * logs "standing by" and writes nothing. After kill -9 of the writer, the standby takes over
 * within a few seconds and catches up; the database equals a clean run's. A writer whose lock
 * session the server ends stops writing (it no longer holds the lock), and the standby takes over.
 * And should two indexers write anyway, the cursor fences the second off.
 */
import { expect } from "chai";
import { loadDeployment } from "../../src/chain/deployments";
import { lockKey } from "../../src/indexer/leader";
import { CursorMovedError } from "../../src/indexer/errors";
import { deployTo, runWorkloadOn, startNode, type TestNode } from "../support/chain";
import { connectChain, type Chain } from "./helpers/activity";
import {
  cleanDump,
  cliArgs,
  createTestDatabase,
  describeEachDialect,
  dumpOf,
  expectSameRows,
  killIndexerProcesses,
  removeTempDirs,
  tempDeployments,
  sleep,
  spawnIndexerCli,
  startIndexer,
  waitUntil,
  withPostgres,
  type IndexerProcess,
  type LogLine,
  type TestDatabase,
} from "./helpers/harness";

const HOLDING = "holding the writer lock";
const STANDING_BY = "another indexer is writing; standing by";
const STILL_HELD = "the writer lock is still held elsewhere";
/** "Within a few seconds": the standby polls the lock every second. */
const TAKEOVER_MS = 15_000;

describeEachDialect(
  "indexer: writer election, two CLI processes on one schema",
  () => {
    let node: TestNode;
    let deploymentsDir: string;
    let chain: Chain;
    let database: TestDatabase;
    let key: string;
    let writer: IndexerProcess;
    let standby: IndexerProcess;

    before(async function () {
      this.timeout(300_000); // node, deploy (compiles when needed), workload
      node = await startNode();
      deploymentsDir = tempDeployments();
      await deployTo(node.url, deploymentsDir);
      await runWorkloadOn(node.url, deploymentsDir, { loans: 20, rounds: 1, actions: 1 });
      chain = await connectChain(node.url, deploymentsDir);
      database = createTestDatabase("postgres", "elect");
      key = lockKey(database.schema, loadDeployment("localhost", deploymentsDir).chainId);
    });

    after(async function () {
      await killIndexerProcesses();
      await database?.drop();
      await node?.stop();
      removeTempDirs();
    });

    /** Whether someone holds the writer lock: our own try-lock fails (and is released if it did not). */
    const lockHeld = () =>
      withPostgres(async (c) => {
        const r = await c.query<{ ok: boolean }>("select pg_try_advisory_lock(hashtext($1)) as ok", [key]);
        if (r.rows[0].ok) await c.query("select pg_advisory_unlock(hashtext($1))", [key]);
        return !r.rows[0].ok;
      });
    /** Backends holding the writer lock (pg_locks splits the bigint key into classid and objid). */
    const lockHolders = () =>
      withPostgres(async (c) => {
        const r = await c.query<{ pid: number }>(
          `select pid from pg_locks
            where locktype = 'advisory' and granted and objsubid = 1
              and database = (select oid from pg_database where datname = current_database())
              and classid::bigint = ((hashtext($1)::bigint >> 32) & 4294967295)
              and objid::bigint = (hashtext($1)::bigint & 4294967295)`,
          [key],
        );
        return r.rows.map((row) => row.pid);
      });
    const started = (p: IndexerProcess) => p.logs.some((l: LogLine) => l.msg === HOLDING || l.msg === "indexer starting");
    // Debug logs: the standby logs each lock attempt (the marker the first test waits for).
    const spawnCli = () => spawnIndexerCli(cliArgs(node.url, deploymentsDir, database, ["--max-block-range", "5", "--log-level", "debug"]));

    it("exactly one of two processes started together writes; the other stands by and writes nothing", async function () {
      this.timeout(180_000);
      const [a, b] = [spawnCli(), spawnCli()];
      const holds = [a, b].map((p) => p.waitForLog(HOLDING, 120_000).then(() => p));
      holds.forEach((h) => h.catch(() => undefined)); // the loser's wait ends when the process does
      const first = await Promise.race(holds);
      writer = first;
      standby = first === a ? b : a;
      await standby.waitForLog(STANDING_BY, 120_000);
      expect(await lockHeld(), "the writer lock is held").to.equal(true);
      expect(await lockHolders(), "one backend holds it").to.have.length(1);

      // The chain moves; the writer follows it while the standby stays idle.
      const older = Array.from({ length: 20 }, (_, i) => BigInt(i + 1));
      const miner = chain.startMiner("election-1", older, 50);
      await sleep(2_000);
      await miner.stop();
      const head = await chain.blockNumber();
      await waitUntil("the writer to reach the head", () => database.cursorBlock(), (c) => c === head, 60_000);
      // The marker: two more lock attempts by the standby after the writer reached the head.
      const attempts = () => standby.logs.filter((l) => l.msg === STILL_HELD).length;
      const before = attempts();
      await waitUntil("two more attempts by the standby", async () => attempts(), (n) => n >= before + 2, 30_000);
      expect(writer.alive() && standby.alive(), "both still running").to.equal(true);
      expect(started(standby), `the standby started indexing:\n${standby.output()}`).to.equal(false);
      expect(standby.logs.filter((l) => l.msg === STANDING_BY).length, "it says so once").to.equal(1);
      expect(writer.logs.some((l) => l.msg === "indexer starting")).to.equal(true);
    });

    it("after kill -9 of the writer the standby takes over within a few seconds, catches up, and the database equals a clean run", async function () {
      this.timeout(180_000);
      expect(writer && standby, "the first test ran").to.not.equal(undefined);
      const older = Array.from({ length: 20 }, (_, i) => BigInt(i + 1));
      const miner = chain.startMiner("election-2", older, 100);
      try {
        await sleep(1_000 + Math.floor(Math.random() * 1_000)); // the writer is busy following the chain
        const killedAt = Date.now();
        await writer.kill("SIGKILL");
        await standby.waitForLog(HOLDING, TAKEOVER_MS);
        const takeover = Date.now() - killedAt;
        console.log(`      standby took over ${takeover} ms after the writer was killed`);
        await standby.waitForLog("indexer starting", 30_000);

        // The killed writer comes back: now it is the one standing by.
        const restarted = spawnCli();
        await restarted.waitForLog(STANDING_BY, 120_000);
        expect(started(restarted), restarted.output()).to.equal(false);
        await sleep(1_000);
        expect(await lockHeld()).to.equal(true);
      } finally {
        await miner.stop();
      }
      const head = await chain.blockNumber();
      await waitUntil("the new writer to reach the head", () => database.cursorBlock(), (c) => c === head, 60_000);
      await killIndexerProcesses();
      expectSameRows(await dumpOf(database), await cleanDump(node.url, deploymentsDir, "postgres"), "after the takeover");
    });

    it("a writer whose lock connection is terminated stops writing; the standby takes over and the database equals a clean run", async function () {
      this.timeout(180_000);
      const [a, b] = [spawnCli(), spawnCli()];
      const holds = [a, b].map((p) => p.waitForLog(HOLDING, 120_000).then(() => p));
      holds.forEach((h) => h.catch(() => undefined));
      const first = await Promise.race(holds);
      const other = first === a ? b : a;
      await other.waitForLog(STANDING_BY, 120_000);
      await first.waitForLog("indexer starting", 30_000);
      const older = Array.from({ length: 20 }, (_, i) => BigInt(i + 1));
      const miner = chain.startMiner("election-3", older, 50);
      try {
        await sleep(1_000);
        // The server ends the writer's lock session (an admin, a failover, a network cut): the
        // lock is released while the process lives on.
        const holders = await lockHolders();
        expect(holders).to.have.length(1);
        await withPostgres((c) => c.query("select pg_terminate_backend($1)", [holders[0]]));
        const exit = await Promise.race([first.exited, sleep(TAKEOVER_MS).then(() => undefined)]);
        expect(exit, `the old writer kept running without the lock:\n${first.output().slice(-3000)}`).to.not.equal(undefined);
        expect(exit!.code).to.equal(1);
        expect(first.logs.some((l) => l.msg === "lost the writer lock; stopping"), first.output()).to.equal(true);
        await other.waitForLog(HOLDING, TAKEOVER_MS);
        await other.waitForLog("indexer starting", 30_000);
      } finally {
        await miner.stop();
      }
      const head = await chain.blockNumber();
      await waitUntil("the new writer to reach the head", () => database.cursorBlock(), (c) => c === head, 60_000);
      expect(other.logs.find((l) => l.msg === "indexer failed"), other.output()).to.equal(undefined);
      await killIndexerProcesses();
      expectSameRows(await dumpOf(database), await cleanDump(node.url, deploymentsDir, "postgres"), "after the lost lock");
    });

    it("without the election, a second writer is fenced off by the cursor (CursorMovedError) and the data stays right", async function () {
      this.timeout(120_000);
      const fenced = createTestDatabase("postgres", "fence");
      const handles = [await fenced.open(), await fenced.open()];
      try {
        // Two indexers in this process, no lock: both start from the same (empty) cursor.
        const results = await Promise.all(
          handles.map((handle) =>
            startIndexer({ rpcUrl: node.url, deploymentsDir, handle, options: { maxBlockRange: 2 } })
              .run()
              .then(
                () => "done",
                (err: unknown) => err,
              ),
          ),
        );
        expect(results.filter((r) => r === "done"), "one finished").to.have.length(1);
        const failed = results.find((r) => r !== "done");
        expect(failed, "the other was fenced off").to.be.instanceOf(CursorMovedError);
        expect((failed as Error).message).to.match(/another indexer is writing to this database/);
      } finally {
        await Promise.all(handles.map((h) => h.close()));
      }
      try {
        expectSameRows(await dumpOf(fenced), await cleanDump(node.url, deploymentsDir, "postgres"), "after two writers");
      } finally {
        await fenced.drop();
      }
    });
  },
  ["postgres"],
);
