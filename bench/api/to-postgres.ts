/**
 * A synthesized SQLite book copied into a PostgreSQL schema (dropped first), for the benchmark's
 * PostgreSQL rows: the schema from the migrations (openDatabase), the rows through the indexer's
 * own bulk writer (COPY ... FROM STDIN), then ANALYZE.
 */
import BetterSqlite3 from "better-sqlite3";
import { sql, type Kysely } from "kysely";
import { openDatabase } from "../../src/db/connect";
import { installQueueKeys, removeQueueKeys } from "../../src/db/migrations/0016_queue_keys";
import type { Database } from "../../src/db/schema";
import { insertMany, writeTransaction } from "../../src/indexer/store";
import { dropSchema } from "../pg-schema";

/** The tables synthesize() writes. */
const TABLES = ["cursor", "role_changes", "policies", "loans", "schedule_versions", "installments", "repayments", "assignments", "current_collectors", "reminders", "actions"] as const;
const CHUNK = 20_000;

/** Copies `sqliteFile` into `schema` of the PostgreSQL at `pgUrl`; returns the database URL with ?schema=. */
export async function copyToPostgres(sqliteFile: string, pgUrl: string, schema: string): Promise<string> {
  await dropSchema(pgUrl, schema);
  const url = new URL(pgUrl);
  url.searchParams.set("schema", schema);
  const target = await openDatabase(url.toString()); // creates the schema and runs the migrations
  const source = new BetterSqlite3(sqliteFile, { readonly: true });
  // The copied queue keys are filled once after the load (as synthesize does), not row by row.
  await removeQueueKeys(target.db);
  try {
    for (const table of TABLES) {
      let rows: object[] = [];
      const flush = async () => {
        const batch = rows;
        rows = [];
        await writeTransaction(target.db, (trx) => insertMany(trx, table as keyof Database, batch));
      };
      for (const row of source.prepare(`select * from ${table}`).iterate() as Iterable<object>) {
        rows.push(row);
        if (rows.length >= CHUNK) await flush();
      }
      if (rows.length) await flush();
    }
    await installQueueKeys(target.db);
    await sql`analyze`.execute(target.db);
    await checkpoint(target.db);
  } finally {
    source.close();
    await target.close();
  }
  return url.toString();
}

/**
 * Has the server write the copy's pages to the disk now (CHECKPOINT), so it does not do that during
 * the first rounds (see ./disk.ts). A role that may not checkpoint (neither superuser nor
 * pg_checkpoint) is told and the copy is used as it is.
 */
async function checkpoint(db: Kysely<Database>): Promise<void> {
  try {
    await sql`checkpoint`.execute(db);
  } catch (err) {
    // 42501: insufficient_privilege. Anything else is an error of the copy.
    if ((err as { code?: string }).code !== "42501") throw err;
    console.error(`copyToPostgres: no CHECKPOINT after the copy (${(err as Error).message}); its pages are written back while the rounds run`);
  }
}

/** Drops a schema {@link copyToPostgres} made (a 1M-loan copy holds gigabytes and keeps autovacuum busy after the run). */
export async function dropPostgresCopy(pgUrl: string, schema: string): Promise<void> {
  await dropSchema(pgUrl, schema);
}
