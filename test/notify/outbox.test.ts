/**
 * The outbox end to end on a hardhat node, on SQLite and PostgreSQL: the keeper's reminders become
 * notices once indexed (once each), the dispatcher sends them within the contact rules with chain
 * time moved, the recorder writes each sent notice into the loan's trail once, and reorgs cancel or
 * orphan what they remove.
 */
import { expect } from "chai";
import { ethers } from "ethers";
import type { Kysely } from "kysely";
import { Channel, DAY, daysLate, Kind } from "../../src/domain";
import type { Database, LoansTable } from "../../src/db/schema";
import type { DatabaseHandle } from "../../src/db/connect";
import { dispatchPass } from "../../src/notify/dispatcher";
import { TemplateError } from "../../src/notify/errors";
import { noticeData } from "../../src/notify/notice-data";
import { NoticeOutcome } from "../../src/notify/outcomes";
import { renderNotice } from "../../src/notify/templates";
import { planPass } from "../../src/notify/planner";
import { applyReceipt, expireReceipts } from "../../src/notify/receipts";
import { recordPass } from "../../src/notify/recorder";
import { deployTo, runWorkloadOn, startNode, type TestNode } from "../support/chain";
import { connectChain, type Chain } from "../indexer/helpers/activity";
import { createTestDatabase, describeEachDialect, indexToTip, removeTempDirs, tempDeployments, type TestDatabase } from "../indexer/helpers/harness";
import { dispatcherDeps, loansWithContacts, moveToShanghaiHour, notifierAccount, recorderDeps, testPlan } from "./helpers";

const CHAIN_ID = 31337;
const YEAR = 365n * DAY;

