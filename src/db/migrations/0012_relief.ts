import type { Kysely } from "kysely";

/**
 * Relief (issue 18): payment holidays and settlements. The loans projection gains the holiday it
 * is under (its period and whether a poke has closed it) and when it was settled; four event
 * tables hold the relief events' fields (a rollback deletes their rows above the fork).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("loans").addColumn("holiday_from", "bigint").execute();
  await db.schema.alterTable("loans").addColumn("holiday_to", "bigint").execute();
  await db.schema.alterTable("loans").addColumn("holiday_flagged", "integer", (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable("loans").addColumn("settled_at", "bigint").execute();

  const eventTable = (name: string) =>
    db.schema
      .createTable(name)
      .addColumn("block_number", "bigint", (c) => c.notNull())
      .addColumn("log_index", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint(`${name}_pk`, ["block_number", "log_index"]);

  await eventTable("relief_policies")
    .addColumn("lender", "text", (c) => c.notNull())
    .addColumn("holiday_max_dpd", "integer", (c) => c.notNull())
    .execute();
  await eventTable("holidays")
    .addColumn("loan_id", "bigint", (c) => c.notNull())
    .addColumn("tx_hash", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("from_time", "bigint", (c) => c.notNull())
    .addColumn("to_time", "bigint", (c) => c.notNull())
    .addColumn("installments", "integer", (c) => c.notNull())
    .addColumn("interest", "integer", (c) => c.notNull())
    .addColumn("placement", "integer", (c) => c.notNull())
    .addColumn("deferred_principal", "text", (c) => c.notNull())
    .addColumn("deferred_interest", "text", (c) => c.notNull())
    .addColumn("waived_interest", "text", (c) => c.notNull())
    .addColumn("forgiven_penalty", "text", (c) => c.notNull())
    .execute();
  await eventTable("settlement_offers")
    .addColumn("loan_id", "bigint", (c) => c.notNull())
    .addColumn("tx_hash", "text", (c) => c.notNull())
    .addColumn("amount", "text", (c) => c.notNull())
    .addColumn("deadline", "bigint", (c) => c.notNull())
    .addColumn("principal_owed", "text", (c) => c.notNull())
    .addColumn("interest_owed", "text", (c) => c.notNull())
    .addColumn("penalty_owed", "text", (c) => c.notNull())
    .addColumn("block_timestamp", "bigint", (c) => c.notNull())
    .execute();
  await eventTable("settlements")
    .addColumn("loan_id", "bigint", (c) => c.notNull())
    .addColumn("tx_hash", "text", (c) => c.notNull())
    .addColumn("payer", "text", (c) => c.notNull())
    .addColumn("amount", "text", (c) => c.notNull())
    .addColumn("penalty_paid", "text", (c) => c.notNull())
    .addColumn("interest_paid", "text", (c) => c.notNull())
    .addColumn("principal_paid", "text", (c) => c.notNull())
    .addColumn("penalty_forgiven", "text", (c) => c.notNull())
    .addColumn("interest_forgiven", "text", (c) => c.notNull())
    .addColumn("principal_forgiven", "text", (c) => c.notNull())
    .addColumn("paid_at", "bigint", (c) => c.notNull())
    .addColumn("bank_ref", "text", (c) => c.notNull())
    .addColumn("off_chain", "integer", (c) => c.notNull())
    .execute();
  for (const t of ["holidays", "settlement_offers", "settlements"]) {
    await db.schema.createIndex(`${t}_loan_idx`).on(t).columns(["loan_id", "block_number", "log_index"]).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ["settlements", "settlement_offers", "holidays", "relief_policies"]) await db.schema.dropTable(t).ifExists().execute();
  for (const c of ["settled_at", "holiday_flagged", "holiday_to", "holiday_from"]) await db.schema.alterTable("loans").dropColumn(c).execute();
}
