/**
 * The notices routes on SQLite and PostgreSQL: GET /v1/notices and /v1/loans/{id}/notices scoped
 * like loans, filtered, keyset-paginated in trigger-time order; counts by status and channel
 * (GET /v1/portfolio/notices); a requested notice (POST /v1/loans/{id}/notices) pending from the
 * indexer's chain time, once per Idempotency-Key; the replay of a dead-lettered webhook. The
 * outbox rows are written straight to the database as the planner and dispatcher would.
 */
import { expect } from "chai";
import type { NoticesTable } from "../../src/db/notify-tables";
import { noticeId, requestTriggerId } from "../../src/notify/ids";
import { apiFixture, describeEachDialect, type ApiFixture, type Role } from "./fixture";
import { borrowerRefOf, contactOf, insertNotices, noticeRow, storeContact } from "./helpers/notices";

interface NoticeOut {
  id: string;
  loanId: string;
  status: string;
  channel: string;
  kind: string;
  template: string;
  language: string | null;
  reason: string | null;
  attempts: number;
  nextAttemptAt: number | null;
  trigger: { name: string; id: string; at: number; block: number | null; logIndex: number | null; txHash: string | null; requestedBy: string | null };
  onChain: { state: string | null; txHash: string | null; actionSeq: number | null };
}
interface Page {
  items: NoticeOut[];
  nextCursor: string | null;
}

