/**
 * The API-only indexes a long backfill leaves out (src/db/deferred-indexes.ts, migration 0021):
 * dropped and recorded together, made again exactly as the migrations made them, the reads that
 * use them answering the same meanwhile, and a `deferred_indexes` row that is not a deferrable
 * index's CREATE INDEX refused with nothing changed.
 */
import { expect } from "chai";
import { sql, type Kysely } from "kysely";
import { keccak256, toHex } from "viem";
import { DEFERRABLE_INDEXES, DEFER_MIN_BLOCKS, deferIndexes, restoreIndexes, shouldDefer } from "../../src/db/deferred-indexes";
import { DeferredIndexError } from "../../src/db/errors";
import type { Database } from "../../src/db/schema";
import type { DatabaseHandle } from "../../src/db/connect";
import { citedAnywhere } from "../../src/api/services/evidence-access";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../indexer/helpers/harness";

describe("deferred indexes: when a backfill defers", function () {
  it("only far enough behind, in blocks and against what is indexed already", function () {
    expect(shouldDefer(0, DEFER_MIN_BLOCKS)).to.equal(true);
    expect(shouldDefer(0, DEFER_MIN_BLOCKS - 1)).to.equal(false);
    // 1M blocks indexed: 150k behind is under a fifth, 250k is over.
    expect(shouldDefer(1_000_000, 150_000)).to.equal(false);
    expect(shouldDefer(1_000_000, 250_000)).to.equal(true);
    expect(shouldDefer(500, 0)).to.equal(false);
  });
});

