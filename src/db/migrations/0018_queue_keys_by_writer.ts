import { PostgresAdapter, sql, type Kysely } from "kysely";

/**
 * The assignments' copies of their loans' queue keys (migration 0016) are kept by the indexer's
 * store (src/indexer/store.ts syncQueueKeys), the only writer of `loans`, with one set-based update
 * a write, instead of triggers on `loans` (issue 19): on SQLite a row trigger on `loans`, even an
 * empty one, doubled the cost of each of the overdue refresh's updates, and the backfill paid it
 * on every registration and refresh. Drops those triggers where migration 0016 made them.
 */
const LOANS_TRIGGERS = ["current_collectors_keys_on_loan_insert", "current_collectors_keys_on_loan_update"];

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const name of LOANS_TRIGGERS) await sql.raw(postgres ? `drop trigger if exists ${name} on loans` : `drop trigger if exists ${name}`).execute(db);
  if (postgres) await sql`drop function if exists current_collectors_keys_on_loans()`.execute(db);
}

/** Puts back migration 0016's triggers on `loans`. */
export async function down(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (postgres) {
    await sql`create or replace function current_collectors_keys_on_loans() returns trigger language plpgsql as $$
      begin
        update current_collectors c set queue_open = case when n.status in (0, 1) then 1 else 0 end, due_key = n.due_key, amount_overdue = n.amount_overdue
        from changed_loans n
        where c.loan_id = n.loan_id
          and (c.queue_open <> case when n.status in (0, 1) then 1 else 0 end or c.due_key <> n.due_key or c.amount_overdue <> n.amount_overdue);
        return null;
      end $$`.execute(db);
    await sql`create trigger current_collectors_keys_on_loan_insert after insert on loans
      referencing new table as changed_loans for each statement execute function current_collectors_keys_on_loans()`.execute(db);
    await sql`create trigger current_collectors_keys_on_loan_update after update on loans
      referencing new table as changed_loans for each statement execute function current_collectors_keys_on_loans()`.execute(db);
    return;
  }
  await sql`create trigger current_collectors_keys_on_loan_insert after insert on loans
    begin
      update current_collectors set queue_open = new.status in (0, 1), due_key = new.due_key, amount_overdue = new.amount_overdue
      where loan_id = new.loan_id;
    end`.execute(db);
  await sql`create trigger current_collectors_keys_on_loan_update after update of status, due_key, amount_overdue on loans
    when old.status is not new.status or old.due_key is not new.due_key or old.amount_overdue is not new.amount_overdue
    begin
      update current_collectors set queue_open = new.status in (0, 1), due_key = new.due_key, amount_overdue = new.amount_overdue
      where loan_id = new.loan_id;
    end`.execute(db);
}
