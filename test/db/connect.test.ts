/**
 * Opening a database runs the migrations (src/db/connect.ts). Processes started together on one
 * new SQLite file (the demo starts the indexer and the API at once) must all open it: one applies
 * the migrations, the others wait for its write lock and find them applied.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { openDatabase } from "../../src/db/connect";
import { REPO_ROOT } from "../support/chain";
import { POSTGRES_URL, describeEachDialect } from "../indexer/helpers/harness";

/** A process that loads the module, says "ready", and opens `file` when told "go". */
const CHILD = `
const { openDatabase } = require("./src/db/connect.ts");
process.stdout.write("ready\\n");
process.stdin.once("data", () =>
  openDatabase(process.argv[1]).then(
    (h) => h.close().then(() => process.stdout.write("opened\\n")),
    (err) => { process.stdout.write("failed: " + err.message + "\\n"); process.exitCode = 1; },
  ),
);
`;

interface Opener {
  child: ChildProcess;
  output: string;
  ready: Promise<void>;
  exited: Promise<number | null>;
}

function startOpener(file: string): Opener {
  const child = spawn(process.execPath, ["-r", "ts-node/register", "-e", CHILD, file], {
    cwd: REPO_ROOT,
    env: { ...process.env, TS_NODE_SWC: "true", TS_NODE_TRANSPILE_ONLY: "true" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const opener = { child, output: "" } as Opener;
  child.stdout!.on("data", (d: Buffer) => (opener.output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (opener.output += d.toString()));
  opener.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  opener.ready = new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (opener.output.includes("ready")) {
        clearInterval(poll);
        resolve();
      }
    }, 20);
    void opener.exited.then(() => {
      clearInterval(poll);
      reject(new Error(`the opener exited before it was ready:\n${opener.output}`));
    });
  });
  return opener;
}

describe("openDatabase: SQLite files several processes open", function () {
  this.timeout(120_000);
  let dir: string;

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-connect-"));
  });

  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Before the migrations began IMMEDIATE, about one pair in two failed ("database is locked"):
  // four processes on each of three files leave that no room to pass by luck.
  it("all open it, and each migration is applied once", async function () {
    for (let round = 0; round < 3; round++) {
      const file = path.join(dir, `round-${round}`, "index.db");
      const openers = Array.from({ length: 4 }, () => startOpener(file));
      await Promise.all(openers.map((o) => o.ready));
      for (const o of openers) o.child.stdin!.end("go\n");
      const codes = await Promise.all(openers.map((o) => o.exited));
      for (const [i, o] of openers.entries()) {
        expect(o.output, `round ${round}, process ${i}`).to.include("opened").and.not.include("failed");
        expect(codes[i], `round ${round}, process ${i}`).to.equal(0);
      }
      const handle = await openDatabase(file);
      try {
        const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(handle.db);
        const migrations = fs.readdirSync(path.join(REPO_ROOT, "src", "db", "migrations")).map((f) => path.basename(f, ".ts"));
        expect(applied.rows.map((r) => r.name)).to.deep.equal(migrations.sort());
      } finally {
        await handle.close();
      }
    }
  });

  // Another process migrating a large book holds the lock for as long as its copy takes (19.5 s for
  // the realistic 1M book): past the 5 s busy timeout, opening failed with "database is locked".
  it("waits for the lock beyond the busy timeout, then opens it; later statements wait 5 s", async function () {
    const file = path.join(dir, "index.db");
    const first = await openDatabase(file);
    expect((await sql<{ timeout: number }>`pragma busy_timeout`.execute(first.db)).rows).to.deep.equal([{ timeout: 5_000 }]);
    const opener = startOpener(file);
    await opener.ready;
    await sql`begin immediate`.execute(first.db);
    try {
      opener.child.stdin!.end("go\n");
      await new Promise((resolve) => setTimeout(resolve, 6_500));
      expect(opener.output).to.not.include("opened").and.not.include("failed");
    } finally {
      await sql`commit`.execute(first.db);
      await first.close();
    }
    expect(await opener.exited, opener.output).to.equal(0);
    expect(opener.output).to.include("opened");
  });
});

