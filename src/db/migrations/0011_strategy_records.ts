import type { Kysely } from "kysely";

/**
 * LoanLedger's CollectionStrategySet events (issue 16): the hash of the collection strategy a
 * lender put in force, with its policy then. An event table like the others: a rollback deletes
 * its rows above the fork.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("strategy_records")
    .addColumn("block_number", "bigint", (c) => c.notNull())
    .addColumn("log_index", "integer", (c) => c.notNull())
    .addColumn("lender", "text", (c) => c.notNull())
    .addColumn("policy_id", "bigint", (c) => c.notNull())
    .addColumn("strategy_hash", "text", (c) => c.notNull())
    .addColumn("block_timestamp", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("strategy_records_pk", ["block_number", "log_index"])
    .execute();
  await db.schema.createIndex("strategy_records_lender_idx").on("strategy_records").columns(["lender", "block_number", "log_index"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("strategy_records").ifExists().execute();
}
