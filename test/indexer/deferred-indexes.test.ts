/**
 * A backfill far behind the head leaves the API-only indexes out while it writes and makes them
 * at the tip (src/db/deferred-indexes.ts): they are back, as migrated, before "caught up"; a run
 * stopped on the way makes them before it returns; and indexes a killed run left out are made by
 * the next start.
 */
import { expect } from "chai";
import { Writable } from "node:stream";
import pino from "pino";
import { sql } from "kysely";
import type { DatabaseHandle } from "../../src/db/connect";
import { DEFER_MIN_BLOCKS, deferIndexes } from "../../src/db/deferred-indexes";
import { readCursor } from "../../src/indexer/store";
import { rpc, type TestNode } from "../support/chain";
import { createTestDatabase, describeEachDialect, indexToTip, removeTempDirs, startIndexer, startWorkloadNode, type TestDatabase } from "./helpers/harness";

const DEFERRED = "indexes deferred until the backfill reaches the tip";
const MADE = "deferred indexes made";
const CAUGHT_UP = "caught up with the tip";

/** A logger whose lines (parsed) land in `lines`; `onLine` hears each. */
function capture(onLine?: (line: { msg: string; indexes?: string[] }) => void) {
  const lines: { msg: string; indexes?: string[] }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = JSON.parse(chunk.toString()) as { msg: string; indexes?: string[] };
      lines.push(line);
      onLine?.(line);
      done();
    },
  });
  return { lines, logger: pino({ level: "info" }, sink) };
}

/** The names of the actions table's indexes with a definition (primary keys aside). */
async function actionIndexes(handle: DatabaseHandle): Promise<string[]> {
  const { rows } =
    handle.dialect === "sqlite"
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'actions' and sql is not null order by name`.execute(handle.db)
      : await sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = current_schema() and tablename = 'actions' and indexname <> 'actions_pk' order by indexname`.execute(handle.db);
  return rows.map((r) => r.name);
}

describe("indexer: indexes deferred for a long backfill", function () {
  this.timeout(180_000);
  let node: TestNode;
  let deploymentsDir: string;

  before(async function () {
    this.timeout(300_000);
    ({ node, deploymentsDir } = await startWorkloadNode({ loans: 6, rounds: 1, actions: 2 }));
    // Far enough behind for a fresh database to defer: empty blocks, one by one (blocks that
    // hardhat_mine reserves in one call did not index here: the backfill made no progress over them).
    for (let i = 0; i < DEFER_MIN_BLOCKS + 100; i++) await rpc(node.url, "evm_mine", []);
  });

  after(async function () {
    await node?.stop();
    removeTempDirs();
  });

  describeEachDialect("backfill", (dialect) => {
    const expected = dialect === "sqlite" ? ["actions_collector_occurred_at_idx", "actions_evidence_key_idx", "actions_loan_id_seq_idx", "actions_recent_calls_idx"] : ["actions_collector_occurred_at_idx", "actions_evidence_hash_idx", "actions_loan_id_seq_idx", "actions_recent_calls_idx"];
    const deferrable = expected.filter((n) => n !== "actions_loan_id_seq_idx");
    let database: TestDatabase;

    beforeEach(function () {
      database = createTestDatabase(dialect, "deferbf");
    });

    afterEach(async function () {
      await database?.drop();
    });

    it("leaves the API-only indexes out and makes them before it reports the tip", async function () {
      const { lines, logger } = capture();
      await indexToTip({ rpcUrl: node.url, deploymentsDir, database, logger });
      const msgs = lines.map((l) => l.msg);
      expect(msgs.indexOf(DEFERRED), "deferred").to.be.greaterThan(-1);
      expect(lines.find((l) => l.msg === DEFERRED)!.indexes).to.deep.equal(deferrable);
      expect(msgs.indexOf(MADE)).to.be.greaterThan(msgs.indexOf(DEFERRED));
      expect(msgs.indexOf(CAUGHT_UP)).to.be.greaterThan(msgs.indexOf(MADE));
      const handle = await database.open();
      try {
        expect(await actionIndexes(handle)).to.deep.equal(expected);
        expect(await handle.db.selectFrom("deferred_indexes").selectAll().execute()).to.deep.equal([]);
        expect((await handle.db.selectFrom("actions").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n).to.be.greaterThan(0);
      } finally {
        await handle.close();
      }
    });

    it("makes them before it returns when stopped on the way to the tip", async function () {
      const handle = await database.open();
      try {
        let indexer: ReturnType<typeof startIndexer> | undefined;
        const { lines, logger } = capture((l) => {
          if (l.msg === DEFERRED) indexer!.stop();
        });
        indexer = startIndexer({ rpcUrl: node.url, deploymentsDir, handle, logger, options: { maxBlockRange: 50 } });
        await indexer.run();
        const head = Number(await rpc(node.url, "eth_blockNumber", []));
        const cursor = await readCursor(handle.db);
        expect(cursor?.blockNumber ?? 0, "stopped before the tip").to.be.lessThan(head);
        expect(lines.map((l) => l.msg)).to.include.members([DEFERRED, MADE]).and.not.include(CAUGHT_UP);
        expect(await actionIndexes(handle)).to.deep.equal(expected);
        expect(await handle.db.selectFrom("deferred_indexes").selectAll().execute()).to.deep.equal([]);
      } finally {
        await handle.close();
      }
    });

    it("makes indexes a killed run left out at the next start", async function () {
      await indexToTip({ rpcUrl: node.url, deploymentsDir, database });
      // As a run killed mid-backfill leaves them.
      let handle = await database.open();
      expect(await deferIndexes(handle.db, handle.dialect)).to.deep.equal(deferrable);
      await handle.close();
      const { lines, logger } = capture();
      await indexToTip({ rpcUrl: node.url, deploymentsDir, database, logger });
      expect(lines.map((l) => l.msg)).to.include(MADE).and.not.include(DEFERRED);
      handle = await database.open();
      try {
        expect(await actionIndexes(handle)).to.deep.equal(expected);
        expect(await handle.db.selectFrom("deferred_indexes").selectAll().execute()).to.deep.equal([]);
      } finally {
        await handle.close();
      }
    });
  });
});
