/**
 * Bulk row writes for the indexer's hot path, below Kysely's query builder (whose per-value
 * compile cost dominates big multi-row inserts):
 * - SQLite: cached prepared multi-row INSERT statements on the better-sqlite3 connection, run
 *   synchronously inside the caller's Kysely transaction (one connection, so the same transaction);
 * - PostgreSQL: inserts and upserts of 16 rows or more go through COPY ... FROM STDIN
 *   (pg-copy-streams) on the transaction's own connection, the server's cheapest way in: in the
 *   binary format (src/db/copy-binary.ts) when every column's type has an encoder there, else the
 *   text format. Smaller ones, and inserts that ignore conflicts, through
 *   `INSERT ... SELECT ... FROM json_populate_recordset(null::table, $1)` with the rows as one JSON
 *   parameter (V8 serialises it natively; the server maps keys to columns and types). Measured
 *   faster than unnest($1::type[], ...) with per-column arrays, whose client-side array escaping
 *   costs more than the JSON.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type BetterSqlite3 from "better-sqlite3";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./schema";
import { BINARY_TYPES, copyBinary } from "./copy-binary";

/**
 * PostgreSQL: the pool client a transaction started inside `reserved.run(slot, ...)` runs on is
 * put in `slot` by the pool Kysely is given (src/db/connect.ts), so COPY can use that connection.
 */
export interface ReservedClient {
  client?: pg.PoolClient;
}

export type RawConnection =
  | { dialect: "sqlite"; sqlite: BetterSqlite3.Database }
  | { dialect: "postgres"; reserved: AsyncLocalStorage<ReservedClient> };

/**
 * On a key conflict: update the other columns from the new row (but those in `keep`, which never
 * change once written: an update that leaves them out skips their indexes), or keep the existing row.
 *
 * `indexed`: columns with an index that keep their value in most updates. SQLite rewrites the index
 * entries of every column an UPDATE sets, even to the value it had (measured: 300 loans rows a
 * block, 296 WAL pages with none of the loans' indexed columns set, 1,738 with all four set to
 * themselves). On SQLite each is set in an update of its own after the upsert, on the rows whose
 * value differs only. PostgreSQL sets them with the others: it compares an update's indexed values
 * itself (an update that changes none adds no index entries).
 */
export type OnConflict = { update: string; keep?: readonly string[]; indexed?: readonly string[] } | "ignore";

export interface BulkWriter {
  /** Runs `fn` in a transaction of `db` that `insert` writes to in bulk. */
  transaction<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Inserts `rows` (objects with the same keys) into `table`, in `trx` (from `transaction`). */
  insert(trx: Transaction<Database>, table: string, rows: readonly object[], onConflict?: OnConflict): Promise<void>;
  /** Updates the rows of `table` whose `key` column matches each of `rows` to its other columns. */
  update(trx: Transaction<Database>, table: string, key: string, rows: readonly object[]): Promise<void>;
}

const writers = new WeakMap<object, BulkWriter>();

/** Called by openDatabase: what the bulk writer of `db` runs on. */
export function registerRawConnection(db: Kysely<Database>, raw: RawConnection): void {
  writers.set(db, raw.dialect === "sqlite" ? sqliteWriter(raw.sqlite) : postgresWriter(raw.reserved));
}

/** The bulk writer of a database opened by openDatabase (undefined for other Kysely instances). */
export function bulkWriter(db: Kysely<Database>): BulkWriter | undefined {
  return writers.get(db);
}

const quote = (id: string) => `"${id.replace(/"/g, '""')}"`;

/** Rows per PostgreSQL INSERT statement. */
const PG_CHUNK_ROWS = 2_000;
/** Fewer rows than this go in one INSERT (a COPY costs a round trip more). */
const PG_COPY_MIN_ROWS = 16;

/**
 * The ON CONFLICT clause of an insert of `cols` (empty without one); the same on both databases,
 * but that SQLite leaves the `indexed` columns to {@link guardedUpdates} (`withIndexed` false).
 */
function conflictClause(cols: readonly string[], onConflict: OnConflict | undefined, withIndexed = true): string {
  if (onConflict === undefined) return "";
  if (onConflict === "ignore") return " on conflict do nothing";
  const keep = new Set([...(onConflict.keep ?? []), ...(withIndexed ? [] : (onConflict.indexed ?? []))]);
  const set = cols.filter((c) => c !== onConflict.update && !keep.has(c)).map((c) => `${quote(c)} = excluded.${quote(c)}`);
  return ` on conflict (${quote(onConflict.update)}) do update set ${set.join(", ")}`;
}

/** SQLite's limit on bound variables per statement. */
const SQLITE_MAX_VARIABLES = 32_766;

