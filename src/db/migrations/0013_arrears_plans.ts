import type { Kysely } from "kysely";

/**
 * Arrears plans (issue 18). The loans projection gains the loan's last plan (when it was created, its
 * parts as JSON, the next part to judge, what was repaid since, the first regular installment and
 * whether it is still in force), so the domain state is rebuilt from the row alone; two event tables
 * hold ArrearsPlanCreated and the parts judged (ArrearsPartKept, ArrearsPlanBroken, ArrearsPlanCompleted).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("loans").addColumn("plan_created_at", "bigint").execute();
  await db.schema.alterTable("loans").addColumn("plan_parts", "text").execute();
  await db.schema.alterTable("loans").addColumn("plan_next", "integer", (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable("loans").addColumn("plan_first_regular", "integer", (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable("loans").addColumn("plan_paid", "text", (c) => c.notNull().defaultTo("0")).execute();
  await db.schema.alterTable("loans").addColumn("plan_in_force", "integer", (c) => c.notNull().defaultTo(0)).execute();

  const eventTable = (name: string) =>
    db.schema
      .createTable(name)
      .addColumn("block_number", "bigint", (c) => c.notNull())
      .addColumn("log_index", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint(`${name}_pk`, ["block_number", "log_index"]);

  await eventTable("arrears_plans")
    .addColumn("loan_id", "bigint", (c) => c.notNull())
    .addColumn("tx_hash", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("arrears", "text", (c) => c.notNull())
    .addColumn("amount_overdue", "text", (c) => c.notNull())
    .addColumn("penalty_outstanding", "text", (c) => c.notNull())
    .addColumn("parts", "text", (c) => c.notNull())
    .execute();
  await eventTable("arrears_outcomes")
    .addColumn("loan_id", "bigint", (c) => c.notNull())
    .addColumn("tx_hash", "text", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("part", "integer")
    .addColumn("due_date", "bigint")
    .addColumn("required", "text")
    .addColumn("paid", "text", (c) => c.notNull())
    .addColumn("block_timestamp", "bigint", (c) => c.notNull())
    .execute();
  for (const t of ["arrears_plans", "arrears_outcomes"]) {
    await db.schema.createIndex(`${t}_loan_idx`).on(t).columns(["loan_id", "block_number", "log_index"]).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ["arrears_outcomes", "arrears_plans"]) await db.schema.dropTable(t).ifExists().execute();
  for (const c of ["plan_in_force", "plan_paid", "plan_first_regular", "plan_next", "plan_parts", "plan_created_at"]) {
    await db.schema.alterTable("loans").dropColumn(c).execute();
  }
}
