/**
 * Shared harness of the indexer survival tests: one database per scenario and dialect (a SQLite
 * file in a temporary folder, or a fresh PostgreSQL schema dropped afterwards), the indexer run
 * in process or as the real CLI in its own process group, and row-for-row database comparison.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { expect } from "chai";
import pg from "pg";
import pino from "pino";
import { createChainClient } from "../../../src/chain/client";
import { loadDeployment } from "../../../src/chain/deployments";
import { openDatabase, type DatabaseHandle, type Dialect } from "../../../src/db/connect";
import { createIndexer, type IndexerOptions } from "../../../src/indexer/indexer";
import { createIndexerMetrics } from "../../../src/indexer/metrics";
import { dumpDatabase } from "../../support/db-dump";
import { REPO_ROOT, deployTo, runWorkloadOn, startNode, tempDeploymentsDir, type TestNode } from "../../support/chain";
import { cliCommand } from "../../support/cli";

export const DIALECTS: readonly Dialect[] = ["sqlite", "postgres"];

/** PostgreSQL server of the postgres variants (CI: postgres://postgres@127.0.0.1:5432/test). */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL;

/**
 * Declares `body` once per dialect. Without TEST_POSTGRES_URL the PostgreSQL variant is declared
 * skipped (it shows as pending) and a notice says how to run it.
 */
export function describeEachDialect(title: string, body: (dialect: Dialect) => void, dialects: readonly Dialect[] = DIALECTS): void {
  for (const dialect of dialects) {
    const name = `${title} [${dialect}]`;
    if (dialect === "postgres" && !POSTGRES_URL) {
      console.warn(`  notice: "${name}" skipped: set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run it against PostgreSQL`);
      describe.skip(name, () => body(dialect));
    } else {
      describe(name, () => body(dialect));
    }
  }
}

export interface TestDatabase {
  dialect: Dialect;
  /** What `--db` takes: a SQLite path or a postgres URL with `?schema=`. */
  url: string;
  /** The PostgreSQL schema, when postgres. */
  schema?: string;
  open(): Promise<DatabaseHandle>;
  /** Whether the file or schema exists yet (a first start creates it, then migrates). */
  exists(): Promise<boolean>;
  /** The cursor block, read without migrating (undefined while the tables do not exist yet). */
  cursorBlock(): Promise<number | undefined>;
  /** Deletes the file or drops the schema. */
  drop(): Promise<void>;
}

const tempDirs: string[] = [];

/** A temporary folder removed by {@link removeTempDirs}. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `duetrail-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** A fresh deployments folder (test/support's), removed by {@link removeTempDirs}. */
export function tempDeployments(): string {
  const dir = tempDeploymentsDir();
  tempDirs.push(dir);
  return dir;
}

/** A local node with the contracts deployed (into a {@link tempDeployments} folder) and `workload` run on it. */
export async function startWorkloadNode(workload: { loans: number; rounds: number; actions: number }): Promise<{ node: TestNode; deploymentsDir: string }> {
  const node = await startNode();
  const deploymentsDir = tempDeployments();
  await deployTo(node.url, deploymentsDir);
  await runWorkloadOn(node.url, deploymentsDir, workload);
  return { node, deploymentsDir };
}

export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

function postgresUrlWithSchema(base: string, schema: string): string {
  const u = new URL(base);
  u.searchParams.set("schema", schema);
  return u.toString();
}

