import type { Kysely } from "kysely";

/**
 * Collection agencies (issue 18): CollectionLog's placements (PlacementCreated, one row per loan in
 * `placement_loans`), their recalls, and the agencies' own collector assignments. Event tables: a
 * rollback deletes rows above the fork; who may work a loan now is derived from them at chain time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("placements")
    .addColumn("block_number", "bigint", (c) => c.notNull())
    .addColumn("log_index", "integer", (c) => c.notNull())
    .addColumn("tx_hash", "text", (c) => c.notNull())
    .addColumn("placement_id", "integer", (c) => c.notNull().unique())
    .addColumn("lender", "text", (c) => c.notNull())
    .addColumn("agency", "text", (c) => c.notNull())
    .addColumn("commission_bps", "integer", (c) => c.notNull())
    .addColumn("start_at", "bigint", (c) => c.notNull())
    .addColumn("end_at", "bigint", (c) => c.notNull())
    .addColumn("loan_count", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("placements_pk", ["block_number", "log_index"])
    .execute();
  await db.schema.createIndex("placements_agency_idx").on("placements").columns(["agency", "placement_id"]).execute();
  await db.schema.createIndex("placements_lender_idx").on("placements").columns(["lender", "placement_id"]).execute();
  await db.schema
    .createTable("placement_loans")
    .addColumn("block_number", "bigint", (c) => c.notNull())
    .addColumn("log_index", "integer", (c) => c.notNull())
    .addColumn("placement_id", "integer", (c) => c.notNull())
    .addColumn("loan_id", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("placement_loans_pk", ["placement_id", "loan_id"])
    .execute();
  await db.schema.createIndex("placement_loans_loan_idx").on("placement_loans").columns(["loan_id", "placement_id"]).execute();
  await db.schema.createIndex("placement_loans_block_idx").on("placement_loans").column("block_number").execute();
  await db.schema
    .createTable("placement_recalls")
    .addColumn("block_number", "bigint", (c) => c.notNull())
    .addColumn("log_index", "integer", (c) => c.notNull())
    .addColumn("placement_id", "integer", (c) => c.notNull().unique())
    .addColumn("recalled_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("placement_recalls_pk", ["block_number", "log_index"])
    .execute();
  await db.schema
    .createTable("agency_assignments")
    .addColumn("block_number", "bigint", (c) => c.notNull())
    .addColumn("log_index", "integer", (c) => c.notNull())
    .addColumn("placement_id", "integer", (c) => c.notNull())
    .addColumn("loan_id", "integer", (c) => c.notNull())
    .addColumn("collector", "text", (c) => c.notNull())
    .addColumn("assigned", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("agency_assignments_pk", ["block_number", "log_index"])
    .execute();
  await db.schema.createIndex("agency_assignments_collector_idx").on("agency_assignments").columns(["collector", "placement_id"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ["agency_assignments", "placement_recalls", "placement_loans", "placements"]) await db.schema.dropTable(t).ifExists().execute();
}
