/**
 * Bulk row writes for the indexer's hot path, below Kysely's query builder (whose per-value
 * compile cost dominates big multi-row inserts):
 * - SQLite: cached prepared multi-row INSERT statements on the better-sqlite3 connection, run
 *   synchronously inside the caller's Kysely transaction (one connection, so the same transaction);
 * - PostgreSQL: `INSERT ... SELECT ... FROM json_populate_recordset(null::table, $1)` with the rows
 *   as one JSON parameter (V8 serialises it natively; the server maps keys to columns and types),
 *   in the caller's transaction. Measured faster than unnest($1::type[], ...) with per-column arrays,
 *   whose client-side array escaping costs more than the JSON.
 */
import type BetterSqlite3 from "better-sqlite3";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./schema";

export type RawConnection = { dialect: "sqlite"; sqlite: BetterSqlite3.Database } | { dialect: "postgres" };

/** On a key conflict: update every other column from the new row, or keep the existing row. */
export type OnConflict = { update: string } | "ignore";

export interface BulkWriter {
  /** Inserts `rows` (objects with the same keys) into `table`. */
  insert(trx: Transaction<Database>, table: string, rows: readonly object[], onConflict?: OnConflict): Promise<void>;
}

const writers = new WeakMap<object, BulkWriter>();

/** Called by openDatabase: what the bulk writer of `db` runs on. */
export function registerRawConnection(db: Kysely<Database>, raw: RawConnection): void {
  writers.set(db, raw.dialect === "sqlite" ? sqliteWriter(raw.sqlite) : postgresWriter());
}

/** The bulk writer of a database opened by openDatabase (undefined for other Kysely instances). */
export function bulkWriter(db: Kysely<Database>): BulkWriter | undefined {
  return writers.get(db);
}

const quote = (id: string) => `"${id.replace(/"/g, '""')}"`;

/** Rows per PostgreSQL statement. */
const PG_CHUNK_ROWS = 2_000;

/** SQLite's limit on bound variables per statement. */
const SQLITE_MAX_VARIABLES = 32_766;

function sqliteWriter(raw: BetterSqlite3.Database): BulkWriter {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const statement = (table: string, cols: string[], rows: number, onConflict: OnConflict | undefined) => {
    const key = `${table}|${cols.join(",")}|${rows}|${onConflict === undefined ? "" : onConflict === "ignore" ? "-" : onConflict.update}`;
    let s = statements.get(key);
    if (!s) {
      const tuple = `(${cols.map(() => "?").join(",")})`;
      let text = `insert into ${quote(table)} (${cols.map(quote).join(",")}) values ${Array.from({ length: rows }, () => tuple).join(",")}`;
      if (onConflict === "ignore") text += " on conflict do nothing";
      else if (onConflict) {
        const set = cols.filter((c) => c !== onConflict.update).map((c) => `${quote(c)} = excluded.${quote(c)}`);
        text += ` on conflict (${quote(onConflict.update)}) do update set ${set.join(", ")}`;
      }
      s = raw.prepare(text);
      statements.set(key, s);
    }
    return s;
  };
  return {
    async insert(_trx, table, rows, onConflict) {
      if (rows.length === 0) return;
      const cols = Object.keys(rows[0]);
      const per = cols.length;
      // Chunks of a power of two rows (few distinct statements to cache), at most 64.
      let max = 64;
      while (max > 1 && max * per > SQLITE_MAX_VARIABLES) max >>= 1;
      for (let i = 0; i < rows.length; ) {
        let n = max;
        while (n > rows.length - i) n >>= 1;
        const params: unknown[] = new Array(n * per);
        let k = 0;
        for (let r = i; r < i + n; r++) {
          const row = rows[r] as Record<string, unknown>;
          for (let c = 0; c < per; c++) params[k++] = row[cols[c]] ?? null;
        }
        statement(table, cols, n, onConflict).run(params);
        i += n;
      }
    },
  };
}

function postgresWriter(): BulkWriter {
  return {
    async insert(trx, table, rows, onConflict) {
      if (rows.length === 0) return;
      const cols = Object.keys(rows[0]);
      const list = sql.join(cols.map((c) => sql.id(c)));
      const conflict =
        onConflict === "ignore"
          ? sql` on conflict do nothing`
          : onConflict
            ? sql` on conflict (${sql.id(onConflict.update)}) do update set ${sql.join(
                cols.filter((c) => c !== onConflict.update).map((c) => sql`${sql.id(c)} = excluded.${sql.id(c)}`),
              )}`
            : sql``;
      // In chunks, to bound the size of one statement's text (and of the client's buffers).
      for (let i = 0; i < rows.length; i += PG_CHUNK_ROWS) {
        const json = JSON.stringify(i === 0 && rows.length <= PG_CHUNK_ROWS ? rows : rows.slice(i, i + PG_CHUNK_ROWS));
        await sql`insert into ${sql.table(table)} (${list}) select ${list} from json_populate_recordset(null::${sql.table(table)}, ${json}::json)${conflict}`.execute(trx);
      }
    },
  };
}
