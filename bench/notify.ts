/**
 * `npm run bench:notify`: notices per second from the outbox to the providers, and the outbox lag.
 *
 * For each database (SQLite; PostgreSQL when BENCH_POSTGRES_URL or TEST_POSTGRES_URL is set) and
 * each book size (BENCH_NOTIFY_SIZES, default 10000,100000 pending notices):
 *  - throughput: that many email notices pending, drained by one dispatcher (src/notify/dispatcher.ts
 *    wired as `notify` wires it: src/notify/wiring.ts) into the SMTP stand-in → smtpPerSec; then as
 *    many SMS notices into the SMS stand-in → smsPerSec. Each notice goes the whole way: contact
 *    rules, rendering, the evidence store (fsynced), the provider, the fenced write of its fate;
 *  - lag: notices become final at LAG_RATE a second (written as the planner writes them) for
 *    LAG_SECONDS while the dispatcher runs as `notify` does (a pass; sleep the poll interval when
 *    a pass was not full); lag = accepted by the provider − final (p50, p95).
 * The stand-ins run in a process of their own (bench/notify/providers.ts), as a provider would.
 * Chain time is the book's (a weekday afternoon in the borrowers' zone: contact allowed).
 *
 * Writes bench/results/notify.json. Targets: smtpPerSec ≥ 500; lag p95 ≤ poll + 2 s. Run it alone on the machine.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import type { Kysely } from "kysely";
import pino from "pino";
import type { PublicClient } from "viem";
import type { Deployment } from "../src/chain/deployments";
import { loadSettings } from "../src/config";
import type { NoticeChannel } from "../src/db/notify-tables";
import type { Database } from "../src/db/schema";
import { dispatchPass, type DispatcherDeps } from "../src/notify/dispatcher";
import { dispatcherFrom, NOTIFY_SETTINGS } from "../src/notify/wiring";
import { piiKeyring } from "../src/pii/crypto";
import { buildWorld, insertNotices, pendingNotice, settleTables, type World } from "./notify/world";
import { quantile } from "./quantile";

const SIZES = (process.env.BENCH_NOTIFY_SIZES ?? "10000,100000").split(",").map(Number);
const PG_URL = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL;
const LAG_RATE = 200;
const LAG_SECONDS = 20;
const POLL_MS = 1_000;
const TARGET_SMTP_PER_SEC = 500;
const TARGET_LAG_P95_MS = POLL_MS + 2_000;
const PII_KEY = `bench:${crypto.createHash("sha256").update("bench notify").digest("hex")}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the stand-ins in their own process; resolves with the settings pointing at them. */
async function startProviders(dir: string): Promise<{ env: Record<string, string>; child: ChildProcess }> {
  const child = spawn(process.execPath, ["-r", "ts-node/register", path.join(__dirname, "notify", "providers.ts"), dir], { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, TS_NODE_SWC: "true" } });
  const line = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the providers' process exited (${code})`)));
    readline.createInterface({ input: child.stdout! }).once("line", resolve);
  });
  return { env: JSON.parse(line) as Record<string, string>, child };
}

async function stopProviders(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.stdin!.end();
  await Promise.race([exited, sleep(5_000)]);
  child.kill("SIGKILL");
}

