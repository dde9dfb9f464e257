import { PostgresAdapter, sql, type Kysely } from "kysely";

/**
 * Each assignment carries its loan's sort keys (issue 19), so a collector's queue and loan pages are
 * one walk of an index of its own assignments, stopping at the page size, whatever the number of
 * loans or of the collector's assignments:
 * - `queue_open`: the loan is worked (active or charged off: src/api/services/queue.ts OPEN_STATUSES);
 * - `expected_key`: its score's expected recovery (40 digits), zeros when it has none (NO_EXPECTED);
 * - `due_key` and `amount_overdue`: as on the loans row.
 * Triggers copy them from `loans` and `loan_scores` when an assignment is made and when a score
 * changes (the scorer, bulk COPY). Changes of `loans` are copied by the only code that writes that
 * table, the indexer's store (src/indexer/store.ts syncQueueKeys: its write path, the rollback and
 * the overdue refresh), in one statement a write: this migration first did that with triggers on
 * `loans` too, which migration 0018 drops (a row trigger doubled the cost of every loans update).
 * Before this, the queue either read all the collector's
 * assignments and sorted them, or walked every open loan in the book; the strategy order (expected
 * recovery first) could not use an index at all and at 1M loans took seconds a page.
 */
const NO_EXPECTED = "0".repeat(40);
const MAX_DUE_KEY = Number.MAX_SAFE_INTEGER;

const COLUMNS: [string, "integer" | "text" | "bigint", string | number][] = [
  ["queue_open", "integer", 0],
  ["expected_key", "text", NO_EXPECTED],
  ["due_key", "bigint", MAX_DUE_KEY],
  ["amount_overdue", "text", NO_EXPECTED],
];

/** Strategy order: expected recovery first; `queue_open` in the key so a page reads worked loans only. */
const QUEUE_INDEX = ["collector", "queue_open", "expected_key desc", "due_key", "amount_overdue desc", "loan_id"];
/** Due order (the queue's `order=due`, and a collector's loans by DPD or due date). */
const DUE_INDEX = ["collector", "due_key", "amount_overdue desc", "loan_id"];

const SQLITE_TRIGGERS = `
create trigger current_collectors_keys_on_assign after insert on current_collectors
begin
  update current_collectors set
    queue_open = coalesce((select l.status in (0, 1) from loans l where l.loan_id = new.loan_id), 0),
    due_key = coalesce((select l.due_key from loans l where l.loan_id = new.loan_id), ${MAX_DUE_KEY}),
    amount_overdue = coalesce((select l.amount_overdue from loans l where l.loan_id = new.loan_id), '${NO_EXPECTED}'),
    expected_key = coalesce((select s.expected_recovery from loan_scores s where s.loan_id = new.loan_id), '${NO_EXPECTED}')
  where loan_id = new.loan_id and collector = new.collector;
end;
create trigger current_collectors_keys_on_score_insert after insert on loan_scores
begin
  update current_collectors set expected_key = new.expected_recovery where loan_id = new.loan_id;
end;
create trigger current_collectors_keys_on_score_update after update of expected_recovery on loan_scores
when old.expected_recovery is not new.expected_recovery
begin
  update current_collectors set expected_key = new.expected_recovery where loan_id = new.loan_id;
end;
create trigger current_collectors_keys_on_score_delete after delete on loan_scores
begin
  update current_collectors set expected_key = '${NO_EXPECTED}' where loan_id = old.loan_id;
end;
`;

/**
 * PostgreSQL: a BEFORE INSERT row trigger sets a new assignment's keys; the others are statement
 * triggers over transition tables, so a bulk write (COPY, a multi-row upsert) costs one join.
 */
