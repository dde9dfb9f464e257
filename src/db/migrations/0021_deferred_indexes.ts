import type { Kysely } from "kysely";

/**
 * Indexes a long backfill drops while it writes and makes again in one pass at the tip
 * (src/db/deferred-indexes.ts), each kept here with its definition until it is made again: a
 * process killed in between leaves the row, and the next run makes the index.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("deferred_indexes")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("definition", "text", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("deferred_indexes").execute();
}
