import type { Kysely } from "kysely";

/**
 * API-side additions:
 * - `batch_leaves`: the leaves of anchored Merkle batches, uploaded with POST /v1/batches and
 *   accepted only when they rebuild the anchored root. Not an event table: a reorg that removes
 *   the anchor leaves them orphaned, and readers join them to `batch_anchors` on (batch_id,
 *   merkle_root), so an orphaned or replaced batch is never served. Each leaf keeps its proof.
 * - indexes for the work queue (priority order with amount overdue descending) and for evidence
 *   reads (which actions, promises and disputes cite an artifact).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("batch_leaves")
    .addColumn("batch_id", "bigint", (c) => c.notNull())
    .addColumn("merkle_root", "text", (c) => c.notNull())
    .addColumn("idx", "integer", (c) => c.notNull())
    .addColumn("loan_id", "bigint", (c) => c.notNull())
    .addColumn("seq", "text", (c) => c.notNull())
    .addColumn("collector", "text", (c) => c.notNull())
    .addColumn("channel", "integer", (c) => c.notNull())
    .addColumn("kind", "integer", (c) => c.notNull())
    .addColumn("outcome", "integer", (c) => c.notNull())
    .addColumn("occurred_at", "text", (c) => c.notNull())
    .addColumn("evidence_hash", "text", (c) => c.notNull())
    .addColumn("leaf_hash", "text", (c) => c.notNull())
    .addColumn("proof", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("batch_leaves_pk", ["batch_id", "merkle_root", "idx"])
    .execute();
  await db.schema.createIndex("batch_leaves_loan_id_idx").on("batch_leaves").columns(["loan_id", "batch_id"]).execute();
  await db.schema.createIndex("batch_leaves_evidence_hash_idx").on("batch_leaves").column("evidence_hash").execute();
  // GET /v1/queue: due_key asc, amount_overdue desc, loan_id asc, walked in index order.
  await db.schema.createIndex("loans_queue_idx").on("loans").columns(["due_key", "amount_overdue desc", "loan_id"]).execute();
  await db.schema.createIndex("actions_evidence_hash_idx").on("actions").column("evidence_hash").execute();
  await db.schema.createIndex("promises_artifact_hash_idx").on("promises").column("artifact_hash").execute();
  await db.schema.createIndex("disputes_evidence_hash_idx").on("disputes").column("evidence_hash").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const i of ["disputes_evidence_hash_idx", "promises_artifact_hash_idx", "actions_evidence_hash_idx", "loans_queue_idx"]) {
    await db.schema.dropIndex(i).ifExists().execute();
  }
  await db.schema.dropTable("batch_leaves").ifExists().execute();
}
