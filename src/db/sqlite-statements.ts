/**
 * better-sqlite3 statements as Kysely's SQLite driver sees them: prepared once per connection and
 * reused, and a read's rows built as objects of one fixed shape per statement.
 */
import type { SqliteDatabase, SqliteStatement } from "kysely";
import type BetterSqlite3 from "better-sqlite3";

/** Prepared statements kept per connection (least recently used out first). */
const STATEMENT_CACHE_SIZE = 1_000;

/**
 * The connection with its prepared statements reused: Kysely prepares every query it runs, and
 * parsing and planning the same SQL again was 8% of the API's CPU under load. A statement still
 * being iterated (a streamed query) is not handed out twice. A statement ending in `limit ?` runs
 * with its limit written in (see withLiteralLimit).
 */
export function cachingStatements(sqlite: BetterSqlite3.Database): SqliteDatabase & { readNow: DirectRead } {
  const statements = new Map<string, CachedStatement>();
  const prepared = (text: string): CachedStatement => {
    const cached = statements.get(text);
    if (cached && !cached.busy) {
      statements.delete(text);
      statements.set(text, cached);
      return cached;
    }
    const stmt = shapedRows(sqlite.prepare(text));
    if (!cached) {
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      statements.set(text, stmt);
    }
    return stmt;
  };
  const prepare = (text: string) => (TRAILING_LIMIT.test(text) ? withLiteralLimit(text, prepared) : prepared(text));
  return {
    close: () => sqlite.close(),
    prepare,
    readNow(text, parameters) {
      if (sqlite.inTransaction || !SELECT.test(text)) return undefined;
      return prepare(text).all(parameters) as unknown[];
    },
  };
}

/**
 * Runs the read `text` on the connection at once, outside Kysely's driver, and returns its rows;
 * or undefined when it must go through Kysely (and wait its turn): a transaction is open on the
 * connection (the read would see its uncommitted writes), or `text` is not a select (a write with
 * `returning` gives rows too, and keeps its turn). Kysely's driver
 * hands the one connection out in turn, so a query costs a lock, a release and several promises;
 * no other query can be running meanwhile, since better-sqlite3 runs each to its end at once.
 */
export type DirectRead = (text: string, parameters: ReadonlyArray<unknown>) => unknown[] | undefined;

const SELECT = /^select\s/i;

/** A statement whose last parameter is its LIMIT, as Kysely writes `.limit(n)` without an offset. */
const TRAILING_LIMIT = / limit \?$/i;

/**
 * `text` (ending in `limit ?`) run as the same statement with the bound limit written in as an
 * integer literal, prepared (and kept) once per limit value.
 *
 * SQLite plans with the value bound to a LIMIT parameter, so binding one marks the statement to be
 * parsed and planned again at its next step, on every run even with the same value (sqlite3.c
 * 3.53, computeLimitRegisters: sqlite3ExprIsInteger sets the parameter's bit in the statement's
 * expmask). The queue and loans-list statements end in one. Measured alone on a 100k book, the
 * queue page's loans read took 260-340 µs this way against 420-530 µs, the M1 list's 430 against
 * 570-620, a role check 12 against 29; under bench:api's realistic load (100k, 8 rounds each way)
 * the API served 11-12% more requests a second on 11% less processor time a request. A limit that
 * is not a non-negative safe integer runs as written. (A database with sqlite_stat4 statistics
 * re-plans an equality on an indexed column the same way; ANALYZE makes them, and the indexer never
 * runs it.)
 */
function withLiteralLimit(text: string, prepared: (text: string) => CachedStatement): CachedStatement {
  const asWritten = prepared(text);
  const forLimit = (parameters: ReadonlyArray<unknown>): [CachedStatement, ReadonlyArray<unknown>] => {
    const limit = parameters[parameters.length - 1];
    const n = typeof limit === "bigint" && limit >= 0n && limit <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(limit) : limit;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) return [asWritten, parameters];
    return [prepared(`${text.slice(0, -1)}${n}`), parameters.slice(0, -1)];
  };
  return {
    reader: asWritten.reader,
    get busy() {
      return false; // each run takes its statement from the cache, which hands out a busy one only once
    },
    all(parameters) {
      const [stmt, rest] = forLimit(parameters);
      return stmt.all(rest);
    },
    run(parameters) {
      const [stmt, rest] = forLimit(parameters);
      return stmt.run(rest);
    },
    iterate(parameters) {
      const [stmt, rest] = forLimit(parameters);
      return stmt.iterate(rest);
    },
  };
}

type CachedStatement = SqliteStatement & { readonly busy: boolean };

/**
 * A read whose rows come from better-sqlite3 as arrays (raw mode) and are built into objects by a
 * function made for its columns: `{"loan_id": r[0], "lender": r[1], ...}`. better-sqlite3 builds
 * each row object key by key, which V8 keeps as a slow dictionary; measured on the API's queue
 * page (21 loans rows of 58 columns) 350 µs a page against 200 µs this way, and the rows' fields
 * read faster afterwards. The objects are the same: same keys in the same order, a repeated name
 * keeps its last value. Writes, and a read with a column named `__proto__` (an object literal
 * would treat it as the prototype), are left as prepared.
 */
export function shapedRows(stmt: BetterSqlite3.Statement): CachedStatement {
  if (!stmt.reader) return stmt as unknown as CachedStatement;
  const names = stmt.columns().map((c) => c.name);
  if (names.includes("__proto__")) return stmt as unknown as CachedStatement;
  const build = rowBuilder(names);
  stmt.raw(true);
  return {
    reader: true,
    get busy() {
      return stmt.busy;
    },
    all(parameters: ReadonlyArray<unknown>) {
      const rows = stmt.all(parameters) as unknown[][];
      const out = new Array<unknown>(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = build(rows[i]!);
      return out;
    },
    run(parameters: ReadonlyArray<unknown>) {
      return stmt.run(parameters);
    },
    *iterate(parameters: ReadonlyArray<unknown>) {
      for (const row of stmt.iterate(parameters) as IterableIterator<unknown[]>) yield build(row);
    },
  };
}

/** Builds rows of `names` from their value arrays; one builder is made per distinct column list. */
const builders = new Map<string, (row: unknown[]) => object>();
const BUILDER_CACHE_SIZE = 2_000;

function rowBuilder(names: string[]): (row: unknown[]) => object {
  const key = JSON.stringify(names);
  let build = builders.get(key);
  if (!build) {
    // The names are the statement's own column names, each written as a JSON string literal (which
    // escapes quotes, backslashes and line breaks), so no name can end the literal it sits in.
    build = new Function("r", `return {${names.map((n, i) => `${JSON.stringify(n)}: r[${i}]`).join(", ")}};`) as (row: unknown[]) => object;
    if (builders.size >= BUILDER_CACHE_SIZE) builders.delete(builders.keys().next().value!);
    builders.set(key, build);
  }
  return build;
}
