import { expect } from "chai";
import { CompiledQuery } from "kysely";
import { queueQuery, queueRows, type QueueOrder } from "../../src/api/services/queue";
import { openDatabase, type DatabaseHandle } from "../../src/db/connect";
import { apiFixture, describeEachDialect, type ApiFixture } from "./fixture";
import { BIG, SMALL, seedLoans } from "./queue-scale";
import { rpc } from "../support/chain";
import { createTestDatabase, type TestDatabase } from "../indexer/helpers/harness";
import { DAY_SECONDS as DAY } from "../../src/domain";

const HOUR = 3_600;
/** Local hour of chain time t for a borrower at UTC+offset minutes. */
const localHour = (t: number, offsetMinutes: number) => Math.floor((((t + offsetMinutes * 60) % DAY) + DAY) % DAY / HOUR);

async function json(res: Response) {
  return (await res.json()) as any;
}

describeEachDialect("GET /v1/queue", (dialect) => {
  let f: ApiFixture;
  let asOfTs: number;

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    // Move chain time to 08:30 local (UTC+8, the workload loans' offset) the next day: allowed under the
    // default policy (08-21), outside the lender's own policy (09-20). Index the new block.
    const head = await f.client.getBlock();
    const local = Number(head.timestamp) + 8 * HOUR;
    asOfTs = (Math.floor(local / DAY) + 1) * DAY + 8 * HOUR + 30 * 60 - 8 * HOUR;
    await rpc(f.node.url, "evm_setNextBlockTimestamp", [asOfTs]);
    await rpc(f.node.url, "evm_mine", []);
    await f.reindex();
  });
  after(async () => f?.close());

  it("lists the collector's open assigned loans by priority, with ranks and asOf in chain time", async () => {
    const res = await f.call("collector", "/v1/queue");
    expect(res.status).to.equal(200);
    const body = await json(res);
    expect(body.asOf.timestamp).to.equal(asOfTs);
    expect(body.items.map((i: any) => i.loanId)).to.deep.equal(["2", "4", "1", "3", "5", "6"]);
    expect(body.items.map((i: any) => i.rank)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(body.nextCursor).to.equal(null);
    const [l2] = body.items;
    expect(l2.dpd).to.be.greaterThan(10);
    expect(l2.bucket).to.equal("M1");
    expect(l2.amountOverdue).to.equal("108000000");
    expect(l2.penaltyAccrued).to.match(/^[1-9]\d*$/);
    expect(body.items[2].amountOverdue).to.equal("0");
  });

  it("derives broken, kept and pending promises from repayments", async () => {
    const { items } = await json(await f.call("collector", "/v1/queue"));
    const byId = Object.fromEntries(items.map((i: any) => [i.loanId, i]));
    expect(byId["2"].promises.broken).to.have.length(1);
    expect(byId["2"].promises.broken[0]).to.include({ seq: 3, amount: "1" });
    expect(byId["2"].promises.kept).to.equal(0);
    expect(byId["6"].promises).to.deep.equal({ broken: [], pending: 0, kept: 1 });
    expect(byId["1"].promises).to.deep.equal({ broken: [], pending: 0, kept: 0 });
  });

  it("shows the latest reminder stage emitted", async () => {
    const { items } = await json(await f.call("collector", "/v1/queue"));
    const byId = Object.fromEntries(items.map((i: any) => [i.loanId, i]));
    expect(byId["2"].reminder).to.include({ stage: 2, offsetDays: 7, installment: 0 });
    expect(byId["1"].reminder).to.equal(null);
  });

  it("computes the contact window with the lender's policy, restrictions and disputes at chain time", async () => {
    const { items } = await json(await f.call("collector", "/v1/queue"));
    const byId = Object.fromEntries(items.map((i: any) => [i.loanId, i]));
    // 08:30 local: outside the lender's 09:00-20:00 (the default 08:00 would allow it); next at 09:00 local.
    expect(byId["2"].contactWindow).to.deep.include({ allowedNow: false, reasons: ["OutsideHours"], nextAllowedAt: asOfTs + 30 * 60 });
    expect(byId["2"].contactWindow.channel).to.deep.equal({ code: 0, name: "call" });
    // Dispute open: only the lender can lift it.
    expect(byId["4"].disputeOpen).to.equal(true);
    expect(byId["4"].contactWindow.reasons).to.include("DisputeOpen");
    expect(byId["4"].contactWindow.nextAllowedAt).to.equal(null);
    // Nothing overdue on loan 1: allowed again one day after the next due date, within hours.
    const l1 = byId["1"].contactWindow;
    expect(l1.reasons).to.include("NothingOverdue");
    const row = await f.db.selectFrom("loans").select("cursor_due").where("loan_id", "=", 1).executeTakeFirstOrThrow();
    expect(l1.nextAllowedAt).to.be.at.least(row.cursor_due! + DAY);
    expect(localHour(l1.nextAllowedAt, 480)).to.be.within(9, 19);
  });

  it("computes the window for another channel (restricted SMS on loan 3)", async () => {
    const { items } = await json(await f.call("collector", "/v1/queue?channel=sms&kind=contact_attempt"));
    const l3 = items.find((i: any) => i.loanId === "3");
    expect(l3.restrictedChannels).to.deep.equal([{ code: 1, name: "sms" }]);
    expect(l3.contactWindow.channel).to.deep.equal({ code: 1, name: "sms" });
    expect(l3.contactWindow.kind).to.deep.equal({ code: 0, name: "contact_attempt" });
    expect(l3.contactWindow.reasons).to.include("RestrictedChannel");
    expect(l3.contactWindow.nextAllowedAt).to.equal(null);
    const numeric = await json(await f.call("collector", "/v1/queue?channel=1&kind=0"));
    expect(numeric.items.find((i: any) => i.loanId === "3").contactWindow).to.deep.equal(l3.contactWindow);
  });

  it("paginates with a keyset cursor: pages concatenate to the full queue, ranks continue", async () => {
    const all = (await json(await f.call("collector", "/v1/queue?limit=500"))).items;
    const seen: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await f.call("collector", `/v1/queue?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).to.equal(200);
      const page = await json(res);
      expect(page.items.length).to.be.at.most(2);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).to.equal(3);
    expect(seen).to.deep.equal(all);
  });

  it("shows each collector only its own loans; non-collectors get an empty list", async () => {
    expect((await json(await f.call("otherCollector", "/v1/queue"))).items.map((i: any) => i.loanId)).to.deep.equal(["7"]);
    expect((await json(await f.call("relayer", "/v1/queue"))).items.map((i: any) => i.loanId)).to.deep.equal(["2", "1"]);
    for (const role of ["lender", "auditor", "stranger"] as const) {
      const res = await f.call(role, "/v1/queue");
      expect(res.status, role).to.equal(200);
      const body = await json(res);
      expect(body.items, role).to.deep.equal([]);
      expect(body.nextCursor).to.equal(null);
    }
  });

  it("rejects bad input with problem+json and field paths", async () => {
    const cases: [string, string][] = [
      ["limit=0", "query.limit"],
      ["limit=501", "query.limit"],
      ["limit=abc", "query.limit"],
      ["cursor=not-a-cursor", "query.cursor"],
      ["channel=fax", "query.channel"],
      ["channel=8", "query.channel"],
      ["kind=7", "query.kind"],
      ["sort=dpd", "query"],
    ];
    for (const [qs, path] of cases) {
      const res = await f.call("collector", `/v1/queue?${qs}`);
      expect(res.status, qs).to.equal(400);
      expect(res.headers.get("content-type"), qs).to.match(/^application\/problem\+json/);
      const body = await json(res);
      expect(body.errors.map((e: any) => e.path).some((p: string) => p.startsWith(path)), `${qs}: ${JSON.stringify(body.errors)}`).to.equal(true);
    }
    expect((await f.call(undefined, "/v1/queue")).status).to.equal(401);
  });

  it("reads pages from the assignments' copied keys, equal to their loans' and scores'", async () => {
    const c = f.addresses.collector;
    const keys = await f.db
      .selectFrom("current_collectors as cc")
      .innerJoin("loans", "loans.loan_id", "cc.loan_id")
      .leftJoin("loan_scores", "loan_scores.loan_id", "cc.loan_id")
      .select(["cc.loan_id", "cc.queue_open", "cc.due_key", "cc.amount_overdue", "cc.expected_key", "loans.status", "loans.due_key as l_due", "loans.amount_overdue as l_amount", "loan_scores.expected_recovery"])
      .execute();
    expect(keys.length).to.be.greaterThan(5);
    for (const k of keys) {
      expect(k.queue_open, `loan ${k.loan_id}`).to.equal([0, 1].includes(k.status) ? 1 : 0);
      expect(Number(k.due_key), `loan ${k.loan_id}`).to.equal(Number(k.l_due));
      expect(k.amount_overdue, `loan ${k.loan_id}`).to.equal(k.l_amount);
      expect(k.expected_key, `loan ${k.loan_id}`).to.equal(k.expected_recovery ?? "0".repeat(40));
    }
    const a = await queueRows(f.db, c, undefined, 100);
    expect(a.map((r) => r.loan_id)).to.deep.equal([2, 4, 1, 3, 5, 6]);
    const after = { dueKey: a[1].due_key, amountOverdue: a[1].amount_overdue, loanId: a[1].loan_id };
    expect((await queueRows(f.db, c, after, 100)).map((r) => r.loan_id)).to.deep.equal([1, 3, 5, 6]);
  });
});

describeEachDialect("GET /v1/queue at 100,000 loans", (dialect) => {
  let database: TestDatabase;
  let h: DatabaseHandle;
  const T = 1_800_000_000;

  before(async function () {
    this.timeout(300_000);
    database = createTestDatabase(dialect, "queue_scale");
    h = await openDatabase(database.url);
    await seedLoans(h.db, 100_000, T, dialect);
  });
  after(async () => {
    await h?.close();
    await database?.drop();
  });

  // The plan is SQLite's (PostgreSQL's depends on its statistics); the timing test below runs on both.
  if (dialect === "sqlite")
  it("pages in priority order from the caller's assignments, without scanning or sorting (SQLite plan)", async () => {
    const plan = async (c: string, order: QueueOrder) => {
      const q = queueQuery(h.db, c, { expected: "0".repeat(40), dueKey: T - 200 * 86_400, amountOverdue: "0".repeat(40), loanId: 1 }, 51, order).compile();
      const r = await h.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]));
      return r.rows.map((x) => x.detail).join("\n");
    };
    for (const c of [BIG, SMALL]) {
      const due = await plan(c, "due");
      expect(due, `${c} due`).to.match(/SEARCH cc USING (COVERING )?INDEX current_collectors_due_idx \(collector=\?/);
      const strategy = await plan(c, "strategy");
      expect(strategy, `${c} strategy`).to.match(/SEARCH cc USING (COVERING )?INDEX current_collectors_queue_idx \(collector=\? AND queue_open=\?/);
      for (const p of [due, strategy]) {
        expect(p).not.to.match(/TEMP B-TREE/);
        expect(p).not.to.match(/SCAN loans/);
      }
    }
  });

  it("pages stay in order and consistent, in both orders", async () => {
    for (const c of [BIG, SMALL]) {
      const first = await queueRows(h.db, c, undefined, 51);
      expect(first.length).to.be.greaterThan(5);
      for (let i = 1; i < first.length; i++) {
        const [a, b] = [first[i - 1], first[i]];
        const ordered = a.due_key < b.due_key || (a.due_key === b.due_key && (a.amount_overdue > b.amount_overdue || (a.amount_overdue === b.amount_overdue && a.loan_id < b.loan_id)));
        expect(ordered, `row ${i}`).to.equal(true);
      }
      expect(first.every((r) => r.status !== 3)).to.equal(true);
    }
    const smallOpen = Array.from({ length: 10 }, (_, k) => (k + 1) * 10_000).filter((id) => id % 97 !== 0);
    expect((await queueRows(h.db, SMALL, undefined, 51)).map((r) => r.loan_id).sort((a, b) => a - b)).to.deep.equal(smallOpen);
    const page1 = await queueRows(h.db, BIG, undefined, 50);
    const last = page1[49];
    const page2 = await queueRows(h.db, BIG, { dueKey: last.due_key, amountOverdue: last.amount_overdue, loanId: last.loan_id }, 50);
    const both = await queueRows(h.db, BIG, undefined, 100);
    expect([...page1, ...page2].map((r) => r.loan_id)).to.deep.equal(both.map((r) => r.loan_id));
    // No loan has a score here: the strategy order is the due order.
    const strategy = await queueRows(h.db, BIG, undefined, 100, "strategy");
    expect(strategy.map((r) => r.loan_id)).to.deep.equal(both.map((r) => r.loan_id));
  });
});
