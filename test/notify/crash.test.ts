/**
 * The `notify` process killed with SIGKILL while it sends, again and again, on SQLite and
 * PostgreSQL: every notice ends sent once in Duetrail's records and recorded once on chain; the SMTP
 * provider (the stand-in) gets each at least once, under one Message-ID (a resend after a kill is
 * allowed and counted). On PostgreSQL, two `notify` processes at once share the outbox without one
 * row sent twice.
 */
import crypto from "node:crypto";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { expect } from "chai";
import type { Kysely } from "kysely";
import { toHex } from "viem";
import type { DatabaseHandle } from "../../src/db/connect";
import type { Database } from "../../src/db/schema";
import { startSmtpStandIn, type SmtpStandIn } from "../../src/notify/standins";
import { prng } from "../support/prng";
import { deployTo, REPO_ROOT, runWorkloadOn, startNode, type TestNode } from "../support/chain";
import { connectChain, type Chain } from "../indexer/helpers/activity";
import {
  createTestDatabase,
  describeEachDialect,
  indexToTip,
  killIndexerProcesses,
  removeTempDirs,
  spawnDistCli,
  tempDeployments,
  tempDir,
  waitUntil,
  type IndexerProcess,
  type TestDatabase,
} from "../indexer/helpers/harness";
import { loansWithContacts, moveToShanghaiHour, notifierAccount } from "./helpers";

/** testKeyring()'s key (test/notify/helpers.ts) as PII_KEY. */
const PII_KEY = `t1:${crypto.createHash("sha256").update("notify tests").digest("hex")}`;
const EMAIL_ONLY = () => ({ consent: { sms: false, email: true, letter: false, webhook: false } });
const LEASE_MS = 1_000;

