import { sql, type Kysely } from "kysely";
import type { Database } from "../../src/db/schema";
import { EVENT_TABLES } from "../../src/db/schema";

/** Orders that make a dump deterministic: event tables by chain position, the rest by key. */
const ORDER: Record<string, string[]> = {
  loans: ["loan_id"],
  installments: ["loan_id", "version", "idx"],
  current_collectors: ["loan_id", "collector"],
  cursor: ["id"],
};

/**
 * Every row of every indexed table (blocks excepted: which headers are kept depends on the
 * range sizes, not on the chain), with values normalised across SQLite and PostgreSQL, so two
 * databases can be compared row for row.
 */
export async function dumpDatabase(db: Kysely<Database>): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of [...EVENT_TABLES, "loans", "installments", "current_collectors", "cursor"] as const) {
    const order = ORDER[table] ?? ["block_number", "log_index"];
    let q = db.selectFrom(table).selectAll();
    for (const c of order) q = q.orderBy(sql.ref(c));
    const rows = await q.execute();
    out[table] = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
  }
  return out;
}