describeEachDialect("api/notices", (dialect) => {
  let f: ApiFixture;
  let seeded: NoticesTable[];
  let chainAt: number;

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    chainAt = (await f.db.selectFrom("cursor").select("block_timestamp").where("id", "=", 1).executeTakeFirstOrThrow()).block_timestamp;
    // 12 notices on the lender's loans 1..6 (two each, on two channels and in several states), 2 on the other lender's loan 7.
    const statuses = ["pending", "deferred", "sent", "delivered", "failed", "cancelled", "orphaned"] as const;
    seeded = [];
    let n = 0;
    for (const loanId of [1, 2, 3, 4, 5, 6, 7, 7]) {
      for (const channel of loanId === 7 ? (["sms"] as const) : (["email", "sms"] as const)) {
        n++;
        const status = statuses[n % statuses.length]!;
        seeded.push(
          await noticeRow(f, loanId, n, {
            channel,
            status,
            reason: status === "deferred" ? "outside the borrower's contact hours" : status === "failed" ? "smtp: 550 mailbox unavailable" : null,
            // Two notices share a trigger time: the id orders them.
            trigger_at: 1_700_000_000 + (n === 4 ? 3 : n) * 60,
          }),
        );
      }
    }
    seeded.push(await noticeRow(f, 1, 100, { channel: "webhook", status: "failed", attempts: 8, reason: "webhook: 8 tries, last 503", trigger_at: 1_700_100_000 }));
    seeded.push(await noticeRow(f, 7, 101, { channel: "webhook", status: "failed", attempts: 8, reason: "webhook: 8 tries, last 503", trigger_at: 1_700_100_060 }));
    await insertNotices(f, seeded);
    // Contact data on file for loan 1's borrower: it must never show in a notice.
    await storeContact(f, 1, contactOf(await borrowerRefOf(f, 1)));
  });
  after(() => f?.close());

  const get = async <T = Page>(role: Role, p: string) => {
    const res = await f.call(role, p);
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text) as T };
  };
  const post = async <T = NoticeOut>(role: Role, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await f.call(role, p, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text) as T, replayed: res.headers.get("idempotent-replayed") };
  };
  /** Every page of a list, following nextCursor. */
  const all = async (role: Role, p: string) => {
    const out: NoticeOut[] = [];
    let url = p;
    for (let i = 0; i < 50; i++) {
      const r = await get(role, url);
      expect(r.status, r.text).to.equal(200);
      out.push(...r.json.items);
      if (!r.json.nextCursor) return out;
      url = `${p}${p.includes("?") ? "&" : "?"}cursor=${r.json.nextCursor}`;
    }
    throw new Error("more than 50 pages");
  };
  /** Seeded ids in the list's order: trigger time, then id, newest first unless asc. */
  const expected = (rows: NoticesTable[], asc = false) =>
    [...rows].sort((a, b) => (a.trigger_at - b.trigger_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) * (asc ? 1 : -1)).map((r) => r.id);
  const seededOf = (pred: (r: NoticesTable) => boolean) => seeded.filter(pred);

  it("scope: a lender its loans' notices, a collector its assigned loans', the auditor all, a stranger none", async function () {
    const ids = async (role: Role) => (await all(role, "/v1/notices?limit=500")).map((n) => n.id);
    expect(await ids("lender")).to.deep.equal(expected(seededOf((r) => r.loan_id !== 7)));
    expect(await ids("collector")).to.deep.equal(expected(seededOf((r) => r.loan_id !== 7)));
    // The relayer account is assigned to loans 1 and 2 only.
    expect(await ids("relayer")).to.deep.equal(expected(seededOf((r) => r.loan_id === 1 || r.loan_id === 2)));
    expect(await ids("otherLender")).to.deep.equal(expected(seededOf((r) => r.loan_id === 7)));
    expect(await ids("otherCollector")).to.deep.equal(expected(seededOf((r) => r.loan_id === 7)));
    expect(await ids("auditor")).to.deep.equal(expected(seeded));
    expect(await ids("stranger")).to.deep.equal([]);
  });

  it("pages of 3 in both orders give the whole list once, in order; a cursor of the other order is 400", async function () {
    expect((await all("auditor", "/v1/notices?limit=3")).map((n) => n.id)).to.deep.equal(expected(seeded));
    expect((await all("auditor", "/v1/notices?limit=3&sort=triggerAt")).map((n) => n.id)).to.deep.equal(expected(seeded, true));
    expect((await all("lender", "/v1/notices?limit=2&channel=sms")).map((n) => n.id)).to.deep.equal(expected(seededOf((r) => r.loan_id !== 7 && r.channel === "sms")));
    const first = await get("auditor", "/v1/notices?limit=3");
    const wrong = await get<{ errors: { path: string }[] }>("auditor", `/v1/notices?limit=3&sort=triggerAt&cursor=${first.json.nextCursor}`);
    expect(wrong.status).to.equal(400);
    expect(wrong.json.errors[0]!.path).to.equal("query.cursor");
    expect((await get("auditor", "/v1/notices?cursor=bogus")).status).to.equal(400);
  });

  it("filters: status, channel, loanId, and together", async function () {
    for (const status of ["pending", "failed", "deferred"]) {
      expect((await all("auditor", `/v1/notices?status=${status}`)).map((n) => n.id), status).to.deep.equal(expected(seededOf((r) => r.status === status)));
    }
    expect((await all("auditor", "/v1/notices?channel=webhook")).map((n) => n.id)).to.deep.equal(expected(seededOf((r) => r.channel === "webhook")));
    expect((await all("lender", "/v1/notices?loanId=2")).map((n) => n.id)).to.deep.equal(expected(seededOf((r) => r.loan_id === 2)));
    expect((await all("lender", "/v1/notices?loanId=7")).map((n) => n.id)).to.deep.equal([]);
    expect((await all("auditor", "/v1/notices?loanId=1&channel=webhook&status=failed")).map((n) => n.id)).to.deep.equal(expected(seededOf((r) => r.loan_id === 1 && r.channel === "webhook")));
    for (const bad of ["status=sending", "channel=fax", "loanId=0", "sort=dpd", "limit=501", "lender=0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]) {
      expect((await get("auditor", `/v1/notices?${bad}`)).status, bad).to.equal(400);
    }
  });

  it("an item: trigger, status with reason and next attempt, on-chain state; never contact data", async function () {
    const row = seeded.find((r) => r.status === "deferred")!;
    const item = (await all("auditor", `/v1/notices?loanId=${row.loan_id}`)).find((n) => n.id === row.id)!;
    expect(item).to.deep.equal({
      id: row.id,
      loanId: String(row.loan_id),
      lender: row.lender,
      trigger: { name: "ReminderTriggered", id: row.trigger_id, at: row.trigger_at, block: row.trigger_block, logIndex: row.trigger_log_index, txHash: row.trigger_tx, requestedBy: null },
      channel: row.channel,
      kind: "reminder",
      step: 0,
      fallbackOf: null,
      template: "reminder.overdue",
      templateVersion: 1,
      language: "en",
      status: "deferred",
      reason: "outside the borrower's contact hours",
      nextAttemptAt: row.due_at,
      attempts: 1,
      evidenceHash: row.evidence_hash,
      providerId: row.provider_id,
      sentAt: row.sent_at,
      deliveredAt: null,
      onChain: { state: "due", txHash: null, actionSeq: null },
    });
    const sent = (await all("auditor", "/v1/notices?status=sent"))[0]!;
    expect(sent.nextAttemptAt).to.equal(null);
    const c = contactOf(await borrowerRefOf(f, 1));
    for (const role of ["lender", "collector", "auditor"] as const) {
      const text = (await get(role, "/v1/notices?loanId=1&limit=500")).text + (await get(role, "/v1/loans/1/notices")).text;
      for (const s of [c.email!, c.phone!, "Renmin Road"]) expect(text, `${role}: ${s}`).not.to.include(s);
    }
  });

  it("GET /v1/loans/{id}/notices: the loan's, when the loan is visible (404 otherwise)", async function () {
    expect((await all("collector", "/v1/loans/3/notices?limit=1")).map((n) => n.id)).to.deep.equal(expected(seededOf((r) => r.loan_id === 3)));
    expect((await all("otherLender", "/v1/loans/7/notices?status=failed")).map((n) => n.id)).to.deep.equal(expected(seededOf((r) => r.loan_id === 7 && r.status === "failed")));
    expect((await get("lender", "/v1/loans/7/notices")).status).to.equal(404);
    expect((await get("otherCollector", "/v1/loans/1/notices")).status).to.equal(404);
    expect((await get("auditor", "/v1/loans/999/notices")).status).to.equal(404);
    expect((await get("auditor", "/v1/loans/1/notices?loanId=2")).status).to.equal(400);
  });

  it("counts by status and channel: the lender's, another lender's for the auditor; collectors 403", async function () {
    const counts = (rows: NoticesTable[]) => {
      const by = (pred: (r: NoticesTable) => boolean) => {
        const out: Record<string, number> = { pending: 0, deferred: 0, sent: 0, delivered: 0, failed: 0, cancelled: 0, orphaned: 0 };
        for (const r of rows.filter(pred)) out[r.status]!++;
        return out;
      };
      return {
        total: rows.length,
        statuses: by(() => true),
        channels: ["sms", "email", "letter", "webhook"].map((channel) => ({ channel, total: rows.filter((r) => r.channel === channel).length, statuses: by((r) => r.channel === channel) })),
      };
    };
    const mine = await get("lender", "/v1/portfolio/notices");
    expect(mine.status, mine.text).to.equal(200);
    const lenderRows = await f.db.selectFrom("notices").selectAll().where("lender", "=", f.addresses.lender).execute();
    expect(mine.json).to.deep.equal(counts(lenderRows as NoticesTable[]));
    expect(lenderRows.length).to.be.greaterThan(10);
    const every = await f.db.selectFrom("notices").selectAll().execute();
    expect((await get("auditor", "/v1/portfolio/notices")).json).to.deep.equal(counts(every as NoticesTable[]));
    expect((await get("auditor", `/v1/portfolio/notices?lender=${f.addresses.otherLender}`)).json).to.deep.equal(counts(every.filter((r) => r.loan_id === 7) as NoticesTable[]));
    expect((await get("lender", `/v1/portfolio/notices?lender=${f.addresses.otherLender}`)).status).to.equal(403);
    expect((await get("collector", "/v1/portfolio/notices")).status).to.equal(403);
  });

  it("a requested notice: pending from the indexer's chain time, kind by template, once per Idempotency-Key", async function () {
    const r = await post("collector", "/v1/loans/2/notices", { template: "demand.letter", channel: "letter", language: "zh-cn" });
    expect(r.status, r.text).to.equal(202);
    expect(r.json).to.deep.include({ loanId: "2", channel: "letter", kind: "notice", template: "demand.letter", language: "zh-CN", status: "pending", attempts: 0, nextAttemptAt: chainAt });
    expect(r.json.trigger).to.deep.include({ name: "Request", at: chainAt, block: null, requestedBy: f.addresses.collector });
    const row = await f.db.selectFrom("notices").selectAll().where("id", "=", r.json.id).executeTakeFirstOrThrow();
    expect(row).to.deep.include({ trigger: "Request", requested_by: f.addresses.collector, due_at: chainAt, trigger_at: chainAt, step: 0, lender: f.addresses.lender, borrower_ref: await borrowerRefOf(f, 2) });
    expect(row.id).to.equal(noticeId(row.trigger_id, "letter"));
    expect(Number(row.created_ms)).to.be.greaterThan(1_700_000_000_000);

    const key = `matrix-${dialect}-1`;
    const body = { template: "reminder.due", channel: "sms" };
    const a = await post("lender", "/v1/loans/3/notices", body, { "idempotency-key": key });
    const b = await post("lender", "/v1/loans/3/notices", body, { "idempotency-key": key });
    expect([a.status, b.status]).to.deep.equal([202, 202]);
    expect(b.json).to.deep.equal(a.json);
    expect(b.replayed).to.equal("true");
    expect(a.json.kind).to.equal("reminder");
    expect(a.json.trigger.id).to.equal(requestTriggerId(f.addresses.lender, key));
    expect(a.json.language).to.equal(null);
    expect(await f.db.selectFrom("notices").select("id").where("trigger_id", "=", a.json.trigger.id).execute()).to.have.length(1);
    const other = await post<{ detail: string }>("lender", "/v1/loans/3/notices", { ...body, template: "reminder.overdue" }, { "idempotency-key": key });
    expect(other.status).to.equal(409);
    // Without a key every request is a new notice.
    const c1 = await post("lender", "/v1/loans/3/notices", body);
    const c2 = await post("lender", "/v1/loans/3/notices", body);
    expect(c1.json.id).not.to.equal(c2.json.id);
  });

  it("a request: unknown template is 400 naming it; auditors 403; callers who cannot see the loan 404", async function () {
    const unknown = await post<{ detail: string; errors: { path: string; message: string }[] }>("lender", "/v1/loans/1/notices", { template: "reminder.tomorrow", channel: "sms" });
    expect(unknown.status).to.equal(400);
    expect(unknown.json.detail).to.include('"reminder.tomorrow"');
    expect(unknown.json.errors[0]!.path).to.equal("body.template");
    for (const body of [{ template: "reminder.due" }, { template: "reminder.due", channel: "fax" }, { template: "reminder.due", channel: "sms", language: "not a tag" }, { template: "reminder.due", channel: "sms", extra: 1 }]) {
      expect((await post("lender", "/v1/loans/1/notices", body)).status, JSON.stringify(body)).to.equal(400);
    }
    const ok = { template: "reminder.due", channel: "email" };
    expect((await post("auditor", "/v1/loans/1/notices", ok)).status).to.equal(403);
    expect((await post("otherCollector", "/v1/loans/1/notices", ok)).status).to.equal(404);
    expect((await post("otherLender", "/v1/loans/1/notices", ok)).status).to.equal(404);
    expect((await post("relayer", "/v1/loans/3/notices", ok)).status).to.equal(404);
    expect((await post("relayer", "/v1/loans/1/notices", ok)).status).to.equal(202);
    expect((await post("otherLender", "/v1/loans/7/notices", ok)).status).to.equal(202);
  });

  it("replay: a failed webhook goes back to pending, due now, attempts and reason cleared; anything else is 409 naming its status", async function () {
    const dead = seeded.find((r) => r.loan_id === 1 && r.channel === "webhook")!;
    expect((await post("collector", `/v1/notices/${dead.id}/replay`)).status).to.equal(403);
    expect((await post("auditor", `/v1/notices/${dead.id}/replay`)).status).to.equal(403);
    expect((await post("otherLender", `/v1/notices/${dead.id}/replay`)).status).to.equal(404);
    const r = await post("lender", `/v1/notices/${dead.id}/replay`);
    expect(r.status, r.text).to.equal(202);
    expect(r.json).to.deep.include({ id: dead.id, status: "pending", attempts: 0, reason: null, nextAttemptAt: chainAt });
    const row = await f.db.selectFrom("notices").selectAll().where("id", "=", dead.id).executeTakeFirstOrThrow();
    expect(row).to.deep.include({ status: "pending", attempts: 0, reason: null, due_at: chainAt, lease_owner: null });
    const again = await post<{ detail: string; status: number }>("lender", `/v1/notices/${dead.id}/replay`);
    expect(again.status).to.equal(409);
    expect(again.json.detail).to.include("status pending");
    const failedEmail = seeded.find((r) => r.channel === "email" && r.status === "failed")!;
    const email = await post<{ detail: string; channel: string }>("auditor", `/v1/notices/${failedEmail.id}/replay`);
    expect(email.status).to.equal(403);
    const emailByLender = await post<{ detail: string; channel: string; noticeStatus: string; status: number }>("lender", `/v1/notices/${failedEmail.id}/replay`);
    expect(emailByLender.status).to.equal(409);
    expect(emailByLender.json).to.include({ channel: "email", noticeStatus: "failed", status: 409 });
    expect((await post("lender", `/v1/notices/ntc_${"0".repeat(32)}/replay`)).status).to.equal(404);
    expect((await post("lender", "/v1/notices/not-an-id/replay")).status).to.equal(400);
  });
});