function sqliteWriter(raw: BetterSqlite3.Database): BulkWriter {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const statement = (table: string, cols: string[], rows: number, onConflict: OnConflict | undefined) => {
    const key = `${table}|${cols.join(",")}|${rows}|${onConflict === undefined ? "" : onConflict === "ignore" ? "-" : `${onConflict.update}/${onConflict.keep ?? ""}/${onConflict.indexed ?? ""}`}`;
    let s = statements.get(key);
    if (!s) {
      const tuple = `(${cols.map(() => "?").join(",")})`;
      const text = `insert into ${quote(table)} (${cols.map(quote).join(",")}) values ${Array.from({ length: rows }, () => tuple).join(",")}`;
      s = raw.prepare(text + conflictClause(cols, onConflict, false));
      statements.set(key, s);
    }
    return s;
  };
  /**
   * Sets each `indexed` column of rows[from, from + n) where the stored value differs: one
   * `update ... from (values ...)` a column. A key given twice keeps its last row, as the upsert did.
   */
  const guardedUpdates = (table: string, key: string, indexed: readonly string[], rows: readonly object[], from: number, n: number) => {
    const last = new Map<unknown, Record<string, unknown>>();
    for (let r = from; r < from + n; r++) {
      const row = rows[r] as Record<string, unknown>;
      last.set(row[key], row);
    }
    const distinct = [...last.values()];
    for (const c of indexed) {
      const id = `${table}|${c}|${distinct.length}|guarded ${key}`;
      let s = statements.get(id);
      if (!s) {
        const t = quote(table);
        const pairs = Array.from({ length: distinct.length }, () => "(?,?)").join(",");
        s = raw.prepare(`with v(k, x) as (values ${pairs}) update ${t} set ${quote(c)} = v.x from v where ${t}.${quote(key)} = v.k and ${t}.${quote(c)} is not v.x`);
        statements.set(id, s);
      }
      const params: unknown[] = new Array(2 * distinct.length);
      for (let r = 0; r < distinct.length; r++) {
        params[2 * r] = distinct[r]![key];
        params[2 * r + 1] = distinct[r]![c] ?? null;
      }
      s.run(params);
    }
  };
  return {
    transaction: (db, fn) => db.transaction().execute(fn),
    async insert(_trx, table, rows, onConflict) {
      if (rows.length === 0) return;
      const cols = Object.keys(rows[0]);
      const per = cols.length;
      const upsert = onConflict !== undefined && onConflict !== "ignore" ? onConflict : undefined;
      const guarded = upsert?.indexed?.filter((c) => cols.includes(c)) ?? [];
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
        if (upsert && guarded.length) guardedUpdates(table, upsert.update, guarded, rows, i, n);
        i += n;
      }
    },
    async update(_trx, table, key, rows) {
      if (rows.length === 0) return;
      const cols = Object.keys(rows[0]).filter((c) => c !== key);
      const id = `${table}|${cols.join(",")}|update ${key}`;
      let s = statements.get(id);
      if (!s) {
        s = raw.prepare(`update ${quote(table)} set ${cols.map((c) => `${quote(c)} = ?`).join(", ")} where ${quote(key)} = ?`);
        statements.set(id, s);
      }
      const params: unknown[] = new Array(cols.length + 1);
      for (const row of rows as readonly Record<string, unknown>[]) {
        for (let c = 0; c < cols.length; c++) params[c] = row[cols[c]] ?? null;
        params[cols.length] = row[key];
        s.run(params);
      }
    },
  };
}

