import { PostgresAdapter, sql, type Kysely } from "kysely";

/**
 * `cache_epochs.history` (migration 0017) moves with any rollback of a loan's events too: an update
 * or delete of `loan_events`, where every event of a loan has its row and which only a rollback
 * deletes from. The API keeps each loan's promises, latest reminder and recent calls across blocks
 * while its loans row's `updated_block` stays (src/api/services/kept-history.ts). Every event of a
 * loan moves that forward, but a rollback puts it back, and the replacing chain may move it to the
 * same block number again over other rows; so whatever was kept goes with any rollback.
 */
export const ROLLBACK_TABLES = ["loan_events"] as const;

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const table of ROLLBACK_TABLES) {
    if (postgres) {
      // One statement trigger (a rollback's delete raises the counter once), with 0017's function.
      await sql.raw(`create trigger cache_epochs_${table} after update or delete or truncate on ${table} for each statement execute function cache_epochs_history()`).execute(db);
    } else {
      for (const op of ["update", "delete"]) {
        await sql.raw(`create trigger cache_epochs_${table}_${op} after ${op} on ${table} begin update cache_epochs set history = history + 1 where id = 1; end`).execute(db);
      }
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const table of ROLLBACK_TABLES) {
    if (postgres) await sql.raw(`drop trigger if exists cache_epochs_${table} on ${table}`).execute(db);
    else for (const op of ["update", "delete"]) await sql.raw(`drop trigger if exists cache_epochs_${table}_${op}`).execute(db);
  }
}
