import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely } from "kysely";

/** Columns every event table has: where the event is in the chain. */
const EVENT_KEY = [
  ["block_number", "bigint"],
  ["log_index", "integer"],
] as const;

type ColumnSpec = readonly [name: string, type: "bigint" | "integer" | "text", nullable?: "null"];

const EVENT_TABLES: Record<string, { columns: readonly ColumnSpec[]; indexes?: readonly string[][] }> = {
  raw_logs: {
    columns: [
      ["chain_id", "integer"],
      ["block_hash", "text"],
      ["tx_hash", "text"],
      ["address", "text"],
      ["topics", "text"],
      ["data", "text"],
    ],
  },
  loan_events: {
    columns: [
      ["loan_id", "bigint"],
      ["tx_hash", "text"],
      ["block_timestamp", "bigint"],
      ["contract", "text"],
      ["name", "text"],
      ["args", "text"],
    ],
    indexes: [["loan_id", "block_number", "log_index"]],
  },
  policies: {
    columns: [
      ["policy_id", "bigint"],
      ["lender", "text"],
      ["grace_days", "integer"],
      ["penalty_rate_bps", "integer"],
      ["late_fee", "text"],
      ["substandard_after_days", "integer"],
      ["doubtful_after_days", "integer"],
      ["loss_after_days", "integer"],
      ["default_after_days", "integer"],
      ["reminder_offsets", "text"],
    ],
    indexes: [["policy_id"]],
  },
  servicers: { columns: [["lender", "text"], ["servicer", "text"], ["allowed", "integer"]], indexes: [["lender", "servicer"]] },
  max_rates: { columns: [["max_annual_rate_bps", "integer"]] },
  schedule_versions: {
    columns: [
      ["loan_id", "bigint"],
      ["version", "integer"],
      ["principal", "text"],
      ["started_at", "bigint"],
      ["schedule_hash", "text", "null"],
      ["replaced_interest", "text"],
      ["forgiven_penalty", "text"],
      ["tx_hash", "text"],
    ],
    indexes: [["loan_id", "version"]],
  },
  repayments: {
    columns: [
      ["loan_id", "bigint"],
      ["tx_hash", "text"],
      ["payer", "text"],
      ["amount", "text"],
      ["penalty", "text"],
      ["interest", "text"],
      ["principal", "text"],
      ["cursor_after", "integer"],
      ["paid_at", "bigint"],
      ["bank_ref", "text"],
      ["off_chain", "integer"],
      ["recovery", "integer"],
    ],
    indexes: [["loan_id", "block_number"]],
  },
  penalty_assessments: {
    columns: [["loan_id", "bigint"], ["installment", "integer"], ["penalty_outstanding", "text"], ["dpd", "integer"]],
    indexes: [["loan_id"]],
  },
  reminders: {
    columns: [
      ["loan_id", "bigint"],
      ["installment", "integer"],
      ["stage", "integer"],
      ["offset_days", "integer"],
      ["due_date", "bigint"],
      ["dpd", "integer"],
      ["block_timestamp", "bigint"],
    ],
    indexes: [["loan_id"]],
  },
  classification_changes: {
    columns: [
      ["loan_id", "bigint"],
      ["from_classification", "integer"],
      ["to_classification", "integer"],
      ["dpd", "integer"],
      ["block_timestamp", "bigint"],
    ],
    indexes: [["loan_id"]],
  },
  defaults: { columns: [["loan_id", "bigint"], ["installment", "integer"], ["dpd", "integer"]], indexes: [["loan_id"]] },
  charge_offs: {
    columns: [
      ["loan_id", "bigint"],
      ["outstanding_principal", "text"],
      ["outstanding_interest", "text"],
      ["penalty_outstanding", "text"],
      ["dpd", "integer"],
    ],
    indexes: [["loan_id"]],
  },
  write_offs: {
    columns: [
      ["loan_id", "bigint"],
      ["outstanding_principal", "text"],
      ["outstanding_interest", "text"],
      ["penalty_outstanding", "text"],
      ["dpd", "integer"],
    ],
    indexes: [["loan_id"]],
  },
  restructure_proposals: { columns: [["loan_id", "bigint"], ["version", "integer"], ["schedule_hash", "text"]], indexes: [["loan_id"]] },
  assignments: {
    columns: [["loan_id", "bigint"], ["collector", "text"], ["lender", "text"], ["assigned", "integer"]],
    indexes: [["loan_id"], ["collector"]],
  },
  actions: {
    columns: [
      ["loan_id", "bigint"],
      ["seq", "bigint"],
      ["collector", "text"],
      ["channel", "integer"],
      ["kind", "integer"],
      ["outcome", "integer"],
      ["occurred_at", "bigint"],
      ["evidence_hash", "text"],
      ["flags", "integer"],
      ["head", "text"],
      ["tx_hash", "text"],
      ["block_timestamp", "bigint"],
    ],
    indexes: [["loan_id", "seq"], ["collector", "occurred_at"]],
  },
  promises: {
    columns: [
      ["loan_id", "bigint"],
      ["seq", "bigint"],
      ["amount", "text"],
      ["due_by", "bigint"],
      ["artifact_hash", "text"],
      ["made_at", "bigint"],
    ],
    indexes: [["loan_id"]],
  },
  batch_anchors: {
    columns: [
      ["batch_id", "bigint"],
      ["merkle_root", "text"],
      ["count", "bigint"],
      ["uri", "text"],
      ["submitter", "text"],
      ["tx_hash", "text"],
    ],
    indexes: [["batch_id"]],
  },
  restrictions: { columns: [["loan_id", "bigint"], ["channel", "integer"], ["restricted", "integer"]], indexes: [["loan_id"]] },
  disputes: {
    columns: [["loan_id", "bigint"], ["event", "text"], ["account", "text", "null"], ["evidence_hash", "text"]],
    indexes: [["loan_id"]],
  },
  role_changes: {
    columns: [["contract", "text"], ["role", "text"], ["account", "text"], ["granted", "integer"]],
    indexes: [["account"]],
  },
  pauses: { columns: [["paused", "integer"]] },
  contact_policies: {
    columns: [
      ["lender", "text"],
      ["max_connected_calls_per_day", "integer"],
      ["max_call_attempts_per_7_days", "integer"],
      ["contact_start_hour", "integer"],
      ["contact_end_hour", "integer"],
      ["legal_stage_dpd", "integer"],
      ["action_window_days", "integer"],
    ],
    indexes: [["lender"]],
  },
};

