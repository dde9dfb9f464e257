import { PostgresAdapter, sql, type Kysely } from "kysely";

/**
 * Two counters the API's in-process caches are keyed by (issue 19), raised by triggers whoever
 * writes (the indexer, its rollback, a bulk load), so no writer can forget them:
 * - `scopes` counts the changes to what a caller's scope is read from (src/api/auth/scope.ts):
 *   roles, servicer delegations, assignments, placements and agency assignments. A scope stays right
 *   across blocks while it stays.
 * - `history` counts updates and deletes of schedules (installments) and policies, whose rows are
 *   otherwise written once and never change (only a rollback deletes them, and the replacing chain
 *   may write other rows under the same keys). A schedule read by (loan, version), or a policy by
 *   id, stays right while it stays.
 * Only raised, never reset; their values mean nothing but "changed".
 */
export const SCOPE_TABLES = [
  "role_changes",
  "servicers",
  "current_collectors",
  "placements",
  "placement_loans",
  "placement_recalls",
  "agency_assignments",
] as const;

/** Tables whose rows are never changed but by a rollback. */
export const HISTORY_TABLES = ["installments", "policies"] as const;

/** The columns of an assignment a scope reads: the copied queue keys (migration 0016) change without it. */
const CURRENT_COLLECTORS_KEY = "loan_id, collector";

type Counter = "scopes" | "history";

const updateOf = (table: string) => (table === "current_collectors" ? `update of ${CURRENT_COLLECTORS_KEY}` : "update");

const sqliteTriggers = (table: string, counter: Counter): string[] => {
  const bump = `begin update cache_epochs set ${counter} = ${counter} + 1 where id = 1; end`;
  const ops = counter === "scopes" ? ["insert", "update", "delete"] : ["update", "delete"];
  return ops.map((op) => `create trigger cache_epochs_${table}_${op} after ${op === "update" ? updateOf(table) : op} on ${table} ${bump}`);
};

/** PostgreSQL: one statement trigger a table (a bulk write raises the counter once). */
const postgresTrigger = (table: string, counter: Counter): string => {
  const ops = counter === "scopes" ? `insert or ${updateOf(table)} or delete or truncate` : "update or delete or truncate";
  return `create trigger cache_epochs_${table} after ${ops} on ${table} for each statement execute function cache_epochs_${counter}()`;
};

const COUNTED: [string, Counter][] = [...SCOPE_TABLES.map((t) => [t, "scopes"] as [string, Counter]), ...HISTORY_TABLES.map((t) => [t, "history"] as [string, Counter])];

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable("cache_epochs")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("scopes", "bigint", (c) => c.notNull())
    .addColumn("history", "bigint", (c) => c.notNull())
    .execute();
  await db.insertInto("cache_epochs").values({ id: 1, scopes: 0, history: 0 }).execute();
  if (postgres) {
    for (const counter of ["scopes", "history"] as const) {
      await sql
        .raw(`create function cache_epochs_${counter}() returns trigger language plpgsql as $$
          begin update cache_epochs set ${counter} = ${counter} + 1 where id = 1; return null; end $$`)
        .execute(db);
    }
    for (const [table, counter] of COUNTED) await sql.raw(postgresTrigger(table, counter)).execute(db);
  } else {
    for (const [table, counter] of COUNTED) for (const stmt of sqliteTriggers(table, counter)) await sql.raw(stmt).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const [table] of COUNTED) {
    if (postgres) await sql.raw(`drop trigger if exists cache_epochs_${table} on ${table}`).execute(db);
    else for (const op of ["insert", "update", "delete"]) await sql.raw(`drop trigger if exists cache_epochs_${table}_${op}`).execute(db);
  }
  if (postgres) for (const counter of ["scopes", "history"]) await sql.raw(`drop function if exists cache_epochs_${counter}()`).execute(db);
  await db.schema.dropTable("cache_epochs").execute();
}
