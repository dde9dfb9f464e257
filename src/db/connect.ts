import { AsyncLocalStorage } from "node:async_hooks";
import fs from "node:fs";
import path from "node:path";
import {
  CompiledQuery,
  Kysely,
  Migrator,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  sql,
  type DatabaseConnection,
  type Driver,
  type Migration,
  type MigrationProvider,
  type SqliteDialectConfig,
} from "kysely";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import type { Database } from "./schema";
import { registerRawConnection, type ReservedClient } from "./bulk";
import { InvalidSchemaNameError, MigrationError } from "./errors";
import { SchemaPostgresDialect } from "./pg-introspector";
import { prepareReads, takePrepareOption } from "./pg-prepared";
import { cachingStatements } from "./sqlite-statements";
import { registerDirectReads } from "./prepared";
import * as m0001 from "./migrations/0001_initial";
import * as m0002 from "./migrations/0002_api";
import * as m0003 from "./migrations/0003_event_args";
import * as m0004 from "./migrations/0004_loans_fillfactor";
import * as m0005 from "./migrations/0005_api_security";
import * as m0006 from "./migrations/0006_evidence";
import * as m0007 from "./migrations/0007_borrower_contacts";
import * as m0008 from "./migrations/0008_notices";
import * as m0009 from "./migrations/0009_notices_due";
import * as m0010 from "./migrations/0010_strategy";
import * as m0011 from "./migrations/0011_strategy_records";
import * as m0012 from "./migrations/0012_relief";
import * as m0013 from "./migrations/0013_arrears_plans";
import * as m0014 from "./migrations/0014_jurisdictions";
import * as m0015 from "./migrations/0015_agencies";
import * as m0016 from "./migrations/0016_queue_keys";
import * as m0017 from "./migrations/0017_cache_epochs";
import * as m0018 from "./migrations/0018_queue_keys_by_writer";
import * as m0019 from "./migrations/0019_raw_logs_bytes";
import * as m0020 from "./migrations/0020_actions_evidence_key";
import * as m0021 from "./migrations/0021_deferred_indexes";
import * as m0022 from "./migrations/0022_loans_rowid";
import * as m0023 from "./migrations/0023_reminders_latest";
import * as m0024 from "./migrations/0024_actions_recent_calls";
import * as m0025 from "./migrations/0025_history_loan_events";

export type Dialect = "sqlite" | "postgres";

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where it is, for logs (the password of a postgres URL is masked). */
  location: string;
  /** PostgreSQL schema (search_path) in use, when not `public`. */
  schema?: string;
  close(): Promise<void>;
}

const MIGRATIONS: Record<string, Migration> = {
  "0001_initial": m0001, "0002_api": m0002, "0003_event_args": m0003, "0004_loans_fillfactor": m0004,
  "0005_api_security": m0005, "0006_evidence": m0006, "0007_borrower_contacts": m0007, "0008_notices": m0008, "0009_notices_due": m0009, "0010_strategy": m0010, "0011_strategy_records": m0011, "0012_relief": m0012, "0013_arrears_plans": m0013, "0014_jurisdictions": m0014, "0015_agencies": m0015, "0016_queue_keys": m0016,
  "0017_cache_epochs": m0017,
  "0018_queue_keys_by_writer": m0018,
  "0019_raw_logs_bytes": m0019,
  "0020_actions_evidence_key": m0020,
  "0021_deferred_indexes": m0021,
  "0022_loans_rowid": m0022,
  "0023_reminders_latest": m0023,
  "0024_actions_recent_calls": m0024,
  "0025_history_loan_events": m0025,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/**
 * SQLite runs DDL inside transactions, but Kysely's SQLite adapter says it cannot, so its migrator
 * would create tables one autocommitted statement at a time: a process killed halfway would leave
 * tables without the migration's record, and every later start would fail ("table already
 * exists"). With this adapter each migration and its record commit together.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * Kysely's SQLite driver begins transactions DEFERRED: two processes migrating one new file at
 * once (the demo starts the indexer and the API together) would both read the migration table,
 * and the second to write would fail at once with "database is locked" (a read snapshot cannot
 * be upgraded once the other has committed, whatever the busy timeout). A migration transaction
 * begins IMMEDIATE instead: it takes the write lock first, so the second process waits its turn
 * (busy_timeout) and then finds the migrations applied.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

class MigrationSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`. */
export function maskUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]+@/, "$1:***@");
}

/**
 * The session options a pool's connections start with: the URL's `options` (else PGOPTIONS, as
 * libpq reads them), then the search_path of `?schema=`, which wins over any in them. node-postgres
 * takes `options` from one place only, and what it parses from the URL replaces what it is given:
 * a URL with both `options` and `?schema=` used to open its connections in `public`, and a schema
 * left PGOPTIONS unread.
 */
function sessionOptions(urlOptions: string | null, envOptions: string | undefined, schema: string | undefined): string | undefined {
  const parts = [urlOptions ?? envOptions, schema ? `-c search_path=${schema}` : undefined].filter((o): o is string => o !== undefined && o.trim() !== "");
  return parts.length ? parts.join(" ") : undefined;
}

// int8 (block numbers, timestamps, ids) as JS numbers: every such column stays below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/** How long opening a SQLite file waits for another process's lock to switch it to WAL. */
const WAL_WAIT_MS = 5_000;

/** How long a statement waits for another connection's write lock (SQLite's busy timeout). */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * How long opening a SQLite file waits for the write lock its migrations take (one transaction,
 * even when there is nothing to migrate): another process may be migrating a large book (0022
 * copies `loans`; the three migrations of 0022-0024 took 19.5 s on the realistic 1M book), and
 * the process that opens it meanwhile waits for it instead of failing with "database is locked".
 */
