/**
 * GET and PUT /v1/notice-plans/{lender} on both databases: the built-in plan until the lender sets
 * one; versions from 1 (201), the plan in force again makes none (200); an invalid plan is a 400
 * naming every problem by its path; the lender and its servicers may set, auditors may read,
 * collectors and other lenders are refused; a GET after a PUT sees the new plan (never cached).
 */
import { expect } from "chai";
import { DEFAULT_NOTICE_PLAN } from "../../src/notify/default-plan";
import { noticePlanHash, parseNoticePlan } from "../../src/notify/plan";
import { apiFixture, describeEachDialect, type ApiFixture, type Role } from "./fixture";
import { sendTx } from "./helpers/tx";

const PLAN = {
  version: 1,
  webhook: { url: "https://lender.example/hooks/duetrail" },
  default: {
    rules: [
      { trigger: "ReminderTriggered", when: { minOffsetDays: 1 }, template: "reminder.overdue", channels: ["sms", "email"], webhook: true },
      { trigger: "DpdReached", dpd: 60, template: "demand.letter", channels: ["letter"] },
    ],
  },
  segments: { hardship: { rules: [{ trigger: "ReminderTriggered", template: "reminder.overdue", channels: ["email"] }], caps: { perDay: 1 } } },
};

describeEachDialect("API notice plans", (dialect) => {
  let f: ApiFixture;
  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
  });
  after(() => f?.close());

  const get = async (role: Role | undefined, lender: string) => {
    const r = await f.call(role, `/v1/notice-plans/${lender}`);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const put = async (role: Role | undefined, lender: string, body: unknown) => {
    const r = await f.call(role, `/v1/notice-plans/${lender}`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: r.status, contentType: r.headers.get("content-type"), body: (await r.json()) as Record<string, unknown> };
  };

  it("serves the built-in plan (version 0) to a lender that set none", async function () {
    const r = await get("lender", f.addresses.lender);
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.equal({
      lender: f.addresses.lender,
      version: 0,
      planHash: noticePlanHash(DEFAULT_NOTICE_PLAN),
      createdBy: "duetrail",
      createdAt: 0,
      builtIn: true,
      plan: JSON.parse(JSON.stringify(DEFAULT_NOTICE_PLAN)),
    });
  });

  it("stores a plan as version 1 (201), the same again makes none (200), a change makes version 2; GET follows at once", async function () {
    const first = await put("lender", f.addresses.lender.toLowerCase(), PLAN);
    expect(first.status).to.equal(201);
    expect(first.body).to.deep.include({ lender: f.addresses.lender, version: 1, createdBy: f.addresses.lender, builtIn: false, planHash: noticePlanHash(parseNoticePlan(PLAN)) });
    expect(first.body.plan).to.deep.equal(PLAN);
    expect((await get("lender", f.addresses.lender)).body).to.deep.equal(first.body);

    const again = await put("lender", f.addresses.lender, JSON.parse(JSON.stringify(PLAN)));
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal(first.body);

    const changed = { ...PLAN, caps: { perDay: 1, per7Days: 3 } };
    const second = await put("lender", f.addresses.lender, changed);
    expect(second.status).to.equal(201);
    expect(second.body).to.deep.include({ version: 2 });
    expect((await get("auditor", f.addresses.lender)).body).to.deep.include({ version: 2, plan: changed });
    // The other lender's plan is untouched.
    expect((await get("otherLender", f.addresses.otherLender)).body).to.deep.include({ version: 0, builtIn: true });
  });

  it("refuses an invalid plan with a 400 naming every problem by its path, and stores nothing", async function () {
    const bad = {
      version: 1,
      default: {
        rules: [
          { trigger: "LoanDefaulted", template: "default.notice", channels: ["letter"], webhook: true },
          { trigger: "LoanDefaulted", template: "default.notice", channels: ["letter"] },
          { trigger: "LoanDefaulted", template: "x", channels: ["letter"] },
          { trigger: "DpdReached", dpd: 90, template: "demand.letter", channels: ["sms"] },
        ],
      },
    };
    const r = await put("lender", f.addresses.lender, bad);
    expect(r.status).to.equal(400);
    expect(r.contentType).to.match(/^application\/problem\+json/);
    expect(r.body.errors).to.have.deep.members([
      { path: "body.default.rules.0.webhook", message: "needs the plan's webhook.url" },
      { path: "body.default.rules.2.template", message: 'unknown template "x"' },
      { path: "body.default.rules.3.channels.0", message: 'template "demand.letter" has no sms form (it has letter, email, webhook)' },
    ]);
    expect((await get("lender", f.addresses.lender)).body).to.deep.include({ version: 2 });
  });

  it("lets the lender and its servicers set, auditors read; refuses collectors and other lenders", async function () {
    const lender = f.addresses.lender;
    expect((await get("collector", lender)).status).to.equal(403);
    expect((await put("collector", lender, PLAN)).status).to.equal(403);
    expect((await get("otherLender", lender)).status).to.equal(403);
    expect((await put("otherLender", lender, PLAN)).status).to.equal(403);
    expect((await put("auditor", lender, PLAN)).status).to.equal(403);
    expect((await put("lender", f.addresses.otherLender, PLAN)).status).to.equal(403);
    expect((await get(undefined, lender)).status).to.equal(401);
    expect((await get("stranger", lender)).status).to.equal(403);

    // A servicer the lender delegates (ServicerSet, indexed) acts for it.
    await sendTx(f, "lender", "ledger", "setServicer", [f.addresses.stranger, true]);
    await f.reindex();
    try {
      const byServicer = await put("stranger", lender, { ...PLAN, caps: { perDay: 2 } });
      expect(byServicer.status).to.equal(201);
      expect(byServicer.body).to.deep.include({ version: 3, createdBy: f.addresses.stranger });
      expect((await get("stranger", lender)).status).to.equal(200);
      expect((await put("stranger", f.addresses.otherLender, PLAN)).status).to.equal(403);
    } finally {
      await sendTx(f, "lender", "ledger", "setServicer", [f.addresses.stranger, false]);
      await f.reindex();
    }
    expect((await put("stranger", lender, PLAN)).status).to.equal(403);
  });

  it("refuses a lender that is not an address with a 400", async function () {
    const r = await get("lender", "0x123");
    expect(r.status).to.equal(400);
    expect(r.body.errors).to.deep.equal([{ path: "params.lender", message: "must be a 0x-prefixed 20-byte hex address" }]);
  });
});