const POSTGRES_TRIGGERS = `
create or replace function current_collectors_keys_on_assign() returns trigger language plpgsql as $$
begin
  select case when l.status in (0, 1) then 1 else 0 end, l.due_key, l.amount_overdue into new.queue_open, new.due_key, new.amount_overdue
    from loans l where l.loan_id = new.loan_id;
  new.queue_open := coalesce(new.queue_open, 0);
  new.due_key := coalesce(new.due_key, ${MAX_DUE_KEY});
  new.amount_overdue := coalesce(new.amount_overdue, '${NO_EXPECTED}');
  new.expected_key := coalesce((select s.expected_recovery from loan_scores s where s.loan_id = new.loan_id), '${NO_EXPECTED}');
  return new;
end $$;
create trigger current_collectors_keys_on_assign before insert on current_collectors
  for each row execute function current_collectors_keys_on_assign();
create or replace function current_collectors_keys_on_scores() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    update current_collectors c set expected_key = '${NO_EXPECTED}'
    from removed_scores o where c.loan_id = o.loan_id and c.expected_key <> '${NO_EXPECTED}';
  else
    update current_collectors c set expected_key = n.expected_recovery
    from changed_scores n where c.loan_id = n.loan_id and c.expected_key <> n.expected_recovery;
  end if;
  return null;
end $$;
create trigger current_collectors_keys_on_score_insert after insert on loan_scores
  referencing new table as changed_scores for each statement execute function current_collectors_keys_on_scores();
create trigger current_collectors_keys_on_score_update after update on loan_scores
  referencing new table as changed_scores for each statement execute function current_collectors_keys_on_scores();
create trigger current_collectors_keys_on_score_delete after delete on loan_scores
  referencing old table as removed_scores for each statement execute function current_collectors_keys_on_scores();
`;

const TRIGGERS = [
  ["current_collectors_keys_on_assign", "current_collectors"],
  ["current_collectors_keys_on_score_insert", "loan_scores"],
  ["current_collectors_keys_on_score_update", "loan_scores"],
  ["current_collectors_keys_on_score_delete", "loan_scores"],
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, type, value] of COLUMNS) {
    await db.schema.alterTable("current_collectors").addColumn(name, type, (c) => c.notNull().defaultTo(value)).execute();
  }
  await installQueueKeys(db);
}

/**
 * Fills every assignment's keys from its loan and score, then creates the indexes and the triggers
 * that keep them. Also used after a bulk load that ran without them (bench/api/synthesize.ts).
 */
export async function installQueueKeys(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await sql`update current_collectors set
    queue_open = coalesce((select case when l.status in (0, 1) then 1 else 0 end from loans l where l.loan_id = current_collectors.loan_id), 0),
    due_key = coalesce((select l.due_key from loans l where l.loan_id = current_collectors.loan_id), ${sql.lit(MAX_DUE_KEY)}),
    amount_overdue = coalesce((select l.amount_overdue from loans l where l.loan_id = current_collectors.loan_id), ${sql.lit(NO_EXPECTED)}),
    expected_key = coalesce((select s.expected_recovery from loan_scores s where s.loan_id = current_collectors.loan_id), ${sql.lit(NO_EXPECTED)})`.execute(db);
  await db.schema.createIndex("current_collectors_queue_idx").on("current_collectors").columns(QUEUE_INDEX).execute();
  await db.schema.createIndex("current_collectors_due_idx").on("current_collectors").columns(DUE_INDEX).execute();
  if (postgres) await sql.raw(POSTGRES_TRIGGERS).execute(db);
  else for (const stmt of SQLITE_TRIGGERS.split(/(?<=end;)\n/).map((s) => s.trim()).filter(Boolean)) await sql.raw(stmt).execute(db);
}

/** Drops the triggers and indexes of {@link installQueueKeys} (the columns stay, no longer kept). */
export async function removeQueueKeys(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const [name, table] of TRIGGERS) await sql.raw(postgres ? `drop trigger if exists ${name} on ${table}` : `drop trigger if exists ${name}`).execute(db);
  if (postgres) for (const f of ["current_collectors_keys_on_assign", "current_collectors_keys_on_scores"]) await sql.raw(`drop function if exists ${f}()`).execute(db);
  for (const i of ["current_collectors_due_idx", "current_collectors_queue_idx"]) await db.schema.dropIndex(i).ifExists().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await removeQueueKeys(db);
  for (const [name] of [...COLUMNS].reverse()) await db.schema.alterTable("current_collectors").dropColumn(name).execute();
}