const MIGRATION_WAIT_MS = 600_000;

/**
 * Switches a SQLite connection to WAL (a no-op once the file is in WAL). On a new file this takes
 * an exclusive lock, and SQLite answers SQLITE_BUSY at once, without its busy timeout, where
 * waiting could deadlock: several processes opening one new file together (measured: 3 of 160
 * failed with "database is locked"). Such an answer is retried for up to WAL_WAIT_MS.
 */
async function enableWal(sqlite: BetterSqlite3.Database): Promise<void> {
  const until = Date.now() + WAL_WAIT_MS;
  for (;;) {
    try {
      sqlite.pragma("journal_mode = WAL");
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== "SQLITE_BUSY" || Date.now() >= until) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 20));
    }
  }
}

/** How long an idle connection of a pool with prepared reads stays open (10 s without them, node-postgres's default). */
export const PREPARED_IDLE_MS = 10 * 60_000;

export interface OpenOptions {
  /**
   * PostgreSQL: send reads outside transactions as named prepared statements (src/db/pg-prepared.ts),
   * unless the URL says `prepare=off`. For the API, whose reads repeat; the indexer's and the CLI's
   * run once or twice each, and preparing them costs more than it saves (measured: backfill CPU
   * +0.6 s).
   */
  preparedReads?: boolean;
  /** PostgreSQL: the most connections the pool opens (default: node-postgres's, 10). SQLite has one connection. */
  poolSize?: number;
}

/**
 * Opens the database named by `url`: a postgres:// URL (an optional `?schema=name` selects and
 * creates a schema, e.g. one per test run; `?prepare=off` keeps `preparedReads` off) or a SQLite
 * file path (WAL, created with its folder).
 * Runs the migrations before returning.
 */
export async function openDatabase(url: string, opts: OpenOptions = {}): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  let migrationDb: Kysely<Database> | undefined;
  let sqliteConnection: BetterSqlite3.Database | undefined;
  if (isPostgresUrl(url)) {
    const u = new URL(url);
    const schema = u.searchParams.get("schema") ?? undefined;
    u.searchParams.delete("schema");
    const prepare = takePrepareOption(u) && opts.preparedReads === true;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new InvalidSchemaNameError(schema);
    const options = sessionOptions(u.searchParams.get("options"), process.env.PGOPTIONS, schema);
    u.searchParams.delete("options");
    const pool = new pg.Pool({
      connectionString: u.toString(),
      ...(opts.poolSize !== undefined ? { max: opts.poolSize } : {}),
      ...(options !== undefined ? { options } : {}),
      // Prepared reads live as long as their connection: node-postgres's default closes one after
      // 10 s idle, and the first requests after a quiet spell then paid for new connections and
      // prepared every statement again.
      ...(prepare ? { idleTimeoutMillis: PREPARED_IDLE_MS } : {}),
    });
    // An idle connection the server ended (a restart, a failover, an administrator): node-postgres
    // drops it from the pool and emits the error on the pool, which would end the process without
    // a listener. The next query opens a new connection; one in flight gets its own error.
    pool.on("error", () => undefined);
    // A transaction started inside reserved.run(slot, ...) finds its client in the slot (for COPY).
    const reserved = new AsyncLocalStorage<ReservedClient>();
    const dialectPool = {
      connect: async () => {
        const client = await pool.connect();
        if (prepare) prepareReads(client);
        const slot = reserved.getStore();
        if (slot && !slot.client) slot.client = client;
        return client;
      },
      end: () => pool.end(),
    };
    // Introspection (the migrator's) reads this schema only: see SchemaIntrospector.
    const db = new Kysely<Database>({ dialect: new SchemaPostgresDialect({ pool: dialectPool }, schema ?? "public") });
    registerRawConnection(db, { dialect: "postgres", reserved });
    if (schema) {
      try {
        await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
      } catch (err) {
        // Processes started together race on it: the loser gets a unique violation, and the schema exists.
        if ((err as { code?: string }).code !== "23505") throw err;
      }
    }
    handle = { db, dialect: "postgres", location: maskUrl(url), schema, close: () => db.destroy() };
  } else {
    if (url !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(url)), { recursive: true });
    const sqlite = new BetterSqlite3(url);
    sqliteConnection = sqlite;
    await enableWal(sqlite);
    // WAL + NORMAL: a crash of the process loses nothing committed; the file stays consistent.
    sqlite.pragma("synchronous = NORMAL");
    // Until the migrations are done (see MIGRATION_WAIT_MS); then BUSY_TIMEOUT_MS.
    sqlite.pragma(`busy_timeout = ${MIGRATION_WAIT_MS}`);
    const statements = cachingStatements(sqlite);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }) });
    registerRawConnection(db, { dialect: "sqlite", sqlite });
    registerDirectReads(db, statements.readNow);
    // The migrations run through a second Kysely over the same connection (its transactions begin
    // IMMEDIATE); it is not destroyed, which would close the connection.
    migrationDb = new Kysely<Database>({ dialect: new MigrationSqliteDialect({ database: sqlite }) });
    handle = { db, dialect: "sqlite", location: url, close: () => db.destroy() };
  }
  const migrator = new Migrator({
    db: migrationDb ?? handle.db,
    provider: new StaticMigrationProvider(),
    // Kysely looks for its bookkeeping tables in every schema unless told which one: without this,
    // a fresh schema in a database where another schema is indexed would pass for migrated.
    ...(handle.dialect === "postgres" ? { migrationTableSchema: handle.schema ?? "public" } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    await handle.close();
    throw new MigrationError(failed?.migrationName, error);
  }
  if (sqliteConnection) sqliteConnection.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return handle;
}
