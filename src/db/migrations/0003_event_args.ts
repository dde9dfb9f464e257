import type { Kysely } from "kysely";

/**
 * `loan_events` stops repeating each event's decoded arguments (`args`, JSON text): the timeline
 * and the stream decode them from the log itself (`raw_logs.topics` and `.data`, joined on the
 * event key) with the compiled ABIs when they serve it. Nothing is lost — raw_logs holds every
 * indexed log whole — and the indexer writes about a fifth fewer bytes per event.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("loan_events").dropColumn("args").execute();
}

/** Restores the column, empty: re-index to fill it (an older build reads it). */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("loan_events").addColumn("args", "text", (c) => c.notNull().defaultTo("{}")).execute();
}