/** A fresh, empty database of `dialect` (nothing is created until something opens it). */
export function createTestDatabase(dialect: Dialect, tag: string): TestDatabase {
  const suffix = `${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
  if (dialect === "sqlite") {
    const file = path.join(tempDir(`db-${tag}`), "index.db");
    let reader: BetterSqlite3.Database | undefined;
    return {
      dialect,
      url: file,
      open: () => openDatabase(file),
      exists: async () => fs.existsSync(file),
      async cursorBlock() {
        if (!fs.existsSync(file)) return undefined;
        try {
          reader ??= new BetterSqlite3(file, { readonly: true, fileMustExist: true });
          const row = reader.prepare("select block_number from cursor where id = 1").get() as { block_number: number } | undefined;
          return row?.block_number;
        } catch {
          reader?.close();
          reader = undefined;
          return undefined;
        }
      },
      async drop() {
        reader?.close();
        reader = undefined;
        for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
      },
    };
  }
  if (!POSTGRES_URL) throw new Error("TEST_POSTGRES_URL is not set");
  const schema = `idx_${tag.replace(/[^a-z0-9_]/g, "_")}_${suffix}`;
  let client: pg.Client | undefined;
  const connect = async () => {
    if (!client) {
      client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
    }
    return client;
  };
  return {
    dialect,
    url: postgresUrlWithSchema(POSTGRES_URL, schema),
    schema,
    open: () => openDatabase(postgresUrlWithSchema(POSTGRES_URL, schema)),
    async exists() {
      const c = await connect();
      return (await c.query("select 1 from pg_namespace where nspname = $1", [schema])).rowCount === 1;
    },
    async cursorBlock() {
      const c = await connect();
      try {
        const r = await c.query<{ block_number: string }>(`select block_number from "${schema}".cursor where id = 1`);
        return r.rows[0] ? Number(r.rows[0].block_number) : undefined;
      } catch (err) {
        if ((err as { code?: string }).code === "42P01" || (err as { code?: string }).code === "3F000") return undefined; // no table / schema yet
        throw err;
      }
    },
    async drop() {
      const c = await connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
      client = undefined;
    },
  };
}

/** Runs `fn` with a PostgreSQL client of the test server (for pg_locks probes and the like). */
export async function withPostgres<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface InProcessRun {
  rpcUrl: string;
  deploymentsDir: string;
  database: TestDatabase;
  options?: Partial<IndexerOptions>;
  /** The indexer's logger (default: silent, or TEST_INDEXER_LOG's level). */
  logger?: pino.Logger;
}

export const DEFAULT_OPTIONS: IndexerOptions = {
  confirmations: 0,
  reorgWindow: 64,
  pollIntervalMs: 50,
  maxBlockRange: 10_000,
  exitAtTip: true,
};

const testLogger = () => pino({ level: process.env.TEST_INDEXER_LOG ?? "silent" });

/** Runs the indexer in this process until the tip (exitAtTip) and closes the database. */
export async function indexToTip({ rpcUrl, deploymentsDir, database, options, logger }: InProcessRun): Promise<void> {
  const handle = await database.open();
  try {
    await startIndexer({ rpcUrl, deploymentsDir, handle, options: { ...options, exitAtTip: true }, logger }).run();
  } finally {
    await handle.close();
  }
}

/** An in-process indexer on an open database (the caller runs, stops and closes). */
export function startIndexer(p: { rpcUrl: string; deploymentsDir: string; handle: DatabaseHandle; options?: Partial<IndexerOptions>; logger?: pino.Logger }) {
  return createIndexer({
    client: createChainClient(p.rpcUrl),
    database: p.handle,
    deployment: loadDeployment("localhost", p.deploymentsDir),
    options: { ...DEFAULT_OPTIONS, ...p.options },
    services: { logger: p.logger ?? testLogger(), metrics: createIndexerMetrics() },
  });
}

export type Dump = Record<string, unknown[]>;

export async function dumpOf(database: TestDatabase): Promise<Dump> {
  const handle = await database.open();
  try {
    return await dumpDatabase(handle.db);
  } finally {
    await handle.close();
  }
}

/** The dump of a clean index of the chain as it is now, into a fresh database of `dialect`. */
export async function cleanDump(rpcUrl: string, deploymentsDir: string, dialect: Dialect, options: Partial<IndexerOptions> = {}): Promise<Dump> {
  const database = createTestDatabase(dialect, "clean");
  try {
    await indexToTip({ rpcUrl, deploymentsDir, database, options });
    return await dumpOf(database);
  } finally {
    await database.drop();
  }
}

/**
 * Asserts two dumps are equal row for row; on a difference the message names the table and the
 * first differing row instead of printing both databases.
 */
export function expectSameRows(actual: Dump, expected: Dump, what = "database"): void {
  expect(Object.keys(actual).sort(), `${what}: tables`).to.deep.equal(Object.keys(expected).sort());
  for (const table of Object.keys(expected)) {
    const a = actual[table];
    const e = expected[table];
    const n = Math.min(a.length, e.length);
    for (let i = 0; i < n; i++) {
      const ja = JSON.stringify(a[i]);
      const je = JSON.stringify(e[i]);
      if (ja !== je) expect.fail(`${what}: ${table} row ${i} differs\n  actual:   ${ja}\n  expected: ${je}`);
    }
    if (a.length !== e.length) {
      const extra = a.length > e.length ? `extra row ${JSON.stringify(a[n])}` : `missing row ${JSON.stringify(e[n])}`;
      expect.fail(`${what}: ${table} has ${a.length} rows, expected ${e.length} (${extra})`);
    }
  }
}

/** Rows of the main event tables, to check a scenario indexed something worth comparing. */
export function rowCount(dump: Dump, table: string): number {
  return dump[table]?.length ?? 0;
}

// ------------------------------------------------------------------ the CLI as a child process

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface IndexerProcess {
  child: ChildProcess;
  /** Parsed JSON log lines so far. */
  logs: LogLine[];
  /** Everything it printed (stdout and stderr). */
  output(): string;
  /** Resolves with the first log line `match` accepts (also one already seen). */
  waitForLog(match: string | ((l: LogLine) => boolean), timeoutMs: number): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL to the whole process group (npx, node); resolves once it exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  alive(): boolean;
}

const children = new Set<IndexerProcess>();

/** `node dist/cli/index.js index <args>` (as `npm run cli` runs it) in its own process group. */
export function spawnIndexerCli(args: string[]): IndexerProcess {
  return spawnCliProcess(...cliCommand(["index", ...args]), { DATABASE_URL: "", RPC_URL: "", DEPLOYMENTS_DIR: "" });
}

/**
 * A CLI command from the transpiled dist/ (`node dist/cli/index.js <command> <args>`: starts in
 * about a second; run `node scripts/prepare-cli.js` once first) in its own process group, with
 * `env` over the test's environment.
 */
export function spawnDistCli(command: string, args: string[], env: NodeJS.ProcessEnv): IndexerProcess {
  return spawnCliProcess(process.execPath, [path.join(REPO_ROOT, "dist", "cli", "index.js"), command, ...args], env);
}

function spawnCliProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv): IndexerProcess {
  const child = spawn(cmd, args, {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const logs: LogLine[] = [];
  let output = "";
  let partial = "";
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  child.stdout!.on("data", (d: Buffer) => {
    output += d.toString();
    partial += d.toString();
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        continue;
      }
      logs.push(parsed);
      for (const w of [...waiters]) {
        if (w.match(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    }
  });
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    }),
  );
  const proc: IndexerProcess = {
    child,
    logs,
    output: () => output,
    waitForLog(match, timeoutMs) {
      const pred = typeof match === "string" ? (l: LogLine) => l.msg === match : match;
      const seen = logs.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`indexer did not log ${typeof match === "string" ? `"${match}"` : "the expected line"} in ${timeoutMs} ms; output:\n${output.slice(-4000)}`));
        }, timeoutMs);
        const waiter = {
          match: pred,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        waiters.push(waiter);
        void exited.then(() => {
          if (!waiters.includes(waiter)) return;
          waiters.splice(waiters.indexOf(waiter), 1);
          clearTimeout(timer);
          reject(new Error(`indexer exited (${JSON.stringify(exitInfo)}) before logging the expected line; output:\n${output.slice(-4000)}`));
        });
      });
    },
    exited,
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      if (exitInfo) return;
      try {
        process.kill(-child.pid!, signal);
      } catch {
        child.kill(signal);
      }
      await exited;
    },
    alive: () => exitInfo === undefined,
  };
  children.add(proc);
  void exited.then(() => children.delete(proc));
  return proc;
}

/** Kills every CLI process a test started that is still alive (after/afterEach). */
export async function killIndexerProcesses(): Promise<void> {
  await Promise.all([...children].map((p) => p.kill("SIGKILL")));
}

/** CLI arguments for `index` against a node, a deployments folder and a database. */
export function cliArgs(rpcUrl: string, deploymentsDir: string, database: TestDatabase, extra: string[] = []): string[] {
  return [
    "--rpc", rpcUrl,
    "--network", "localhost",
    "--deployments", deploymentsDir,
    "--db", database.url,
    "--confirmations", "0",
    "--poll-interval-ms", "100",
    "--log-level", "info",
    ...extra,
  ];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value `done` accepts, or fails after `timeoutMs`. */
export async function waitUntil<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(everyMs);
    last = await probe();
  }
  return last;
}