/** The first schema: event tables keyed by (block_number, log_index), projections, cursor. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("cursor")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("chain_id", "integer", (c) => c.notNull())
    .addColumn("block_number", "bigint", (c) => c.notNull())
    .addColumn("block_hash", "text", (c) => c.notNull())
    .addColumn("block_timestamp", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("blocks")
    .addColumn("number", "bigint", (c) => c.primaryKey())
    .addColumn("hash", "text", (c) => c.notNull())
    .addColumn("parent_hash", "text", (c) => c.notNull())
    .addColumn("timestamp", "bigint", (c) => c.notNull())
    .execute();

  for (const [name, spec] of Object.entries(EVENT_TABLES)) {
    let t: CreateTableBuilder<string, string> = db.schema.createTable(name);
    for (const [col, type] of EVENT_KEY) t = t.addColumn(col, type, (c: ColumnDefinitionBuilder) => c.notNull());
    for (const [col, type, nullable] of spec.columns) t = t.addColumn(col, type, (c: ColumnDefinitionBuilder) => (nullable ? c : c.notNull()));
    t = t.addPrimaryKeyConstraint(`${name}_pk`, ["block_number", "log_index"]);
    await t.execute();
    for (const cols of spec.indexes ?? []) {
      await db.schema.createIndex(`${name}_${cols.join("_")}_idx`).on(name).columns(cols).execute();
    }
  }

  const amount = "text";
  await db.schema
    .createTable("loans")
    .addColumn("loan_id", "bigint", (c) => c.primaryKey())
    .addColumn("lender", "text", (c) => c.notNull())
    .addColumn("borrower", "text", (c) => c.notNull())
    .addColumn("borrower_ref", "text", (c) => c.notNull())
    .addColumn("token", "text", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("principal", amount, (c) => c.notNull())
    .addColumn("contract_rate_bps", "integer", (c) => c.notNull())
    .addColumn("utc_offset_minutes", "integer", (c) => c.notNull())
    .addColumn("policy_id", "bigint", (c) => c.notNull())
    .addColumn("grace_days", "integer", (c) => c.notNull())
    .addColumn("penalty_rate_bps", "integer", (c) => c.notNull())
    .addColumn("cap_room_bps", "integer", (c) => c.notNull())
    .addColumn("late_fee", amount, (c) => c.notNull())
    .addColumn("registered_at", "bigint", (c) => c.notNull())
    .addColumn("block_number", "bigint", (c) => c.notNull())
    .addColumn("log_index", "integer", (c) => c.notNull())
    .addColumn("tx_hash", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("status", "integer", (c) => c.notNull())
    .addColumn("cursor", "integer", (c) => c.notNull())
    .addColumn("installment_count", "integer", (c) => c.notNull())
    .addColumn("paid", amount, (c) => c.notNull())
    .addColumn("penalty_paid", amount, (c) => c.notNull())
    .addColumn("base", amount, (c) => c.notNull())
    .addColumn("base_days", "integer", (c) => c.notNull())
    .addColumn("last_paid_at", "bigint", (c) => c.notNull())
    .addColumn("classification", "integer", (c) => c.notNull())
    .addColumn("reminder_stage", "integer", (c) => c.notNull())
    .addColumn("penalty_assessed", amount, (c) => c.notNull())
    .addColumn("defaulted", "integer", (c) => c.notNull())
    .addColumn("observation", "integer", (c) => c.notNull())
    .addColumn("on_time_streak", "integer", (c) => c.notNull())
    .addColumn("restructured_at", "bigint", (c) => c.notNull())
    .addColumn("cursor_due", "bigint")
    .addColumn("due_key", "bigint", (c) => c.notNull())
    .addColumn("amount_overdue", "text", (c) => c.notNull())
    .addColumn("overdue_refresh_at", "bigint")
    .addColumn("overdue_since", "bigint")
    .addColumn("charged_off_at", "bigint")
    .addColumn("written_off_at", "bigint")
    .addColumn("closed_at", "bigint")
    .addColumn("trail_head", "text")
    .addColumn("trail_count", "bigint", (c) => c.notNull())
    .addColumn("restricted_channels", "integer", (c) => c.notNull())
    .addColumn("dispute_open", "integer", (c) => c.notNull())
    .addColumn("updated_block", "bigint", (c) => c.notNull())
    .execute();
  for (const cols of [
    ["lender", "due_key", "loan_id"],
    ["due_key", "loan_id"],
    ["amount_overdue", "loan_id"],
    ["borrower"],
    ["overdue_refresh_at"],
    ["overdue_since"],
  ]) {
    await db.schema.createIndex(`loans_${cols.join("_")}_idx`).on("loans").columns(cols).execute();
  }
  await db.schema
    .createTable("installments")
    .addColumn("loan_id", "bigint", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("idx", "integer", (c) => c.notNull())
    .addColumn("due_date", "bigint", (c) => c.notNull())
    .addColumn("principal", amount, (c) => c.notNull())
    .addColumn("interest", amount, (c) => c.notNull())
    .addColumn("block_number", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("installments_pk", ["loan_id", "version", "idx"])
    .execute();
  await db.schema.createIndex("installments_block_idx").on("installments").column("block_number").execute();
  await db.schema
    .createTable("current_collectors")
    .addColumn("loan_id", "bigint", (c) => c.notNull())
    .addColumn("collector", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("current_collectors_pk", ["loan_id", "collector"])
    .execute();
  await db.schema.createIndex("current_collectors_collector_idx").on("current_collectors").columns(["collector", "loan_id"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ["current_collectors", "installments", "loans", ...Object.keys(EVENT_TABLES), "blocks", "cursor"]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
