import { PostgresAdapter, sql, type Kysely } from "kysely";
import { MigrationStepError } from "../errors";

/**
 * SQLite: `loans.loan_id` becomes the table's rowid (`integer primary key`). Declared `bigint
 * primary key` (0001), it was an ordinary column with an index of its own beside the rowid, so
 * every loan read by id walked two B-trees: the index, then the table. The queue page, the lists
 * joined through `current_collectors`, the loan detail and the indexer's updates all read loans
 * by id. Measured on the realistic 100k-loan book, one loan by id 18.4 -> 15.7 µs, a queue page's
 * 21 loans 298 -> 267 µs and an M1 list's 260 -> 232 µs.
 *
 * SQLite cannot change a table's key in place: the table is copied (1.9 s for the realistic
 * 100k-loan book; the old table's pages are left free in the file for later writes to reuse) with
 * its indexes made again from their own definitions (an index deferred by a backfill,
 * src/db/deferred-indexes.ts, is made again later as before). The values and their storage class
 * are the same (`bigint` and `integer` both have integer affinity). PostgreSQL keeps its heap and
 * primary key index: nothing changes there.
 */
const BIGINT_KEY = '"loan_id" bigint primary key';
const INTEGER_KEY = '"loan_id" integer primary key';

export async function up(db: Kysely<any>): Promise<void> {
  await rekey(db, BIGINT_KEY, INTEGER_KEY);
}

export async function down(db: Kysely<any>): Promise<void> {
  await rekey(db, INTEGER_KEY, BIGINT_KEY);
}

/** Copies `loans` into a table whose definition has `to` where it had `from`, keeping its indexes. */
async function rekey(db: Kysely<any>, from: string, to: string): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return;
  const master = (type: string) =>
    sql<{ sql: string }>`select sql from sqlite_master where type = ${type} and tbl_name = 'loans' and sql is not null order by name`.execute(db);
  const [table] = (await master("table")).rows;
  if (!table) throw new MigrationStepError("0022_loans_rowid", "no loans table");
  if (table.sql.includes(to)) return;
  if (table.sql.split(from).length !== 2) throw new MigrationStepError("0022_loans_rowid", `the loans table's definition does not declare ${from} once`);
  const indexes = (await master("index")).rows.map((r) => r.sql);
  await sql.raw(table.sql.replace('CREATE TABLE "loans"', 'CREATE TABLE "loans_rekeyed"').replace(from, to)).execute(db);
  await sql`insert into loans_rekeyed select * from loans order by loan_id`.execute(db);
  await sql`drop table loans`.execute(db);
  // current_collectors_keys_on_assign (0016) reads `loans`: the legacy rename does not check other
  // tables' triggers against the schema, in which `loans` is missing until the rename is done.
  await sql`pragma legacy_alter_table = on`.execute(db);
  try {
    await sql`alter table loans_rekeyed rename to loans`.execute(db);
  } finally {
    await sql`pragma legacy_alter_table = off`.execute(db);
  }
  for (const index of indexes) await sql.raw(index).execute(db);
}
