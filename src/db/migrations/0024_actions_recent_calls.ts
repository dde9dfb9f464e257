import type { Kysely } from "kysely";

/**
 * The calls of a set of loans since a time (src/db/compliance.ts recentCallsQuery: each queue page,
 * the loan detail and the notifier's contact rules) by (loan_id, channel, occurred_at, kind): the
 * read seeks to each loan's recent calls and reads nothing else, from the index alone. Before, it
 * read every action of each loan through (loan_id, seq) and grew with the book's age: measured on
 * 20 loans (SQLite) with 1, 10, 40 and 100 actions a loan over 180 days, 22/302/1,383/3,906 µs
 * before and 10/15/24/32 µs after. Deferred during a long backfill (src/db/deferred-indexes.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex("actions_recent_calls_idx").on("actions").columns(["loan_id", "channel", "occurred_at", "kind"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("actions_recent_calls_idx").execute();
}
