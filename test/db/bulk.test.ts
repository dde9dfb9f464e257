/**
 * The indexer's bulk writer (src/db/bulk.ts) on both databases: what goes in comes back out, value
 * for value, whichever path it takes (SQLite's multi-row INSERT; on PostgreSQL COPY's binary format
 * for plain inserts and upserts of 16 rows or more, its text format when a column's type has no
 * binary encoder, one JSON INSERT below 16 rows), with the characters COPY's text format must
 * escape, nulls, a string that reads like COPY's null marker, and every column type the indexer uses.
 */
import { expect } from "chai";
import { sql, type Kysely, type Transaction } from "kysely";
import { bulkWriter, type OnConflict } from "../../src/db/bulk";
import type { DatabaseHandle } from "../../src/db/connect";
import type { Database } from "../../src/db/schema";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../indexer/helpers/harness";

const TRICKY = ["tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N", "", "ünïcödé ✓", "'quotes' and \"double\"", "\\.\n"];

interface Row {
  id: number;
  note: string;
  amount: string;
  maybe: number | null;
}

function rows(n: number, offset = 0): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + offset,
    note: `${TRICKY[i % TRICKY.length]}#${i}`,
    amount: (10n ** 30n + BigInt(i)).toString(),
    maybe: i % 3 === 0 ? null : i * 1_000_003,
  }));
}

