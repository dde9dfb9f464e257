import type { Kysely } from "kysely";

/**
 * Jurisdictions (issue 18): each loan's ISO 3166 code from LoanRegistered ("CN", "US-CA"), the
 * per-jurisdiction rate caps (LoanLedger's JurisdictionCapSet) and contact rules (CollectionLog's
 * JurisdictionRulesSet) the admin set; a rollback deletes rows above the fork.
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
  await db.schema
    .createTable("jurisdiction_rules")
    .addColumn("block_number", "bigint", (c) => c.notNull())
    .addColumn("log_index", "integer", (c) => c.notNull())
    .addColumn("jurisdiction", "text", (c) => c.notNull())
    .addColumn("is_set", "integer", (c) => c.notNull())
    .addColumn("contact_start_hour", "integer", (c) => c.notNull())
    .addColumn("contact_end_hour", "integer", (c) => c.notNull())
    .addColumn("max_connected_calls_per_day", "integer", (c) => c.notNull())
    .addColumn("max_call_attempts_per_7_days", "integer", (c) => c.notNull())
    .addColumn("cool_down_days", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("jurisdiction_rules_pk", ["block_number", "log_index"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("jurisdiction_rules").ifExists().execute();
  await db.schema.dropTable("jurisdiction_caps").ifExists().execute();
  await db.schema.dropIndex("loans_jurisdiction_idx").ifExists().execute();
  await db.schema.alterTable("loans").dropColumn("jurisdiction").execute();
}
