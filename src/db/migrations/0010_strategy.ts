import type { Kysely } from "kysely";

/**
 * The collection strategy (issue 16): the lenders' strategies (one row per version, like notice
 * plans), the model files they name, each open loan's current score with its segment and arm, and
 * every score a loan has had (its history). Scores are derived, never on chain: a loan is scored
 * again when its row changes (its updated_block) and once a chain day.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("strategies")
    .addColumn("lender", "text", (c) => c.notNull())
    .addColumn("version", "bigint", (c) => c.notNull())
    .addColumn("strategy", "text", (c) => c.notNull())
    .addColumn("strategy_hash", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("strategies_pk", ["lender", "version"])
    .execute();
  await db.schema
    .createTable("strategy_models")
    .addColumn("version", "text", (c) => c.primaryKey())
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("trained_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("loan_scores")
    .addColumn("loan_id", "bigint", (c) => c.primaryKey())
    .addColumn("lender", "text", (c) => c.notNull())
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("probability_ppm", "bigint", (c) => c.notNull())
    .addColumn("points", "bigint", (c) => c.notNull())
    .addColumn("reasons", "text", (c) => c.notNull())
    .addColumn("segment", "text", (c) => c.notNull())
    .addColumn("arm", "text", (c) => c.notNull())
    .addColumn("strategy_version", "bigint", (c) => c.notNull())
    .addColumn("expected_recovery", "text", (c) => c.notNull())
    .addColumn("scored_at", "bigint", (c) => c.notNull())
    .addColumn("loan_updated_block", "bigint", (c) => c.notNull())
    .execute();
  // The queue's strategy order: expected recovery, highest first, then the loan id.
  await db.schema.createIndex("loan_scores_order_idx").on("loan_scores").columns(["expected_recovery desc", "loan_id"]).execute();
  await db.schema
    .createTable("loan_score_history")
    .addColumn("loan_id", "bigint", (c) => c.notNull())
    .addColumn("scored_at", "bigint", (c) => c.notNull())
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("probability_ppm", "bigint", (c) => c.notNull())
    .addColumn("points", "bigint", (c) => c.notNull())
    .addColumn("segment", "text", (c) => c.notNull())
    .addColumn("arm", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("loan_score_history_pk", ["loan_id", "scored_at"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ["loan_score_history", "loan_scores", "strategy_models", "strategies"]) await db.schema.dropTable(t).ifExists().execute();
}