describeEachDialect(
  "openDatabase on PostgreSQL: the pool, and introspection that stays in its schema",
  () => {
    const base = POSTGRES_URL!;
    const other = `connect_other_${process.pid}`;
    const ours = `connect_ours_${process.pid}`;
    const ROUNDS = 20;
    let admin: pg.Client;

    before(async function () {
      admin = new pg.Client({ connectionString: base });
      await admin.connect();
      await admin.query(`drop schema if exists ${other} cascade; create schema ${other}`);
      // Another schema with many tables: Kysely's own introspection read every column of these.
      for (let t = 0; t < 40; t++) await admin.query(`create table ${other}.t${t} (${Array.from({ length: 10 }, (_, c) => `c${c} int`).join(", ")})`);
    });

    after(async function () {
      const rounds = Array.from({ length: ROUNDS }, (_, r) => `, ${ours}_${r}`).join("");
      await admin.query(`drop schema if exists ${other}, ${ours}${rounds} cascade`);
      await admin.end();
    });

    it("lists only the tables of its own schema", async function () {
      const handle = await openDatabase(`${base}?schema=${ours}`);
      try {
        const tables = await handle.db.introspection.getTables({ withInternalKyselyTables: true });
        expect(tables.length).to.be.greaterThan(10);
        expect(new Set(tables.map((t) => t.schema))).to.deep.equal(new Set([ours]));
        expect(tables.map((t) => t.name)).to.include.members(["loans", "kysely_migration", "kysely_migration_lock"]);
        const plain = await handle.db.introspection.getTables();
        expect(plain.map((t) => t.name)).to.not.include.members(["kysely_migration"]);
      } finally {
        await handle.close();
      }
    });

    it("opens its connections in its schema, with the URL's options or else PGOPTIONS", async function () {
      /** search_path, statement_timeout and lock_timeout of a connection of `url`'s pool. */
      const settings = async (url: string) => {
        const handle = await openDatabase(url);
        try {
          const r = await sql<{ path: string; statement: string; lock: string }>`select current_setting('search_path') as path, current_setting('statement_timeout') as statement, current_setting('lock_timeout') as lock`.execute(handle.db);
          return r.rows[0]!;
        } finally {
          await handle.close();
        }
      };
      const options = (o: string) => `&options=${encodeURIComponent(o)}`;
      const saved = process.env.PGOPTIONS;
      try {
        delete process.env.PGOPTIONS;
        expect(await settings(`${base}?schema=${ours}${options("-c statement_timeout=4321")}`)).to.deep.equal({ path: ours, statement: "4321ms", lock: "0" });
        // A search_path among the options gives way to the schema the URL names.
        expect((await settings(`${base}?schema=${ours}${options("-c search_path=public")}`)).path).to.equal(ours);
        process.env.PGOPTIONS = "-c lock_timeout=1234";
        expect(await settings(`${base}?schema=${ours}`)).to.deep.equal({ path: ours, statement: "0", lock: "1234ms" });
        // As libpq: the URL's options, when it has them, instead of PGOPTIONS.
        expect(await settings(`${base}?schema=${ours}${options("-c statement_timeout=4321")}`)).to.deep.equal({ path: ours, statement: "4321ms", lock: "0" });
      } finally {
        if (saved === undefined) delete process.env.PGOPTIONS;
        else process.env.PGOPTIONS = saved;
      }
    });

    it("opens at most poolSize connections (10 by default)", async function () {
      /** Backends that answered 12 statements run at once, each holding its connection 100 ms. */
      const backends = async (poolSize?: number) => {
        const handle = await openDatabase(`${base}?schema=${ours}`, poolSize === undefined ? {} : { poolSize });
        try {
          const rows = await Promise.all(Array.from({ length: 12 }, () => sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.1)`.execute(handle.db)));
          return new Set(rows.map((r) => r.rows[0]!.pid)).size;
        } finally {
          await handle.close();
        }
      };
      expect(await backends(3)).to.equal(3);
      expect(await backends()).to.equal(10);
    });

    it("outlives an idle connection the server ends, and the next query connects again", async function () {
      const handle = await openDatabase(`${base}?schema=${ours}`);
      try {
        const pid = async () => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db)).rows[0]!.pid;
        const idle = await pid();
        const ended = await admin.query<{ ok: boolean }>("select pg_terminate_backend($1) as ok", [idle]);
        expect(ended.rows[0]!.ok).to.equal(true);
        // The pool hears of it on the idle connection (an unheard "error" event would end this process).
        await new Promise((r) => setTimeout(r, 300));
        const next = await pid();
        expect(next).to.not.equal(idle);
      } finally {
        await handle.close();
      }
    });

    it("keeps a pool's idle connections past node-postgres's 10 s when its reads are prepared (the API's), not otherwise", async function () {
      this.timeout(30_000);
      /** The backend of a query, and of one 10.5 s later. */
      const backends = async (preparedReads: boolean) => {
        const handle = await openDatabase(`${base}?schema=${ours}`, { preparedReads });
        try {
          const pid = async () => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db)).rows[0]!.pid;
          const first = await pid();
          await new Promise((r) => setTimeout(r, 10_500));
          return [first, await pid()];
        } finally {
          await handle.close();
        }
      };
      const [prepared, plain] = await Promise.all([backends(true), backends(false)]);
      expect(prepared[1], "the same connection, its statements still prepared").to.equal(prepared[0]);
      expect(plain[1], "closed after 10 s idle, a new one").to.not.equal(plain[0]);
    });

    // The failure this prevents: another process altering its own schema while this one migrates
    // (a test suite or a benchmark copy sharing the database) failed the migrations with "column
    // ... of relation ... does not exist", from Kysely reading that schema's columns.
    it("migrates while another schema of the database is being altered", async function () {
      this.timeout(120_000);
      let churning = true;
      const churn = (async () => {
        let i = 0;
        while (churning) {
          const t = `${other}.t${i++ % 40}`;
          // Two statements, two commits: the column exists between them.
          await admin.query(`alter table ${t} add column extra int`);
          await admin.query(`alter table ${t} drop column extra`);
        }
      })();
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const schema = `${ours}_${round}`;
          const handle = await openDatabase(`${base}?schema=${schema}`);
          await handle.close();
          await admin.query(`drop schema ${schema} cascade`);
        }
      } finally {
        churning = false;
        await churn;
      }
    });
  },
  ["postgres"],
);