describeEachDialect("notify: exactly once across kill -9", (dialect) => {
  let node: TestNode;
  let deploymentsDir: string;
  let chain: Chain;
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let db: Kysely<Database>;
  let smtp: SmtpStandIn;
  let evidenceDir: string;
  let lettersDir: string;

  before(async function () {
    this.timeout(300_000);
    execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts", "prepare-cli.js")], { cwd: REPO_ROOT, stdio: "ignore" });
    node = await startNode();
    deploymentsDir = tempDeployments();
    await deployTo(node.url, deploymentsDir);
    await runWorkloadOn(node.url, deploymentsDir, { loans: 2, rounds: 1, actions: 1 });
    chain = await connectChain(node.url, deploymentsDir);
  });

  beforeEach(async function () {
    database = createTestDatabase(dialect, "notify-crash");
    handle = await database.open();
    db = handle.db;
    smtp = await startSmtpStandIn({ dir: tempDir("notify-crash-mail") });
    evidenceDir = tempDir("notify-crash-evidence");
    lettersDir = tempDir("notify-crash-letters");
  });

  afterEach(async function () {
    await killIndexerProcesses();
    await smtp?.stop();
    await handle?.close();
    await database?.drop();
  });

  after(async function () {
    await node?.stop();
    removeTempDirs();
  });

  const index = () => indexToTip({ rpcUrl: node.url, deploymentsDir, database });

  function notifyEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      RPC_URL: node.url,
      NETWORK: "localhost",
      DEPLOYMENTS_DIR: deploymentsDir,
      DATABASE_URL: database.url,
      PII_KEY,
      NOTIFIER_KEY: toHex(notifierAccount().getHdKey().privateKey!),
      SMTP_HOST: smtp.host,
      SMTP_PORT: String(smtp.port),
      SMTP_REQUIRE_TLS: "false",
      EVIDENCE_DIR: evidenceDir,
      LETTERS_DIR: lettersDir,
      NOTIFY_POLL_MS: "50",
      NOTIFY_LEASE_MS: String(LEASE_MS),
      NOTIFY_BATCH: "3",
      NOTIFY_CONCURRENCY: "2",
      NOTIFY_MAX_AGE_DAYS: "365",
      LOG_LEVEL: "info",
      ...extra,
    };
  }

  /** Loans with email-only contacts whose reminders are due and indexed: returns their ids. */
  async function remindersDue(n: number, tag: string): Promise<bigint[]> {
    await index();
    const { ids } = await loansWithContacts(chain, db, n, tag, EMAIL_ONLY);
    await moveToShanghaiHour(chain, 10, 6);
    for (let i = 0; i < ids.length; i += 50) await chain.poke(ids.slice(i, i + 50));
    await index();
    return ids;
  }

  const notices = (ids: bigint[]) => db.selectFrom("notices").selectAll().where("loan_id", "in", ids.map(Number)).execute();
  const recorded = async (ids: bigint[]) => (await notices(ids)).filter((n) => n.record_state === "recorded").length;
  /** Every notice of `ids` is final and each email one is recorded on chain: nothing left to interrupt. */
  const allRecorded = async (ids: bigint[]) => {
    const n = await notices(ids);
    return n.length > 0 && n.every((x) => (x.channel === "email" ? x.record_state === "recorded" : x.status !== "pending" && x.status !== "deferred"));
  };
  const emails = async (ids: bigint[]) => (await notices(ids)).filter((n) => n.channel === "email").length;
  /** Notice ids the SMTP stand-in received, from its files' names (<time>-<Message-ID>.eml). */
  const receivedIds = () => smtp.files.map((f) => /ntc_[0-9a-f]{32}/.exec(path.basename(f))?.[0]).filter((x): x is string => x !== undefined);
  const noLeaseHeld = () => waitUntil("the killed dispatchers' leases to lapse", async () => (await db.selectFrom("notices").select("id").where("lease_until_ms", ">", Date.now()).execute()).length, (n) => n === 0, 30_000, 100);

  /** Runs `notify --once` to its end (after the leases of killed processes lapsed). */
  async function finish(): Promise<void> {
    await noLeaseHeld();
    const p = spawnDistCli("notify", ["--once"], notifyEnv());
    const { code } = await p.exited;
    expect(code, p.output().slice(-3000)).to.equal(0);
    const problems = p.logs.filter((l) => l.level >= 40);
    expect(problems, JSON.stringify(problems).slice(0, 3000)).to.deep.equal([]);
  }

  /** Every notice of `ids` sent once, recorded once on chain, received at least once. */
  async function expectExactlyOnce(ids: bigint[]): Promise<{ notices: number; providerDuplicates: number }> {
    await index();
    const all = await notices(ids);
    const keys = new Set(all.map((r) => `${r.trigger_id}|${r.channel}`));
    expect(keys.size).to.equal(all.length);
    // The built-in plan tries SMS first: without consent it falls back to email at once.
    for (const r of all.filter((x) => x.channel === "sms")) expect([r.status, r.reason], r.id).to.deep.equal(["cancelled", "no-consent; fell back to email"]);
    const rows = all.filter((x) => x.channel === "email");
    expect(rows.length).to.equal(all.length / 2);
    for (const r of rows) {
      expect([r.channel, r.status, r.record_state], `${r.id}: ${JSON.stringify({ reason: r.reason, due: r.due_at, attempts: r.attempts, lease: r.lease_until_ms })}`).to.deep.equal(["email", "delivered", "recorded"]);
      expect(r.action_seq, r.id).to.be.a("number");
    }
    const got = receivedIds();
    const unique = new Set(got);
    for (const r of rows) expect(unique.has(r.id), `${r.id} reached the provider`).to.equal(true);
    const actions = await db.selectFrom("actions").select(["loan_id", "seq", "evidence_hash"]).where("collector", "=", notifierAccount().address).where("loan_id", "in", ids.map(Number)).execute();
    expect(actions.length, "one action per notice").to.equal(rows.length);
    expect(new Set(actions.map((a) => `${a.loan_id}|${a.evidence_hash}`)).size).to.equal(rows.length);
    for (const r of rows) expect(actions.some((a) => a.loan_id === r.loan_id && a.seq === r.action_seq && a.evidence_hash === r.evidence_hash), r.id).to.equal(true);
    const txs = await db.selectFrom("notice_records").select(["tx_hash", "state"]).execute();
    for (const r of rows) expect(txs.find((t) => t.tx_hash === r.record_tx)?.state, r.id).to.equal("included");
    return { notices: rows.length, providerDuplicates: got.length - unique.size };
  }

  it("kill -9 at random moments while sending (at least 10 kills): each notice sent and recorded once", async function () {
    this.timeout(600_000);
    const ids = await remindersDue(40, `crash-${dialect}`);
    const random = prng(dialect === "sqlite" ? 15 : 51);
    let kills = 0;
    for (let round = 0; round < 40 && kills < 12; round++) {
      if (kills > 0) await noLeaseHeld();
      // A fast machine may finish every notice between kills: then more loans fall due, so each round has work to interrupt.
      if (kills > 0 && (await allRecorded(ids))) ids.push(...(await remindersDue(20, `crash-${dialect}-${round}`)));
      const sentBefore = smtp.received;
      const recordedBefore = await recorded(ids);
      const p: IndexerProcess = spawnDistCli("notify", [], notifyEnv());
      if (process.env.TEST_NOTIFY_TRACE) console.log(`round ${round} at ${Date.now()}: sent ${sentBefore}, recorded ${recordedBefore}`);
      // Progress: a message accepted by the provider or a notice recorded, then a kill soon after.
      await waitUntil("progress", async () => smtp.received > sentBefore || (await recorded(ids)) > recordedBefore || !p.alive(), (done) => done, 60_000, 20);
      if (!p.alive()) break; // it finished (it only stops on a signal, so this is a crash: the assertions below say)
      // Anywhere from at once to well into the next passes (sending, recording, settling).
      await new Promise((r) => setTimeout(r, Math.floor(random() * 400)));
      await p.kill("SIGKILL");
      kills++;
    }
    await finish();
    const r = await expectExactlyOnce(ids);
    console.log(`      [${dialect}] ${kills} kills, ${r.notices} notices, ${r.providerDuplicates} resent to the provider after a kill (same Message-ID)`);
    expect(kills).to.be.at.least(10);
  });

  if (dialect === "postgres") {
    it("two dispatchers at once share the outbox: no row sent twice, each recorded once", async function () {
      this.timeout(600_000);
      const ids = await remindersDue(40, "pair");
      const env = notifyEnv({ NOTIFY_BATCH: "4" });
      const a = spawnDistCli("notify", [], env);
      const b = spawnDistCli("notify", [], env);
      const reminders = (await db.selectFrom("reminders").select("loan_id").where("loan_id", "in", ids.map(Number)).execute()).length;
      const total = await waitUntil("every email notice planned", () => emails(ids), (n) => n === reminders, 60_000, 100);
      await waitUntil("every notice recorded", () => recorded(ids), (n) => n > 0 && n === total, 120_000, 100);
      await Promise.all([a.kill("SIGTERM"), b.kill("SIGTERM")]);
      const r = await expectExactlyOnce(ids);
      expect(r.providerDuplicates, "without a crash nothing is sent twice").to.equal(0);
      const dispatched = (p: IndexerProcess) => p.logs.filter((l) => l.msg === "notify round").reduce((s, l) => s + Number(l.dispatched ?? 0), 0);
      expect(dispatched(a), "the first dispatcher did some of the work").to.be.greaterThan(0);
      expect(dispatched(b), "the second dispatcher did some of the work").to.be.greaterThan(0);
    });
  }

});
