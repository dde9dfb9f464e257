/**
 * The group writer: concurrent callers share transactions; a failing op fails its caller alone and
 * leaves nothing of itself; on both databases.
 */
import { expect } from "chai";
import type { Kysely, Transaction } from "kysely";
import type { DatabaseHandle } from "../../src/db/connect";
import { groupWriter } from "../../src/db/group-writer";
import type { Database } from "../../src/db/schema";
import { createTestDatabase, describeEachDialect, removeTempDirs, type TestDatabase } from "../indexer/helpers/harness";

describeEachDialect("db/group-writer", (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let db: Kysely<Database>;

  beforeEach(async function () {
    database = createTestDatabase(dialect, "group_writer");
    handle = await database.open();
    db = handle.db;
  });

  afterEach(async function () {
    await handle?.close();
    await database?.drop();
  });

  after(() => removeTempDirs());

  const upload = (trx: Kysely<Database>, k: number) =>
    trx.insertInto("evidence_uploads").values({ sha256: `0x${String(k).padStart(64, "0")}`, loan_id: k, uploader: "test", size: k, uploaded_at: 0 }).execute();
  const stored = async () => (await db.selectFrom("evidence_uploads").select("loan_id").orderBy("loan_id").execute()).map((r) => Number(r.loan_id));

  it("ops queued in one turn of the event loop share a transaction, and each gets its own result", async function () {
    const w = groupWriter(db, 1);
    const seen: Transaction<Database>[] = [];
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((k) =>
        w.run(async (trx) => {
          seen.push(trx);
          await upload(trx, k);
          return k * 10;
        }),
      ),
    );
    expect(results).to.deep.equal([10, 20, 30, 40, 50]);
    expect(new Set(seen).size).to.equal(1);
    expect(await stored()).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it("an op that throws fails its own caller only: the others are written, nothing of it is", async function () {
    const w = groupWriter(db);
    const outcomes = await Promise.allSettled(
      [1, 2, 3].map((k) =>
        w.run(async (trx) => {
          await upload(trx, k);
          if (k === 2) throw new Error("op 2 refuses");
          return k;
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
    expect(((outcomes[1] as PromiseRejectedResult).reason as Error).message).to.equal("op 2 refuses");
    expect(await stored()).to.deep.equal([1, 3]);
  });

  it("callers that come while a transaction runs go in a later one, none lost", async function () {
    const w = groupWriter(db, 1);
    const all: Promise<number>[] = [];
    for (let k = 1; k <= 30; k++) {
      all.push(w.run(async (trx) => (await upload(trx, k), k)));
      if (k % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(all)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(await stored()).to.deep.equal(Array.from({ length: 30 }, (_, i) => i + 1));
  });
});
