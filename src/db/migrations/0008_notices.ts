import type { Kysely } from "kysely";

/**
 * Notices (issue 15): the outbox the dispatcher sends from, the lenders' notice plans, and the
 * planner's cursor over the indexed events. Not event tables: a rollback never deletes them; the
 * planner cancels (or, once sent, marks orphaned) a notice whose trigger a reorg removed.
 *
 * `notices`: one row per (trigger, channel). `id` is derived from the two (src/notify/ids.ts), so
 * a second planner pass over the same event, or a second dispatcher, cannot create it twice, and
 * the provider sees the same id (its idempotency key) on every retry. No personal data: the row
 * names the borrower by the loan's borrower_ref; contact points are read from borrower_contacts at
 * sending time and never stored here. Times: chain seconds (`*_at`), except the lease and the
 * lag measurement (`*_ms`, the dispatcher's clock: they measure the dispatcher, not the loan).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("notices")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("trigger_id", "text", (c) => c.notNull())
    .addColumn("trigger", "text", (c) => c.notNull())
    .addColumn("channel", "text", (c) => c.notNull())
    .addColumn("loan_id", "bigint", (c) => c.notNull())
    .addColumn("lender", "text", (c) => c.notNull())
    .addColumn("borrower_ref", "text", (c) => c.notNull())
    .addColumn("trigger_block", "bigint")
    .addColumn("trigger_log_index", "bigint")
    .addColumn("trigger_tx", "text")
    .addColumn("trigger_at", "bigint", (c) => c.notNull())
    .addColumn("plan_version", "bigint")
    .addColumn("step", "bigint", (c) => c.notNull())
    .addColumn("fallback_of", "text")
    .addColumn("template", "text", (c) => c.notNull())
    .addColumn("template_version", "bigint")
    .addColumn("language", "text")
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("requested_by", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("due_at", "bigint", (c) => c.notNull())
    .addColumn("attempts", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("lease_owner", "text")
    .addColumn("lease_until_ms", "bigint")
    .addColumn("evidence_hash", "text")
    .addColumn("content_type", "text")
    .addColumn("provider_id", "text")
    .addColumn("sent_at", "bigint")
    .addColumn("delivered_at", "bigint")
    .addColumn("outcome", "bigint")
    .addColumn("fallback", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("early_receipt", "text")
    .addColumn("record_state", "text")
    .addColumn("record_tx", "text")
    .addColumn("action_seq", "bigint")
    .addColumn("created_ms", "bigint", (c) => c.notNull())
    .addColumn("sent_ms", "bigint")
    .execute();
  await db.schema.createIndex("notices_trigger_channel_idx").on("notices").columns(["trigger_id", "channel"]).unique().execute();
  // The dispatcher's claim: due rows by time.
  await db.schema.createIndex("notices_due_idx").on("notices").columns(["status", "due_at"]).execute();
  // GET /v1/notices: keyset order (trigger_at, id), alone, within a loan and within a lender.
  await db.schema.createIndex("notices_order_idx").on("notices").columns(["trigger_at", "id"]).execute();
  await db.schema.createIndex("notices_loan_idx").on("notices").columns(["loan_id", "trigger_at", "id"]).execute();
  await db.schema.createIndex("notices_lender_idx").on("notices").columns(["lender", "trigger_at", "id"]).execute();
  // Evidence retention: a rendered notice's bytes are cited by its row.
  await db.schema.createIndex("notices_evidence_idx").on("notices").column("evidence_hash").execute();
  await db.schema.createIndex("notices_record_idx").on("notices").columns(["record_state"]).execute();

  await db.schema
    .createTable("notice_plans")
    .addColumn("lender", "text", (c) => c.notNull())
    .addColumn("version", "bigint", (c) => c.notNull())
    .addColumn("plan", "text", (c) => c.notNull())
    .addColumn("plan_hash", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("notice_plans_pk", ["lender", "version"])
    .execute();

  // The notifier's signed transactions recording notices on chain, kept before they are sent so a
  // crash between signing and the receipt sends the same bytes again (one inclusion at most).
  await db.schema
    .createTable("notice_records")
    .addColumn("tx_hash", "text", (c) => c.primaryKey())
    .addColumn("raw_tx", "text", (c) => c.notNull())
    .addColumn("nonce", "bigint", (c) => c.notNull())
    .addColumn("count", "bigint", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("block_number", "bigint")
    .addColumn("created_ms", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("notify_cursor")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("block_number", "bigint", (c) => c.notNull())
    .addColumn("log_index", "bigint", (c) => c.notNull())
    .addColumn("block_hash", "text", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ["notify_cursor", "notice_records", "notice_plans", "notices"]) await db.schema.dropTable(t).ifExists().execute();
}
