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

/**
 * The assignments whose copied queue keys (migration 0016's triggers) differ from their loan's and
 * score's: `loan_id:collector column` for each difference, none when every copy is right.
 */
export async function queueKeyMismatches(db: Kysely<Database>): Promise<string[]> {
  const rows = await db
    .selectFrom("current_collectors as cc")
    .leftJoin("loans", "loans.loan_id", "cc.loan_id")
    .leftJoin("loan_scores", "loan_scores.loan_id", "cc.loan_id")
    .select(["cc.loan_id", "cc.collector", "cc.queue_open", "cc.due_key", "cc.amount_overdue", "cc.expected_key", "loans.status", "loans.due_key as loan_due_key", "loans.amount_overdue as loan_amount_overdue", "loan_scores.expected_recovery"])
    .execute();
  const out: string[] = [];
  for (const r of rows) {
    const open = r.status === 0 || r.status === 1 ? 1 : 0;
    const want = { queue_open: open, due_key: Number(r.loan_due_key ?? Number.MAX_SAFE_INTEGER), amount_overdue: r.loan_amount_overdue ?? "0".repeat(40), expected_key: r.expected_recovery ?? "0".repeat(40) };
    const got = { queue_open: Number(r.queue_open), due_key: Number(r.due_key), amount_overdue: r.amount_overdue, expected_key: r.expected_key };
    for (const k of Object.keys(want) as (keyof typeof want)[]) if (want[k] !== got[k]) out.push(`${r.loan_id}:${r.collector} ${k} ${got[k]} != ${want[k]}`);
  }
  return out;
}