describeEachDialect("notify: the outbox on a real chain", (dialect) => {
  let node: TestNode;
  let deploymentsDir: string;
  let chain: Chain;
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let db: Kysely<Database>;
  let base: string;

  before(async function () {
    this.timeout(300_000);
    node = await startNode();
    deploymentsDir = tempDeployments();
    await deployTo(node.url, deploymentsDir);
    await runWorkloadOn(node.url, deploymentsDir, { loans: 2, rounds: 1, actions: 1 });
    chain = await connectChain(node.url, deploymentsDir);
    base = await chain.snapshot();
  });

  after(async function () {
    await node?.stop();
    removeTempDirs();
  });

  beforeEach(async function () {
    this.timeout(60_000);
    await chain.revert(base);
    base = await chain.snapshot();
    database = createTestDatabase(dialect, "notify");
    handle = await database.open();
    db = handle.db;
  });

  afterEach(async function () {
    await handle?.close();
    await database?.drop();
  });

  const index = () => indexToTip({ rpcUrl: node.url, deploymentsDir, database });
  const plan = (maxAgeSec = Number(YEAR)) => planPass({ db, chainId: CHAIN_ID, planFor: testPlan, maxAgeSec });
  const ours = (loanIds: bigint[]) => db.selectFrom("notices").selectAll().where("loan_id", "in", loanIds.map(Number)).orderBy("loan_id").orderBy("step").execute();

  /** Two UTC+8 loans whose first installment is 1 day overdue at 10:00 Shanghai, poked: one ReminderTriggered (+1 day stage) each. */
  async function overdueReminders(tag: string, contact?: Parameters<typeof loansWithContacts>[4]) {
    await index(); // the loans table must exist for the contacts' lender lookup below
    const made = await loansWithContacts(chain, db, 2, tag, contact);
    await moveToShanghaiHour(chain, 10, 6); // due at +5 days; the +1 day reminder is due
    await chain.poke(made.ids);
    await index();
    return made;
  }

  it("plans one notice per (trigger, channel) once the event is indexed, and never twice", async function () {
    this.timeout(120_000);
    const { ids } = await overdueReminders("plan-once");
    const first = await plan();
    expect(first.caughtUp).to.equal(true);
    const rows = await ours(ids);
    // Each loan got the -3 and +1 day reminders in one poke? Only stages due by now: count per loan.
    const reminders = await db.selectFrom("reminders").select(["loan_id"]).where("loan_id", "in", ids.map(Number)).execute();
    expect(rows.length).to.equal(reminders.length).and.to.be.greaterThan(0);
    for (const r of rows) {
      expect(r.channel).to.equal("sms");
      expect(JSON.parse(r.fallback)).to.deep.equal(["email"]);
      expect(r.status).to.equal("pending");
      expect(r.trigger).to.equal("ReminderTriggered");
      expect(r.trigger_block).to.be.a("number");
    }
    const again = await plan();
    expect(again.created).to.equal(0);
    expect((await ours(ids)).length).to.equal(rows.length);
  });

  it("skips triggers older than the maximum age", async function () {
    this.timeout(120_000);
    const { ids } = await overdueReminders("stale");
    await chain.increaseTime(10n * DAY);
    await chain.mineEmpty(1);
    await index();
    const r = await plan(7 * 86_400);
    expect(r.stale).to.be.greaterThan(0);
    expect(await ours(ids)).to.have.length(0);
  });

  it("sends within the borrower's hours, defers outside them to the next 08:00 local, and records each notice on chain once", async function () {
    this.timeout(180_000);
    const { ids } = await overdueReminders("hours");
    await plan();
    const { deps, channels } = dispatcherDeps(db, node.url);
    // 23:00 in Shanghai: deferred to 08:00 the next morning.
    const late = await moveToShanghaiHour(chain, 23);
    let pass = await dispatchPass(deps);
    expect(pass.outcomes.deferred).to.be.greaterThan(0);
    for (const r of await ours(ids)) {
      expect(r.status).to.equal("deferred");
      expect(r.reason).to.equal("outside-hours");
      expect(BigInt(r.due_at)).to.equal(late + 9n * 3_600n);
    }
    expect(channels.sms.sent).to.have.length(0);
    // Nothing of ours is due before then: a pass does not touch them.
    await dispatchPass(deps);
    for (const r of await ours(ids)) expect(r.status).to.equal("deferred");
    await moveToShanghaiHour(chain, 8);
    pass = await dispatchPass(deps);
    const rows = await ours(ids);
    expect(pass.outcomes.sent).to.equal(rows.length);
    expect(channels.sms.sent.map((m) => m.id).sort()).to.deep.equal(rows.map((r) => r.id).sort());
    for (const m of channels.sms.sent) expect(m.to.phone).to.equal("+8613900000000");
    // SMS waits for its receipt; one delivered, the rest time out unconfirmed.
    const [first, ...rest] = rows;
    const now = (await chain.latest()).timestamp;
    expect(await applyReceipt(db, { providerId: `p-${first.id}`, status: "delivered" }, now)).to.equal(true);
    expect(await applyReceipt(db, { providerId: `p-${first.id}`, status: "delivered" }, now)).to.equal(false);
    expect(await expireReceipts(db, now + 3_600n, 3_600)).to.equal(rest.length);

    const rec = recorderDeps(db, node.url, deploymentsDir);
    expect((await recordPass(rec)).submitted).to.equal(rows.length);
    const settled = await recordPass(rec);
    expect(settled.recorded).to.equal(rows.length);
    expect((await recordPass(rec)).submitted).to.equal(0);
    await index();
    const actions = await db.selectFrom("actions").selectAll().where("collector", "=", notifierAccount().address).where("loan_id", "in", ids.map(Number)).orderBy("loan_id").execute();
    expect(actions).to.have.length(rows.length);
    for (const r of await ours(ids)) {
      expect(r.record_state).to.equal("recorded");
      const a = actions.find((x) => x.loan_id === r.loan_id && x.seq === r.action_seq)!;
      expect(a, `action of ${r.id}`).to.not.equal(undefined);
      expect(a.evidence_hash).to.equal(r.evidence_hash);
      expect(a.channel).to.equal(Channel.Sms);
      expect(a.kind).to.equal(Kind.ContactAttempt);
      expect(a.outcome).to.equal(r.id === first.id ? NoticeOutcome.Delivered : NoticeOutcome.SentUnconfirmed);
      expect(a.flags).to.equal(0);
    }
  });

  it("an SMS receipt that overtakes the dispatcher's own write of the send is kept and applied right after it", async function () {
    this.timeout(120_000);
    const { ids } = await overdueReminders("early-receipt");
    await plan();
    const { deps, channels } = dispatcherDeps(db, node.url);
    const inner = channels.sms.send.bind(channels.sms);
    const early: boolean[] = [];
    channels.sms.send = async (m) => {
      const r = await inner(m);
      // The provider's receipt arrives before send() has returned to the dispatcher.
      early.push(await applyReceipt(db, { noticeId: m.id, status: "delivered" }, (await chain.latest()).timestamp));
      return r;
    };
    await dispatchPass(deps);
    const rows = (await ours(ids)).filter((r) => r.channel === "sms");
    expect(early.length).to.be.greaterThan(0);
    expect(early.every(Boolean)).to.equal(true);
    for (const r of rows) expect([r.status, r.outcome, r.record_state, r.early_receipt]).to.deep.equal(["delivered", NoticeOutcome.Delivered, "due", null]);
  });

  it("a promise broken (its date passed without the amount paid) triggers one notice; a kept one none", async function () {
    this.timeout(120_000);
    await index();
    const { ids } = await loansWithContacts(chain, db, 2, "promises");
    const t = (await chain.latest()).timestamp;
    for (const id of ids) await (await chain.log.connect(chain.accounts.collector).recordPromise(id, 5_000_000n, t + 2n * DAY, ethers.id(`promise-${id}`))).wait();
    await chain.repay(ids[1], 5_000_000n); // keeps the second loan's promise
    await chain.increaseTime(3n * DAY);
    await chain.mineEmpty(1);
    await index();
    const planFor: typeof testPlan = async (_db, trigger) => (trigger.name === "PromiseBroken" ? [{ template: "promise.broken", channels: ["sms"], kind: "reminder", planVersion: null }] : []);
    const first = await planPass({ db, chainId: CHAIN_ID, planFor, maxAgeSec: Number(YEAR) });
    expect(first.created).to.equal(1);
    const [row] = await ours(ids);
    expect([row.loan_id, row.trigger, row.trigger_id, row.template]).to.deep.equal([Number(ids[0]), "PromiseBroken", `promise-broken:${ids[0]}:1`, "promise.broken"]);
    expect((await planPass({ db, chainId: CHAIN_ID, planFor, maxAgeSec: Number(YEAR) })).created).to.equal(0);
  });

  it("a requested notice states no DPD of its own: its data carry the loan's DPD at the request, and the demand letter renders", async function () {
    this.timeout(120_000);
    const { ids } = await overdueReminders("request-dpd");
    const loan = (await db.selectFrom("loans").selectAll().where("loan_id", "=", Number(ids[0])).executeTakeFirstOrThrow()) as LoansTable;
    const at = (await chain.latest()).timestamp;
    const [reminder] = (await plan(), await ours(ids));
    const request = { ...reminder, trigger: "Request", trigger_id: "req:test", trigger_block: null, trigger_log_index: null, trigger_at: Number(at), template: "demand.letter", channel: "letter" as const };
    const data = await noticeData(db, request, loan, async () => ({ symbol: "USDT", decimals: 6 }));
    expect(data.dpd).to.equal(Number(daysLate(BigInt(loan.cursor_due!), at))).and.to.be.greaterThan(0);
    const letter = await renderNotice({ template: "demand.letter", channel: "letter", language: "en", jurisdiction: "CN", timeZone: "Asia/Shanghai", data, kind: "notice" });
    expect(letter.contentType).to.equal("application/pdf");
  });

  it("a restricted channel falls back to email; no consent and nothing left cancels; an open dispute suspends", async function () {
    this.timeout(180_000);
    const { ids } = await overdueReminders("rules", (_ref, i) => (i === 1 ? { consent: { sms: false, email: false, letter: true, webhook: true } } : {}));
    const [restricted, unconsented] = ids;
    await (await chain.log.connect(chain.accounts.borrower).restrictChannel(restricted, Channel.Sms)).wait();
    await index();
    await plan();
    const { deps, channels } = dispatcherDeps(db, node.url);
    await dispatchPass(deps); // sms: fallback (restricted) / fallback (no consent)
    await dispatchPass(deps); // email: sent / cancelled (no consent, nothing left)
    const a = (await ours([restricted])).filter((r) => r.trigger === "ReminderTriggered");
    expect(a.find((r) => r.channel === "sms")!.status).to.equal("cancelled");
    expect(a.find((r) => r.channel === "sms")!.reason).to.equal("channel-restricted; fell back to email");
    expect(a.find((r) => r.channel === "email")!.status).to.equal("delivered");
    const b = await ours([unconsented]);
    expect(b.map((r) => [r.channel, r.status, r.reason])).to.deep.include.members([
      ["sms", "cancelled", "no-consent; fell back to email"],
      ["email", "cancelled", "no-consent"],
    ]);
    expect(channels.email.sent.map((m) => Number(m.loanId))).to.not.include(Number(unconsented));

    // A dispute on the first loan: a new reminder waits, suspended, and goes once it is resolved.
    await (await chain.log.connect(chain.accounts.borrower).fileDispute(restricted, ethers.id("dispute"))).wait();
    await (await chain.log.connect(chain.accounts.borrower).releaseChannel(restricted, Channel.Sms)).wait();
    await moveToShanghaiHour(chain, 10, 6); // the +7 day reminder
    await chain.poke([restricted]);
    await index();
    await plan();
    await dispatchPass(deps);
    const suspended = (await ours([restricted])).filter((r) => r.status === "deferred");
    expect(suspended).to.have.length.greaterThan(0);
    for (const s of suspended) expect(s.reason).to.equal("dispute-open");
    await (await chain.log.connect(chain.accounts.lender).resolveDispute(restricted, ethers.id("validated"))).wait();
    await index();
    await chain.increaseTime(3_600n);
    await chain.mineEmpty(1);
    await dispatchPass(deps);
    for (const s of suspended) expect((await db.selectFrom("notices").select("status").where("id", "=", s.id).executeTakeFirstOrThrow()).status).to.equal("sent");
  });

  it("frequency caps: two SMS or email contacts today defer a notice to the next day", async function () {
    this.timeout(120_000);
    const { ids } = await overdueReminders("caps");
    const t = (await chain.latest()).timestamp;
    const contact = (loanId: bigint, k: number) => ({ loanId, channel: Channel.Sms, kind: Kind.ContactAttempt, outcome: 1, occurredAt: t - BigInt(k) * 60n, evidenceHash: ethers.id(`c${k}`) });
    await (await chain.log.connect(chain.accounts.collector).recordActions([contact(ids[0], 1), contact(ids[0], 2)])).wait();
    await index();
    await plan();
    const { deps } = dispatcherDeps(db, node.url);
    await dispatchPass(deps);
    const [capped] = (await ours([ids[0]])).filter((r) => r.channel === "sms");
    expect(capped.status).to.equal("deferred");
    expect(capped.reason).to.equal("frequency-cap");
    const [free] = (await ours([ids[1]])).filter((r) => r.channel === "sms");
    expect(free.status).to.equal("sent");
  });

  it("frequency caps: the notices of one loan in one pass are capped together (one contact today, cap 2: one more goes, the rest wait)", async function () {
    this.timeout(120_000);
    const { ids } = await overdueReminders("caps-pass");
    const t = (await chain.latest()).timestamp;
    await (await chain.log.connect(chain.accounts.collector).recordActions([{ loanId: ids[0], channel: Channel.Sms, kind: Kind.ContactAttempt, outcome: 1, occurredAt: t - 60n, evidenceHash: ethers.id("c1") }])).wait();
    await index();
    await plan();
    const [first] = await ours([ids[0]]);
    // A second notice of the loan, so the pass holds at least two.
    await db.insertInto("notices").values({ ...first, id: `${first.id}x`, trigger_id: `${first.trigger_id}:x`, channel: "email", fallback: "[]" }).execute();
    const { deps } = dispatcherDeps(db, node.url, { concurrency: 8 });
    const pass = await dispatchPass(deps);
    const rows = await ours([ids[0]]);
    expect(pass.claimed).to.be.at.least(rows.length);
    expect(rows.length).to.be.at.least(2);
    expect(rows.filter((r) => r.status === "sent" || r.status === "delivered")).to.have.length(1);
    for (const r of rows.filter((x) => x.status !== "sent" && x.status !== "delivered")) expect([r.status, r.reason]).to.deep.equal(["deferred", "frequency-cap"]);
  });

  it("a provider failure is retried with backoff; a permanent one fails, is recorded as failed, and falls back", async function () {
    this.timeout(120_000);
    const { ids } = await overdueReminders("failures");
    await plan();
    const { deps, channels } = dispatcherDeps(db, node.url);
    channels.sms.failWith(true, 1);
    const t = (await chain.latest()).timestamp;
    await dispatchPass({ ...deps, concurrency: 1 });
    const retried = (await ours(ids)).filter((r) => r.status === "pending");
    expect(retried).to.have.length(1);
    expect(retried[0].attempts).to.equal(1);
    expect(retried[0].reason).to.match(/^retrying: sms: connect ECONNREFUSED/);
    expect(BigInt(retried[0].due_at) >= t + 60n).to.equal(true);

    channels.sms.failWith(false, 5);
    await chain.increaseTime(120n);
    await chain.mineEmpty(1);
    await dispatchPass(deps);
    const failed = (await ours(ids)).filter((r) => r.channel === "sms" && r.status === "failed");
    expect(failed).to.have.length(1);
    expect(failed[0].outcome).to.equal(NoticeOutcome.Failed);
    expect(failed[0].record_state).to.equal("due");
    const email = (await ours(ids)).filter((r) => r.channel === "email");
    expect(email.map((r) => r.fallback_of)).to.deep.equal([failed[0].id]);
  });

  it("a notice whose handling throws goes back with a try counted; the others of the pass are sent", async function () {
    this.timeout(120_000);
    const { ids } = await overdueReminders("throws");
    await plan();
    const { deps, channels } = dispatcherDeps(db, node.url);
    const render = deps.render;
    deps.render = async (d, requests) =>
      (await render(d, requests)).map((x, i) => (requests[i]!.notice.loan_id === Number(ids[0]) ? new TemplateError("template reminder.overdue needs amountOverdue") : x));
    await dispatchPass(deps);
    const [bad] = (await ours([ids[0]])).filter((r) => r.channel === "sms");
    expect([bad.status, bad.attempts, bad.lease_owner, bad.reason]).to.deep.equal(["pending", 1, null, "retrying: template reminder.overdue needs amountOverdue"]);
    expect(channels.sms.sent.map((m) => Number(m.loanId))).to.include(Number(ids[1]));
  });

  it("a reorg that removes a trigger cancels its pending notice and orphans a sent one; an event included again is not sent twice", async function () {
    this.timeout(180_000);
    await index();
    const made = await loansWithContacts(chain, db, 2, "reorg");
    await moveToShanghaiHour(chain, 10, 6);
    await index();
    const fork = await chain.snapshot();
    await chain.poke([made.ids[0]]);
    await chain.poke([made.ids[1]]);
    await index();
    await plan();
    const { deps, channels } = dispatcherDeps(db, node.url);
    // Send only the first loan's notice.
    const rows = await ours(made.ids);
    await db.updateTable("notices").set({ due_at: Number.MAX_SAFE_INTEGER }).where("loan_id", "=", Number(made.ids[1])).execute();
    await dispatchPass(deps);
    expect(channels.sms.sent.map((m) => m.id).sort()).to.deep.equal(rows.filter((r) => r.loan_id === Number(made.ids[0])).map((r) => r.id).sort());

    // Another branch from the fork, longer, without the pokes.
    await chain.revert(fork);
    await chain.mineEmpty(5);
    await index();
    const r = await plan();
    expect(r.cancelled).to.equal(rows.filter((x) => x.loan_id === Number(made.ids[1])).length);
    expect(r.orphaned).to.equal(rows.filter((x) => x.loan_id === Number(made.ids[0])).length);
    for (const n of await ours(made.ids)) {
      expect(n.status).to.equal(n.loan_id === Number(made.ids[0]) ? "orphaned" : "cancelled");
      expect(n.reason).to.equal("reorg");
    }
    // The same reminder for the first loan is mined again (same day, same arguments): it is the sent notice again, not a new one.
    await chain.poke([made.ids[0]]);
    await index();
    await plan();
    const after = await ours(made.ids);
    expect(after.length).to.equal(rows.length);
    for (const n of after) expect(n.status).to.equal(n.loan_id === Number(made.ids[0]) ? "sent" : "cancelled");
    await dispatchPass(deps);
    expect(channels.sms.sent.length).to.equal(rows.filter((x) => x.loan_id === Number(made.ids[0])).length);
  });

});