describeEachDialect("bulk writer", (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let db: Kysely<Database>;

  before(async function () {
    database = createTestDatabase(dialect, "bulk");
    handle = await database.open();
    db = handle.db;
    await sql`create table bulk_t (id bigint primary key, note text not null, amount text not null, maybe bigint)`.execute(db);
  });

  after(async function () {
    await handle?.close();
    await database?.drop();
  });

  beforeEach(async function () {
    await sql`delete from bulk_t`.execute(db);
  });

  const write = (fn: (trx: Transaction<Database>) => Promise<void>) => {
    const writer = bulkWriter(db);
    if (!writer) throw new Error("no bulk writer for this database");
    return writer.transaction(db, fn);
  };
  const insert = (trx: Transaction<Database>, r: readonly object[], onConflict?: OnConflict) =>
    bulkWriter(db)!.insert(trx, "bulk_t", r, onConflict);
  const readAll = async () =>
    (await sql<Row>`select id, note, amount, maybe from bulk_t order by id`.execute(db)).rows.map((r) => ({
      id: Number(r.id),
      note: r.note,
      amount: r.amount,
      maybe: r.maybe === null ? null : Number(r.maybe),
    }));

  for (const n of [5, 2_500]) {
    it(`inserts ${n} rows with tabs, newlines, backslashes, nulls and "\\N" as they are`, async function () {
      const want = rows(n);
      await write((trx) => insert(trx, want));
      expect(await readAll()).to.deep.equal(want);
    });

    it(`upserts ${n} rows: existing keys take the new values, new keys are added`, async function () {
      await write((trx) => insert(trx, rows(n)));
      const changed = rows(n, Math.floor(n / 2)).map((r) => ({ ...r, note: `${r.note}\tv2` }));
      await write((trx) => insert(trx, changed, { update: "id" }));
      const want = [...rows(n).slice(0, Math.floor(n / 2)), ...changed];
      expect(await readAll()).to.deep.equal(want);
    });

    it(`upserts ${n} rows keeping the "keep" columns of existing keys (new keys take every column)`, async function () {
      await write((trx) => insert(trx, rows(n)));
      const changed = rows(n, Math.floor(n / 2)).map((r) => ({ ...r, note: `${r.note}\tv2`, amount: "7" }));
      await write((trx) => insert(trx, changed, { update: "id", keep: ["note"] }));
      const old = new Map(rows(n).map((r) => [r.id, r]));
      const want = [...rows(n).slice(0, Math.floor(n / 2)), ...changed.map((r) => (old.has(r.id) ? { ...r, note: old.get(r.id)!.note } : r))];
      expect(await readAll()).to.deep.equal(want);
    });
  }

  for (const n of [5, 2_500]) it(`upserts ${n} rows with "indexed" columns: the same rows as a plain upsert (changed, unchanged, to and from null)`, async function () {
    await sql`create index if not exists bulk_t_maybe_idx on bulk_t (maybe)`.execute(db);
    await write((trx) => insert(trx, rows(n)));
    // Half the existing keys change `maybe` (a third of them to or from null), half keep it; `amount` changes on every third.
    const changed = rows(n, Math.floor(n / 2)).map((r, i) => ({
      ...r,
      note: `${r.note}\tv2`,
      maybe: i % 2 === 0 ? r.maybe : i % 3 === 1 ? null : (r.maybe ?? 0) + 7,
      amount: i % 3 === 0 ? "5" : r.amount,
    }));
    await write((trx) => insert(trx, changed, { update: "id", indexed: ["maybe", "amount"] }));
    expect(await readAll()).to.deep.equal([...rows(n).slice(0, Math.floor(n / 2)), ...changed]);
  });

  // SQLite only: PostgreSQL refuses an upsert that names a key twice ("cannot affect row a second time").
  if (dialect === "sqlite") it('upserts a key given twice in one statement as its last row, "indexed" columns too', async function () {
    await write((trx) => insert(trx, rows(8)));
    const twice = [...rows(8).map((r) => ({ ...r, maybe: 1, amount: "1" })), { ...rows(8)[3]!, maybe: 2, amount: "2" }, { ...rows(8)[3]!, maybe: null, amount: "3" }];
    await write((trx) => insert(trx, twice, { update: "id", indexed: ["maybe", "amount"] }));
    const got = await readAll();
    expect(got[3]).to.deep.equal({ ...rows(8)[3]!, maybe: null, amount: "3" });
    expect(got.filter((r) => r.id !== 3).map((r) => [r.maybe, r.amount])).to.deep.equal(Array.from({ length: 7 }, () => [1, "1"]));
  });

  it("upserts twice in one transaction (the staging rows of the first are gone for the second)", async function () {
    await write(async (trx) => {
      await insert(trx, rows(40));
      await insert(trx, rows(40).map((r) => ({ ...r, note: "first" })), { update: "id" });
      await insert(trx, rows(20).map((r) => ({ ...r, note: "second" })), { update: "id" });
    });
    const got = await readAll();
    expect(got.filter((r) => r.note === "second").map((r) => r.id)).to.deep.equal(rows(20).map((r) => r.id));
    expect(got.filter((r) => r.note === "first").map((r) => r.id)).to.deep.equal(rows(40).slice(20).map((r) => r.id));
  });

  for (const n of [5, 40]) it(`writes ${n} rows of every column type the indexer uses as they are: small and large integers, bytes, long text`, async function () {
    await sql`create table bulk_types (id bigint primary key, big bigint, small integer, tiny smallint, bytes ${sql.raw(dialect === "postgres" ? "bytea" : "blob")}, long text)`.execute(db);
    try {
      const long = "x".repeat(300_000) + "ü"; // longer than one 256 KB piece of the COPY stream
      const want = Array.from({ length: n }, (_, i) => ({
        id: i - 20, // negative keys too
        big: i % 2 ? String(2n ** 62n + BigInt(i)) : -(2 ** 52) - i, // past 2^53 (as digits: JSON has no bigint), and a negative number
        small: -(2 ** 31) + i,
        tiny: 32_767 - i,
        bytes: i % 5 === 0 ? null : Buffer.from([i, 0, 255, 10, 9, 92]),
        long: i === 3 ? long : `row ${i}`,
      }));
      await write((trx) => bulkWriter(db)!.insert(trx, "bulk_types", want));
      const got = (await sql<Record<string, unknown>>`select id, cast(big as text) as big, small, tiny, bytes, long from bulk_types order by id`.execute(db)).rows;
      expect(got.map((r) => ({ ...r, id: Number(r.id), big: BigInt(r.big as string), small: Number(r.small), tiny: Number(r.tiny), bytes: r.bytes === null ? null : Buffer.from(r.bytes as Uint8Array) }))).to.deep.equal(
        want.map((r) => ({ ...r, big: BigInt(r.big) })),
      );
    } finally {
      await sql`drop table bulk_types`.execute(db);
    }
  });

  if (dialect === "postgres") it("falls back to COPY's text format for a column type without a binary encoder", async function () {
    await sql`create table bulk_text (id bigint primary key, note text not null, x numeric)`.execute(db);
    try {
      const want = rows(60).map((r) => ({ id: r.id, note: r.note, x: r.amount }));
      await write((trx) => bulkWriter(db)!.insert(trx, "bulk_text", want));
      const got = (await sql<{ id: string; note: string; x: string }>`select id, note, x from bulk_text order by id`.execute(db)).rows;
      expect(got.map((r) => ({ id: Number(r.id), note: r.note, x: r.x }))).to.deep.equal(want);
    } finally {
      await sql`drop table bulk_text`.execute(db);
    }
  });

  // SQLite stores what it is given (type affinity); PostgreSQL's binary COPY must refuse it here.
  if (dialect === "postgres") it("refuses a value its column cannot hold, naming the column, and writes nothing", async function () {
    await sql`create table bulk_bad (id bigint primary key, n integer)`.execute(db);
    try {
      const bad = Array.from({ length: 20 }, (_, i) => ({ id: i, n: i === 13 ? 1.5 : i }));
      let failure: unknown;
      try {
        await write((trx) => bulkWriter(db)!.insert(trx, "bulk_bad", bad));
      } catch (err) {
        failure = err;
      }
      expect(failure, "a fraction in an integer column fails").to.be.instanceOf(Error);
      expect(String(failure)).to.contain("n is an integer column");
      expect((await sql<{ c: number }>`select count(*) as c from bulk_bad`.execute(db)).rows[0].c).to.satisfy((c: unknown) => Number(c) === 0);
    } finally {
      await sql`drop table bulk_bad`.execute(db);
    }
  });

  it("leaves nothing behind when the transaction fails after a bulk insert", async function () {
    let failure: unknown;
    try {
      await write(async (trx) => {
        await insert(trx, rows(100));
        await insert(trx, rows(20)); // duplicate keys
      });
    } catch (err) {
      failure = err;
    }
    expect(failure, "the duplicate keys fail the transaction").to.be.instanceOf(Error);
    expect(await readAll()).to.deep.equal([]);
  });
});