describeEachDialect("deferred indexes", (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let db: Kysely<Database>;

  /** The definitions of the actions table's indexes, by name. */
  async function actionIndexes(): Promise<Record<string, string>> {
    const { rows } =
      dialect === "sqlite"
        ? await sql<{ name: string; definition: string }>`select name, sql as definition from sqlite_master where type = 'index' and tbl_name = 'actions' and sql is not null`.execute(db)
        : await sql<{ name: string; definition: string }>`select indexname as name, indexdef as definition from pg_indexes where schemaname = current_schema() and tablename = 'actions'`.execute(db);
    return Object.fromEntries(rows.map((r) => [r.name, r.definition]));
  }

  const evidence = (i: number) => keccak256(toHex(`evidence-${i}`));

  before(async function () {
    database = createTestDatabase(dialect, "deferidx");
    handle = await database.open();
    db = handle.db;
    await db
      .insertInto("actions")
      .values(
        Array.from({ length: 50 }, (_, i) => ({
          block_number: 10 + i,
          log_index: 0,
          loan_id: 1 + (i % 5),
          seq: 1 + Math.floor(i / 5),
          collector: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
          channel: 0,
          kind: 0,
          outcome: 0,
          occurred_at: 1_700_000_000 + i,
          evidence_hash: evidence(i),
          flags: 0,
          head: evidence(1_000 + i),
          tx_hash: evidence(2_000 + i),
          block_timestamp: 1_700_000_000 + i,
        })),
      )
      .execute();
  });

  after(async function () {
    await handle?.close();
    await database?.drop();
  });

  afterEach(async function () {
    await db.deleteFrom("deferred_indexes").execute();
  });

  it("drops the dialect's deferrable indexes with their definitions recorded, and makes them again as the migrations did", async function () {
    const migrated = await actionIndexes();
    const deferrable = Object.keys(migrated).filter((n) => DEFERRABLE_INDEXES.includes(n)).sort();
    expect(deferrable).to.deep.equal(dialect === "sqlite" ? ["actions_collector_occurred_at_idx", "actions_evidence_key_idx", "actions_recent_calls_idx"] : ["actions_collector_occurred_at_idx", "actions_evidence_hash_idx", "actions_recent_calls_idx"]);

    expect(await deferIndexes(db, dialect)).to.deep.equal(deferrable);
    const during = await actionIndexes();
    expect(Object.keys(during).sort()).to.deep.equal(Object.keys(migrated).filter((n) => !deferrable.includes(n)).sort());
    const recorded = await db.selectFrom("deferred_indexes").selectAll().orderBy("name").execute();
    expect(recorded).to.deep.equal(deferrable.map((name) => ({ name, definition: migrated[name] })));
    // A second deferral finds nothing to drop and keeps the records.
    expect(await deferIndexes(db, dialect)).to.deep.equal([]);
    expect(await db.selectFrom("deferred_indexes").select("name").orderBy("name").execute()).to.deep.equal(deferrable.map((name) => ({ name })));

    expect(await restoreIndexes(db, dialect)).to.deep.equal(deferrable);
    expect(await actionIndexes()).to.deep.equal(migrated);
    expect(await db.selectFrom("deferred_indexes").selectAll().execute()).to.deep.equal([]);
    expect(await restoreIndexes(db, dialect)).to.deep.equal([]);
  });

  it("answers evidence lookups the same while the indexes are out", async function () {
    const ask = () => Promise.all([evidence(3), evidence(49), evidence(77)].map((h) => citedAnywhere(db, h)));
    const before = await ask();
    expect(before).to.deep.equal([true, true, false]);
    await deferIndexes(db, dialect);
    expect(await ask()).to.deep.equal(before);
    await restoreIndexes(db, dialect);
    expect(await ask()).to.deep.equal(before);
  });

  it("leaves an index made again meanwhile (by a migration) as it is, and forgets it", async function () {
    const migrated = await actionIndexes();
    await deferIndexes(db, dialect);
    await sql`create index actions_collector_occurred_at_idx on actions (collector)`.execute(db);
    const heard: string[][] = [];
    expect(await restoreIndexes(db, dialect, (names) => heard.push(names))).to.have.length(3);
    expect(heard).to.have.length(1);
    const now = await actionIndexes();
    expect(now.actions_collector_occurred_at_idx).to.not.equal(migrated.actions_collector_occurred_at_idx);
    expect(now.actions_collector_occurred_at_idx).to.match(/\(collector\)$/);
    expect(await db.selectFrom("deferred_indexes").selectAll().execute()).to.deep.equal([]);
    // Back to the migrated schema for the next test.
    await sql`drop index actions_collector_occurred_at_idx`.execute(db);
    await sql.raw(migrated.actions_collector_occurred_at_idx!).execute(db);
    expect(await actionIndexes()).to.deep.equal(migrated);
  });

  for (const bad of [
    { what: "another index's name", name: "actions_pk", definition: "CREATE INDEX actions_pk ON actions (loan_id)" },
    { what: "a statement that is no CREATE INDEX", name: "actions_evidence_key_idx", definition: "DROP TABLE loans" },
    { what: "a CREATE INDEX of another name", name: "actions_evidence_key_idx", definition: "CREATE INDEX actions_other_idx ON actions (loan_id)" },
  ]) {
    it(`refuses a record holding ${bad.what}, with nothing changed`, async function () {
      const migrated = await actionIndexes();
      await deferIndexes(db, dialect);
      const recorded = await db.selectFrom("deferred_indexes").selectAll().orderBy("name").execute();
      await db.insertInto("deferred_indexes").values({ name: bad.name, definition: bad.definition }).onConflict((oc) => oc.column("name").doUpdateSet({ definition: bad.definition })).execute();
      const err = await restoreIndexes(db, dialect).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(DeferredIndexError);
      expect((err as DeferredIndexError).index).to.equal(bad.name);
      // The whole restore rolled back: the records and the missing indexes are as they were.
      const after = await db.selectFrom("deferred_indexes").selectAll().orderBy("name").execute();
      expect(after.filter((r) => r.name !== bad.name)).to.deep.equal(recorded.filter((r) => r.name !== bad.name));
      expect(Object.keys(await actionIndexes()).filter((n) => DEFERRABLE_INDEXES.includes(n))).to.deep.equal([]);
      // Put the record back as it was, and the indexes with it.
      await db.deleteFrom("deferred_indexes").where("name", "=", bad.name).execute();
      const own = recorded.find((r) => r.name === bad.name);
      if (own) await db.insertInto("deferred_indexes").values(own).execute();
      await restoreIndexes(db, dialect);
      expect(await actionIndexes()).to.deep.equal(migrated);
    });
  }
});
