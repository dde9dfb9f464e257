/**
 * raw_logs keeps each log's topics and data as bytes (migration 0019, src/db/raw-logs.ts): the
 * stored form reads back as the hex the decoders take, and a database indexed before the change
 * (topics as a JSON array of hex, data as hex) reads the same after the migration.
 */
import { expect } from "chai";
import { sql, type Kysely } from "kysely";
import type { Hex } from "viem";
import { dataOf, storedLog, topicsOf } from "../../src/db/raw-logs";
import * as m0019 from "../../src/db/migrations/0019_raw_logs_bytes";
import type { Database } from "../../src/db/schema";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../indexer/helpers/harness";
import type { DatabaseHandle } from "../../src/db/connect";

const word = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

/** Logs with 0 to 4 topics and data of 0, 1, 32 and 1,600 bytes. */
const LOGS: { topics: Hex[]; data: Hex }[] = [
  { topics: [], data: "0x" },
  { topics: [word(1)], data: "0xff" },
  { topics: [word(2), word(0), `0x${"ab".repeat(32)}`], data: word(7) },
  { topics: [word(3), word(4), word(5), word(6)], data: `0x${"0123456789abcdef".repeat(200)}` },
];

describe("raw log bytes", function () {
  it("read back as the topics and data they were stored from", function () {
    for (const log of LOGS) {
      const stored = storedLog(log.topics, log.data);
      expect(stored.topics.length).to.equal(32 * log.topics.length);
      expect(stored.data.length).to.equal((log.data.length - 2) / 2);
      expect(topicsOf(stored.topics)).to.deep.equal(log.topics);
      expect(dataOf(stored.data)).to.equal(log.data);
    }
  });
});

describeEachDialect("migration 0019: raw_logs topics and data as bytes", (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let db: Kysely<Database>;

  before(async function () {
    database = createTestDatabase(dialect, "rawbytes");
    handle = await database.open();
    db = handle.db;
  });

  after(async function () {
    await handle?.close();
    await database?.drop();
  });

  const read = async () =>
    (await db.selectFrom("raw_logs").select(["log_index", "topics", "data"]).orderBy("log_index").execute()).map((r) => ({
      topics: topicsOf(r.topics),
      data: dataOf(r.data),
    }));

  it("turns the hex rows of an older index into bytes that read back the same, and back", async function () {
    // The form before 0019, then rows as the indexer wrote them then.
    await m0019.down(db);
    for (const [i, log] of LOGS.entries()) {
      await sql`insert into raw_logs (block_number, log_index, chain_id, block_hash, tx_hash, address, topics, data)
                values (1, ${i}, 31337, ${word(9)}, ${word(10)}, '0x0000000000000000000000000000000000000001', ${JSON.stringify(log.topics)}, ${log.data})`.execute(db);
    }
    await m0019.up(db);
    expect(await read()).to.deep.equal(LOGS);
    // And down again gives the hex rows back.
    await m0019.down(db);
    const hexRows = (await sql<{ topics: string; data: string }>`select topics, data from raw_logs order by log_index`.execute(db)).rows;
    expect(hexRows.map((r) => ({ topics: JSON.parse(r.topics), data: r.data }))).to.deep.equal(LOGS);
    await m0019.up(db);
    expect(await read()).to.deep.equal(LOGS);
  });
});
