/**
 * db-hash — a fingerprint of an indexed database, to check that two indexers (e.g. before and after
 * a refactor) wrote the same thing: the SHA-256 of the sorted rows of every table, one line per
 * table, and a total over those lines.
 *
 *   npx ts-node --swc scripts/db-hash.ts <sqlite-file | postgres://...[?schema=name]>
 *
 * Each row is serialised as JSON of its values in column-name order (bigints as decimal strings,
 * buffers as hex, dates as ISO strings), the lines sorted, and hashed joined by newlines; a table's
 * hash therefore depends on its contents, not on the order the rows came in. Compare databases of
 * one dialect (SQLite returns integers as numbers, PostgreSQL int8 as strings).
 *
 * Excluded: the `timestamp` column of Kysely's migration bookkeeping table `kysely_migration` (the
 * wall-clock time of the run and nothing else), and the counters of `cache_epochs` (migration 0017),
 * which depends on how the indexer grouped its writes. Nothing else is left out (the
 * `blocks` table included: at the tip it holds the same unfinalised window for the same chain).
 * Reads only: opens SQLite read-only, and runs only selects on PostgreSQL.
 */
import crypto from "node:crypto";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";

/** Columns that differ from run to run by design (see the header). */
const RUN_DEPENDENT: Record<string, readonly string[]> = { kysely_migration: ["timestamp"], cache_epochs: ["scopes", "history"] };

type Row = Record<string, unknown>;

function serialise(row: Row, skip: readonly string[]): string {
  const cols = Object.keys(row)
    .filter((c) => !skip.includes(c))
    .sort();
  return JSON.stringify(
    cols.map((c) => {
      const v = row[c];
      if (typeof v === "bigint") return v.toString();
      if (Buffer.isBuffer(v)) return `0x${v.toString("hex")}`;
      if (v instanceof Date) return v.toISOString();
      return v;
    }),
  );
}

/** The hash of a table's rows (sorted serialisations, one a line). */
export function hashRows(table: string, rows: Row[]): { rows: number; hash: string } {
  const lines = rows.map((r) => serialise(r, RUN_DEPENDENT[table] ?? [])).sort();
  return { rows: lines.length, hash: crypto.createHash("sha256").update(lines.join("\n")).digest("hex") };
}

async function tablesOf(target: string): Promise<Map<string, Row[]>> {
  const out = new Map<string, Row[]>();
  if (!/^postgres(ql)?:\/\//.test(target)) {
    const db = new BetterSqlite3(target, { readonly: true, fileMustExist: true });
    try {
      const names = db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all() as { name: string }[];
      for (const { name } of names) out.set(name, db.prepare(`select * from "${name}"`).safeIntegers(true).all() as Row[]);
    } finally {
      db.close();
    }
    return out;
  }
  const u = new URL(target);
  const schema = u.searchParams.get("schema") ?? "public";
  u.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    const names = await client.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE' order by table_name",
      [schema],
    );
    for (const { table_name } of names.rows) out.set(table_name, (await client.query(`select * from "${schema}"."${table_name}"`)).rows);
  } finally {
    await client.end();
  }
  return out;
}

async function main(): Promise<void> {
  const target = process.argv[2];
  if (!target) {
    process.stderr.write("usage: ts-node --swc scripts/db-hash.ts <sqlite-file | postgres-url[?schema=name]>\n");
    process.exit(2);
  }
  const lines: string[] = [];
  for (const [table, rows] of await tablesOf(target)) {
    const h = hashRows(table, rows);
    lines.push(`${table}\t${h.rows}\t${h.hash}`);
  }
  for (const l of lines) process.stdout.write(`${l}\n`);
  process.stdout.write(`total\t-\t${crypto.createHash("sha256").update(lines.join("\n")).digest("hex")}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