async function statusCounts(db: Kysely<Database>, tag: string): Promise<Record<string, number>> {
  const rows = await db.selectFrom("notices").select(["status"]).select((eb) => eb.fn.countAll<number>().as("n")).where("trigger_id", "like", `req:bench-${tag}-%`).groupBy("status").execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Runs passes until a pass claims nothing; returns the seconds taken. Prints progress every 5 s. */
async function drain(d: DispatcherDeps, total: number, label: string): Promise<number> {
  const t0 = performance.now();
  let done = 0;
  let shown = t0;
  for (;;) {
    const r = await dispatchPass(d);
    if (process.env.BENCH_DEBUG) console.error(r, await d.db.selectFrom("notices").select("reason").where("reason", "is not", null).limit(1).execute());
    if (r.claimed === 0) break;
    done += r.claimed;
    if (performance.now() - shown > 5_000) {
      shown = performance.now();
      console.error(`    ${label}: ${done}/${total} (${Math.round(done / ((shown - t0) / 1000))}/s)`);
    }
  }
  return (performance.now() - t0) / 1000;
}

interface Row {
  db: "sqlite" | "postgres";
  pending: number;
  smtpPerSec: number;
  smsPerSec: number;
  lagMs: { p50: number; p95: number; max: number; notices: number };
  /** Notices not sent (failed, deferred, still pending) in each phase, and messages the stand-ins did not receive. */
  errors: { email: number; sms: number; lag: number; notReceived: number };
}

async function runOne(kind: "sqlite" | "postgres", size: number, root: string): Promise<Row> {
  const dir = fs.mkdtempSync(path.join(root, `${kind}-${size}-`));
  const lagLoans = LAG_RATE * LAG_SECONDS;
  const providers = await startProviders(path.join(dir, "providers"));
  let world: World | undefined;
  try {
    const env = {
      ...providers.env,
      DATABASE_URL: path.join(dir, "book.sqlite"),
      EVIDENCE_DIR: path.join(dir, "evidence"),
      LETTERS_DIR: path.join(dir, "letters"),
      PII_KEY,
      NOTIFY_POLL_MS: String(POLL_MS),
    };
    const settings = loadSettings(NOTIFY_SETTINGS, {}, { ...process.env, ...env });
    world = await buildWorld(path.join(dir, "book.sqlite"), size + lagLoans, piiKeyring(settings), kind === "postgres" ? PG_URL : undefined);
    const t = world.t;
    const d = dispatcherFrom({
      settings: { ...settings, databaseUrl: world.url },
      db: world.handle.db,
      dialect: world.handle.dialect,
      client: undefined as unknown as PublicClient, // no chain: chain time and token facts are given
      deployment: undefined as unknown as Deployment,
      logger: pino({ level: "silent" }),
      chainNow: async () => BigInt(t),
      tokenInfo: async () => ({ symbol: "USDT", decimals: 6 }),
    });
    const db = world.handle.db;
    const loans = await db.selectFrom("loans").select(["loan_id", "borrower_ref"]).orderBy("loan_id").execute();
    const book = loans.slice(0, size);

    const perSec: Record<"email" | "sms", number> = { email: 0, sms: 0 };
    const errors = { email: 0, sms: 0, lag: 0, notReceived: 0 };
    for (const channel of ["email", "sms"] as const) {
      await insertNotices(db, book.map((l) => pendingNotice(l, channel, t, Date.now(), channel)));
      await settleTables(world.handle);
      const seconds = await drain(d, size, `${kind} ${size} ${channel}`);
      const counts = await statusCounts(db, channel);
      const sent = (counts.sent ?? 0) + (counts.delivered ?? 0);
      errors[channel] = size - sent;
      perSec[channel] = Math.round(sent / seconds);
      console.error(`  ${kind} ${size} ${channel}: ${sent} sent in ${seconds.toFixed(1)} s = ${perSec[channel]}/s ${JSON.stringify(counts)}`);
    }

    // Lag: notices become final at LAG_RATE/s while the dispatcher runs as `notify` runs it.
    const lagBook = loans.slice(size, size + lagLoans);
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        const r = await dispatchPass(d);
        if (r.claimed < (d.batch ?? 200)) await sleep(POLL_MS);
      }
    })();
    const tick = 100;
    const perTick = (LAG_RATE * tick) / 1000;
    const t0 = performance.now();
    for (let i = 0; i < lagBook.length; i += perTick) {
      const due = t0 + (i / perTick) * tick;
      if (due > performance.now()) await sleep(due - performance.now());
      const now = Date.now();
      await insertNotices(db, lagBook.slice(i, i + perTick).map((l, k) => pendingNotice(l, (k % 2 === 0 ? "email" : "sms") as NoticeChannel, t, now, "lag")));
    }
    const until = performance.now() + 30_000;
    while (performance.now() < until) {
      const c = await statusCounts(db, "lag");
      if ((c.pending ?? 0) + (c.deferred ?? 0) === 0) break;
      await sleep(200);
    }
    stop = true;
    await loop;
    const lag = await db.selectFrom("notices").select(["created_ms", "sent_ms"]).where("trigger_id", "like", "req:bench-lag-%").where("sent_ms", "is not", null).execute();
    const lags = lag.map((r) => Number(r.sent_ms) - Number(r.created_ms)).sort((a, b) => a - b);
    errors.lag = lagBook.length - lags.length;
    console.error(`  ${kind} ${size} lag: ${lags.length} notices, p50 ${quantile(lags, 0.5)} ms, p95 ${quantile(lags, 0.95)} ms`);

    for (const c of Object.values(d.channels)) await c?.close?.();
    const mail = fs.readdirSync(path.join(dir, "providers", "mail")).filter((f) => f.endsWith(".eml")).length;
    const sms = fs.readFileSync(path.join(dir, "providers", "sms.log"), "utf8").split("\n").filter(Boolean).length;
    const expected = size * 2 + lags.length;
    errors.notReceived = Math.max(0, expected - mail - sms);
    return {
      db: kind,
      pending: size,
      smtpPerSec: perSec.email,
      smsPerSec: perSec.sms,
      lagMs: { p50: quantile(lags, 0.5), p95: quantile(lags, 0.95), max: lags[lags.length - 1] ?? NaN, notices: lags.length },
      errors,
    };
  } finally {
    await world?.close();
    await stopProviders(providers.child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "bench-notify-"));
  const kinds: ("sqlite" | "postgres")[] = process.env.BENCH_NOTIFY_DB ? [process.env.BENCH_NOTIFY_DB as "sqlite" | "postgres"] : PG_URL ? ["sqlite", "postgres"] : ["sqlite"];
  if (!PG_URL) console.error("BENCH_POSTGRES_URL / TEST_POSTGRES_URL not set: PostgreSQL is not measured");
  const rows: Row[] = [];
  try {
    for (const kind of kinds) {
      for (const size of SIZES) {
        console.error(`${kind}, ${size} pending notices`);
        rows.push(await runOne(kind, size, root));
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  const checks = rows.flatMap((r) => [
    { check: `${r.db} @ ${r.pending}: smtpPerSec ${r.smtpPerSec} >= ${TARGET_SMTP_PER_SEC}`, pass: r.smtpPerSec >= TARGET_SMTP_PER_SEC },
    { check: `${r.db} @ ${r.pending}: lag p95 ${r.lagMs.p95} ms <= poll ${POLL_MS} ms + 2 s`, pass: r.lagMs.p95 <= TARGET_LAG_P95_MS },
    { check: `${r.db} @ ${r.pending}: every notice sent and received (${JSON.stringify(r.errors)})`, pass: Object.values(r.errors).every((e) => e === 0) },
  ]);
  // The shape: { sqlite: {...}, postgres: {...} } at the largest size; every size under `runs`.
  const headline = (db: "sqlite" | "postgres") => {
    const r = rows.filter((x) => x.db === db).sort((a, b) => b.pending - a.pending)[0];
    return r ? { smtpPerSec: r.smtpPerSec, smsPerSec: r.smsPerSec, lagMs: { p50: r.lagMs.p50, p95: r.lagMs.p95 }, pending: r.pending } : undefined;
  };
  const out = {
    generatedAt: new Date().toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model },
    sqlite: headline("sqlite"),
    postgres: headline("postgres"),
    runs: rows,
    method: {
      book: "loans synthesized with the indexer's row shapes (bench/api/synthesize.ts), one sealed contact record per borrower (consent on every channel, Asia/Shanghai), copied into PostgreSQL for its runs; on PostgreSQL the tables are vacuumed and analysed once written (the notices too, before each phase), as autovacuum keeps a database in use",
      throughput: "N email notices pending (template reminder.overdue, one per loan), drained by one dispatcher (dispatchPass as `notify` wires it: batch and concurrency at their defaults) into the SMTP stand-in; then N SMS notices for the same loans into the SMS stand-in. Each notice: contact rules (caps read from the outbox and the trail), rendering, the evidence store (fsynced), the provider, the write of its fate",
      lag: `${LAG_RATE} notices/s (half email, half SMS, fresh loans) become final for ${LAG_SECONDS} s while the dispatcher loops as \`notify\` does (poll ${POLL_MS} ms when a pass is not full); lag = sent_ms − created_ms (provider accepted − written by the planner)`,
      providers: "the demo's stand-ins (smtp-server writing .eml files; the SMS Messages API stand-in appending to sms.log) in a process of their own on loopback",
      chainTime: "the book's (fixed; within the borrowers' contact hours)",
      notMeasured: "the planner's pass (reading final events) and the on-chain recorder: lag starts when the planner has written the notice",
    },
    checks,
    pass: checks.every((c) => c.pass),
  };
  const file = path.join(__dirname, "results", "notify.json");
  fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.table(rows.map((r) => ({ db: r.db, pending: r.pending, smtpPerSec: r.smtpPerSec, smsPerSec: r.smsPerSec, lagP50: r.lagMs.p50, lagP95: r.lagMs.p95, errors: JSON.stringify(r.errors) })));
  for (const c of checks) console.log(`${c.pass ? "PASS" : "FAIL"} ${c.check}`);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
