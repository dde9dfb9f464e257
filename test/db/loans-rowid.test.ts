/**
 * Migration 0022 (SQLite): `loans.loan_id` is the table's rowid, so a loan read by id walks one
 * B-tree instead of an index and then the table; the copy keeps every row, every index and the
 * trigger of `current_collectors` that reads `loans`, and goes back with `down`.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import { openDatabase, type DatabaseHandle } from "../../src/db/connect";
import { MigrationStepError } from "../../src/db/errors";
import * as m0022 from "../../src/db/migrations/0022_loans_rowid";
import type { Database } from "../../src/db/schema";
import { loanRow as loan } from "../support/loan-row";

const master = async (db: Kysely<Database>) =>
  (await sql<{ type: string; name: string; sql: string | null }>`select type, name, sql from sqlite_master where tbl_name = 'loans' order by type, name`.execute(db)).rows;
const plan = async (db: Kysely<Database>) =>
  (await sql<{ detail: string }>`explain query plan select * from loans where loan_id = 5`.execute(db)).rows.map((r) => r.detail).join("; ");
const rows = async (db: Kysely<Database>) => (await sql`select * from loans order by loan_id`.execute(db)).rows;

describe("migration 0022: loans keyed by their rowid (SQLite)", function () {
  let dir: string;
  let handle: DatabaseHandle;
  let db: Kysely<Database>;

  beforeEach(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "loans-rowid-"));
    handle = await openDatabase(path.join(dir, "index.db"));
    db = handle.db;
  });

  afterEach(async function () {
    await handle?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads a loan by id through the table's own key, with no second index", async function () {
    const objects = await master(db);
    expect(objects.map((o) => o.name)).to.not.include("sqlite_autoindex_loans_1");
    expect(objects.find((o) => o.type === "table")!.sql).to.include('"loan_id" integer primary key');
    expect(await plan(db)).to.match(/USING INTEGER PRIMARY KEY \(rowid=\?\)/);
  });

  it("keeps every row, index and the current_collectors trigger through down and up", async function () {
    await m0022.down(db);
    expect(await plan(db)).to.include("sqlite_autoindex_loans_1");
    const before = await master(db);
    await db.insertInto("loans").values([loan(3), loan(5), loan(4)]).execute();
    const stored = await rows(db);

    await m0022.up(db);
    expect(await rows(db)).to.deep.equal(stored);
    expect((await sql<{ n: number }>`select count(*) as n from loans where rowid = loan_id`.execute(db)).rows[0]!.n).to.equal(3);
    // The same indexes, made from their own definitions; only the key's own index is gone.
    const after = await master(db);
    const indexes = (objects: typeof before) => objects.filter((o) => o.type === "index" && !o.name.startsWith("sqlite_autoindex")).map((o) => [o.name, o.sql]);
    expect(indexes(after)).to.deep.equal(indexes(before)).and.to.have.length.greaterThan(5);
    // The trigger reading loans works on the copy: a new assignment takes the loan's queue keys.
    await sql`insert into current_collectors (loan_id, collector) values (4, '0x00000000000000000000000000000000000000d4')`.execute(db);
    const cc = (await sql<{ queue_open: number; due_key: number; amount_overdue: string }>`select queue_open, due_key, amount_overdue from current_collectors where loan_id = 4`.execute(db)).rows;
    expect(cc).to.deep.equal([{ queue_open: 1, due_key: 2_004, amount_overdue: String(4).padStart(40, "0") }]);

    // And back: the rows again, under the old key.
    await m0022.down(db);
    expect(await rows(db)).to.deep.equal(stored);
    expect(await plan(db)).to.include("sqlite_autoindex_loans_1");
  });

  it("leaves a deferred index deferred, and does nothing on a table already keyed by its rowid", async function () {
    await m0022.down(db);
    await sql`drop index loans_overdue_since_idx`.execute(db);
    await m0022.up(db);
    const names = (await master(db)).map((o) => o.name);
    expect(names).to.not.include("loans_overdue_since_idx");
    expect(names).to.include("loans_overdue_refresh_at_idx");
    const keyed = await master(db);
    await db.insertInto("loans").values(loan(9)).execute();
    await m0022.up(db);
    expect(await master(db)).to.deep.equal(keyed);
    expect(await rows(db)).to.have.length(1);
  });

  it("refuses a loans table whose key it does not know, naming the migration", async function () {
    await sql`create table loans_other (loan_id text primary key)`.execute(db);
    await sql`drop table loans`.execute(db);
    await sql`alter table loans_other rename to loans`.execute(db).catch(async () => {
      await sql`pragma legacy_alter_table = on`.execute(db);
      await sql`alter table loans_other rename to loans`.execute(db);
    });
    const err = await m0022.up(db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(MigrationStepError);
    expect((err as Error).message).to.equal('migration 0022_loans_rowid: the loans table\'s definition does not declare "loan_id" bigint primary key once');
  });
});
