/**
 * Indexes a long backfill leaves out while it writes, then makes in one pass at the tip (issue 19).
 *
 * An index whose keys arrive in random order costs the writer a random page per row; made at the
 * end from the finished table, it costs one sort. Only indexes whose absence slows no writer are
 * deferred: the indexer, its rollback and the scorer never use them, and the notifier uses one
 * (`actions_recent_calls_idx`) only for a read that worked without it until migration 0024; so a
 * backfill, or one of those running beside it, is never slowed by their absence. Until they are
 * back, the reads that use them scan the table or another index instead (slower, same answers).
 *
 * Each deferred index is kept in `deferred_indexes` (migration 0021) with its definition, as the
 * database reported it, in the same transaction that drops it: a process killed in the middle
 * leaves the row, and the next run makes the index when it reaches the tip or stops.
 */
import { sql, type Kysely } from "kysely";
import type { Dialect } from "./connect";
import type { Database } from "./schema";
import { DeferredIndexError } from "./errors";

/**
 * The deferrable indexes, by name (each database has the ones of its dialect):
 * - `actions_evidence_key_idx` (SQLite) and `actions_evidence_hash_idx` (PostgreSQL, a hash index):
 *   find an action by its evidence hash (citedAnywhere, src/api/services/evidence-access.ts). The
 *   hashes are random, so each insert lands on a random page. Measured on bench:indexer's backfill
 *   (96k actions, SQLite): the actions inserts took 235 ms instead of 652 ms without the two indexes
 *   here, and making both at the tip took 0.1 s.
 * - `actions_collector_occurred_at_idx`: actions by collector and time, for the API.
 * - `actions_recent_calls_idx` (migration 0024): the recent calls of a loan. The notifier's contact
 *   rules read them too; without the index they read each loan's actions through
 *   (loan_id, seq), as they did before 0024: slower on old loans, never slower than then.
 */
export const DEFERRABLE_INDEXES: readonly string[] = ["actions_evidence_key_idx", "actions_evidence_hash_idx", "actions_collector_occurred_at_idx", "actions_recent_calls_idx"];

/** A backfill defers only when at least this many blocks behind... */
export const DEFER_MIN_BLOCKS = 1_000;
/** ...and behind by at least this share of the blocks indexed so far (remaking costs a sort of the whole table). */
export const DEFER_MIN_SHARE = 0.2;

/** Whether a backfill `behind` blocks from the head, `indexed` blocks after the start block, should defer the indexes. */
export function shouldDefer(indexed: number, behind: number): boolean {
  return behind >= DEFER_MIN_BLOCKS && behind >= DEFER_MIN_SHARE * indexed;
}

/** The CREATE INDEX statements of those of `names` that exist now. */
async function definitions(db: Kysely<Database>, dialect: Dialect, names: readonly string[]): Promise<{ name: string; definition: string }[]> {
  if (names.length === 0) return [];
  const list = sql.join(names.map((n) => sql.lit(n)));
  const { rows } =
    dialect === "sqlite"
      ? await sql<{ name: string; definition: string }>`select name, sql as definition from sqlite_master where type = 'index' and name in (${list}) order by name`.execute(db)
      : await sql<{ name: string; definition: string }>`select indexname as name, indexdef as definition from pg_indexes where schemaname = current_schema() and indexname in (${list}) order by indexname`.execute(db);
  return rows;
}

/** Drops the deferrable indexes that exist, recording each; returns their names. */
export async function deferIndexes(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const found = await definitions(trx, dialect, DEFERRABLE_INDEXES);
    for (const d of found) {
      await trx.insertInto("deferred_indexes").values(d).onConflict((oc) => oc.column("name").doUpdateSet({ definition: d.definition })).execute();
      await sql`drop index ${sql.id(d.name)}`.execute(trx);
    }
    return found.map((d) => d.name);
  });
}

/**
 * Makes every deferred index again (one that exists by then is left as it is) and forgets it, in
 * one transaction; returns their names. `starting` hears the names first, when there are any.
 */
export async function restoreIndexes(db: Kysely<Database>, dialect: Dialect, starting?: (names: string[]) => void): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom("deferred_indexes").select(["name", "definition"]).orderBy("name").execute();
    if (rows.length) starting?.(rows.map((r) => r.name));
    // Only a deferrable index's own CREATE INDEX statement is ever run, whatever else a row holds.
    const bad = rows.find((r) => !DEFERRABLE_INDEXES.includes(r.name) || !new RegExp(`^create index "?${r.name}"? on `, "i").test(r.definition));
    if (bad) throw new DeferredIndexError(bad.name, bad.definition);
    const present = new Set((await definitions(trx, dialect, rows.map((r) => r.name))).map((d) => d.name));
    for (const r of rows) {
      if (!present.has(r.name)) await sql.raw(r.definition).execute(trx);
      await trx.deleteFrom("deferred_indexes").where("name", "=", r.name).execute();
    }
    return rows.map((r) => r.name);
  });
}
