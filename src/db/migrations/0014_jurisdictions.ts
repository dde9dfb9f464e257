import type { Kysely } from "kysely";

/**
 * Jurisdictions (issue 18): each loan's ISO 3166 code from LoanRegistered ("CN", "US-CA"), and the
 * per-jurisdiction rate caps the admin set (JurisdictionCapSet; a rollback deletes rows above the fork).
 * Loans indexed before this migration keep "" until re-indexed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("loans").addColumn("jurisdiction", "text", (c) => c.notNull().defaultTo("")).execute();
  await db.schema.createIndex("loans_jurisdiction_idx").on("loans").columns(["jurisdiction", "loan_id"]).execute();
  await db.schema
    .createTable("jurisdiction_caps")
    .addColumn("block_number", "bigint", (c) => c.notNull())
    .addColumn("log_index", "integer", (c) => c.notNull())
    .addColumn("jurisdiction", "text", (c) => c.notNull())
    .addColumn("previous_bps", "integer", (c) => c.notNull())
    .addColumn("max_annual_rate_bps", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("jurisdiction_caps_pk", ["block_number", "log_index"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("jurisdiction_caps").ifExists().execute();
  await db.schema.dropIndex("loans_jurisdiction_idx").ifExists().execute();
  await db.schema.alterTable("loans").dropColumn("jurisdiction").execute();
}