function postgresWriter(reserved: AsyncLocalStorage<ReservedClient>): BulkWriter {
  const clientOf = new WeakMap<Transaction<Database>, pg.PoolClient>();
  /** Column type oids by table, read once per table (the schema is migrated before writes start). */
  const typesOf = new Map<string, Map<string, number>>();
  /** COPY of `rows` into `target` (`table` or its staging table): binary when every column has an encoder. */
  const copy = async (client: pg.PoolClient, table: string, target: string, rows: readonly object[], cols: readonly string[]) => {
    let types = typesOf.get(table);
    if (!types) {
      const res = await client.query<{ attname: string; atttypid: number }>(
        "select attname, atttypid from pg_attribute where attrelid = to_regclass($1) and attnum > 0 and not attisdropped",
        [quote(table)],
      );
      types = new Map(res.rows.map((r) => [r.attname, Number(r.atttypid)]));
      typesOf.set(table, types);
    }
    const oids = cols.map((c) => types.get(c) ?? 0);
    const list = cols.map(quote).join(", ");
    if (oids.every((t) => BINARY_TYPES.has(t))) {
      await pipeline(Readable.from(copyBinary(rows, cols, oids)), client.query(copyFrom(`copy ${target} (${list}) from stdin with (format binary)`)));
    } else {
      await pipeline(Readable.from(copyLines(rows, cols)), client.query(copyFrom(`copy ${target} (${list}) from stdin`)));
    }
  };
  const json = async (trx: Transaction<Database>, table: string, given: readonly object[], onConflict?: OnConflict) => {
    const cols = Object.keys(given[0]);
    const rows = withHexBytes(given, cols);
    const list = sql.join(cols.map((c) => sql.id(c)));
    const conflict = sql.raw(conflictClause(cols, onConflict));
    // In chunks, to bound the size of one statement's text (and of the client's buffers).
    for (let i = 0; i < rows.length; i += PG_CHUNK_ROWS) {
      const text = JSON.stringify(i === 0 && rows.length <= PG_CHUNK_ROWS ? rows : rows.slice(i, i + PG_CHUNK_ROWS));
      await sql`insert into ${sql.table(table)} (${list}) select ${list} from json_populate_recordset(null::${sql.table(table)}, ${text}::json)${conflict}`.execute(trx);
    }
  };
  return {
    transaction(db, fn) {
      const slot: ReservedClient = {};
      return reserved.run(slot, () =>
        db.transaction().execute((trx) => {
          if (slot.client) clientOf.set(trx, slot.client);
          return fn(trx);
        }),
      );
    },
    async insert(trx, table, rows, onConflict) {
      if (rows.length === 0) return;
      const client = clientOf.get(trx);
      if (onConflict === "ignore" || client === undefined || rows.length < PG_COPY_MIN_ROWS) return json(trx, table, rows, onConflict);
      const cols = Object.keys(rows[0]);
      const list = cols.map(quote).join(", ");
      if (onConflict === undefined) return copy(client, table, quote(table), rows, cols);
      // An upsert: COPY into a temporary table like the target, then one INSERT ... ON CONFLICT from it.
      const stage = quote(`stage_${table}`);
      await client.query(`create temporary table if not exists ${stage} (like ${quote(table)}) on commit delete rows`);
      await copy(client, table, stage, rows, cols);
      await client.query(`insert into ${quote(table)} (${list}) select ${list} from ${stage}${conflictClause(cols, onConflict)}`);
      await client.query(`truncate ${stage}`);
    },
    async update(trx, table, key, rows) {
      if (rows.length === 0) return;
      const cols = Object.keys(rows[0]).filter((c) => c !== key);
      const set = sql.join(cols.map((c) => sql`${sql.id(c)} = v.${sql.id(c)}`));
      for (let i = 0; i < rows.length; i += PG_CHUNK_ROWS) {
        const text = JSON.stringify(rows.length <= PG_CHUNK_ROWS ? rows : rows.slice(i, i + PG_CHUNK_ROWS));
        await sql`update ${sql.table(table)} as t set ${set} from json_populate_recordset(null::${sql.table(table)}, ${text}::json) as v where t.${sql.id(key)} = v.${sql.id(key)}`.execute(trx);
      }
    },
  };
}

/** `rows` with any bytes (a bytea column's value) as the `\x` hex text json_populate_recordset reads. */
function withHexBytes(rows: readonly object[], cols: readonly string[]): readonly object[] {
  const bytes = cols.filter((c) => rows.some((r) => (r as Record<string, unknown>)[c] instanceof Uint8Array));
  if (bytes.length === 0) return rows;
  return rows.map((r) => {
    const out: Record<string, unknown> = { ...r };
    for (const c of bytes) {
      const v = out[c];
      if (v instanceof Uint8Array) out[c] = `\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex")}`;
    }
    return out;
  });
}

/** COPY's text format: tab-separated fields, `\N` for null, backslash escapes. */
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

function copyField(v: unknown): string {
  if (v === null || v === undefined) return "\\N";
  if (typeof v === "string") return COPY_SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]) : v;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "boolean") return v ? "t" : "f";
  throw new TypeError(`bulk copy: cannot write a ${typeof v} value`);
}

/** The rows as COPY text, in pieces of about 256 KB. */
function* copyLines(rows: readonly object[], cols: readonly string[]): Generator<string> {
  let piece = "";
  for (const row of rows as readonly Record<string, unknown>[]) {
    let line = copyField(row[cols[0]]);
    for (let c = 1; c < cols.length; c++) line += `\t${copyField(row[cols[c]])}`;
    piece += `${line}\n`;
    if (piece.length >= 256 * 1024) {
      yield piece;
      piece = "";
    }
  }
  if (piece) yield piece;
}
