/**
 * Notice plans in the database, on SQLite and PostgreSQL: versions per lender from 1, the plan in
 * force unchanged when set again, the built-in plan as version 0 for a lender without one, the
 * hash of the canonical JSON, a batch read for many lenders, concurrent writers never clash, an
 * invalid plan never stored, and a stored plan that no longer validates named by lender and
 * version.
 */
import { expect } from "chai";
import { getAddress, type Address } from "viem";
import type { DatabaseHandle } from "../../src/db/connect";
import { BUILT_IN_PLAN_VERSION, currentPlan, currentPlans, planVersion, setPlan } from "../../src/db/notice-plans";
import { DEFAULT_NOTICE_PLAN } from "../../src/notify/default-plan";
import { NoticePlanError } from "../../src/notify/errors";
import { canonicalPlan, InvalidNoticePlanError, noticePlanHash, parseNoticePlan } from "../../src/notify/plan";
import { createTestDatabase, describeEachDialect, removeTempDirs, type TestDatabase } from "../indexer/helpers/harness";

const LENDER = "0x00000000000000000000000000000000000000a1" as Address;
const OTHER = "0x00000000000000000000000000000000000000B2" as Address;

const planWith = (channels: string[]) => ({ version: 1, default: { rules: [{ trigger: "LoanDefaulted", template: "default.notice", channels }] } });

describeEachDialect("db/notice-plans", (dialect) => {
  let tdb: TestDatabase;
  let h: DatabaseHandle;

  beforeEach(async function () {
    tdb = createTestDatabase(dialect, "notice-plans");
    h = await tdb.open();
  });
  afterEach(async function () {
    await h.close();
    await tdb.drop();
    removeTempDirs();
  });

  it("gives a lender without a plan the built-in plan as version 0", async function () {
    const p = await currentPlan(h.db, LENDER);
    expect(p).to.deep.equal({ lender: getAddress(LENDER), version: BUILT_IN_PLAN_VERSION, plan: DEFAULT_NOTICE_PLAN, planHash: noticePlanHash(DEFAULT_NOTICE_PLAN), createdBy: "duetrail", createdAt: 0, builtIn: true });
    expect(await planVersion(h.db, LENDER, 0)).to.deep.equal(p);
    expect(await planVersion(h.db, LENDER, 1)).to.equal(undefined);
  });

  it("numbers versions per lender from 1; the newest is in force; the row holds the canonical JSON and its hash", async function () {
    expect(await setPlan(h.db, LENDER, planWith(["letter"]), "0xCaller", 1_000)).to.deep.include({ version: 1, created: true });
    const second = await setPlan(h.db, LENDER, planWith(["letter", "email"]), "cli", 2_000);
    expect(second).to.deep.equal({ version: 2, planHash: noticePlanHash(parseNoticePlan(planWith(["letter", "email"]))), created: true });
    expect(await setPlan(h.db, OTHER, planWith(["email"]), "cli", 3_000)).to.deep.include({ version: 1, created: true });

    const now = await currentPlan(h.db, LENDER);
    expect(now).to.deep.include({ lender: getAddress(LENDER), version: 2, createdBy: "cli", createdAt: 2_000, builtIn: false, planHash: second.planHash });
    expect(now.plan.default.rules[0]!.channels).to.deep.equal(["letter", "email"]);
    expect((await planVersion(h.db, LENDER, 1))!.plan.default.rules[0]!.channels).to.deep.equal(["letter"]);
    expect((await planVersion(h.db, LENDER, 1))!.createdBy).to.equal("0xCaller");

    const rows = await h.db.selectFrom("notice_plans").selectAll().where("lender", "=", getAddress(LENDER)).orderBy("version").execute();
    expect(rows.map((r) => Number(r.version))).to.deep.equal([1, 2]);
    expect(rows[1]!.plan).to.equal(canonicalPlan(parseNoticePlan(planWith(["letter", "email"]))));
    expect(rows[1]!.plan).to.equal('{"default":{"rules":[{"channels":["letter","email"],"template":"default.notice","trigger":"LoanDefaulted"}]},"version":1}');
    expect(rows[1]!.plan_hash).to.equal(second.planHash).and.match(/^0x[0-9a-f]{64}$/);
  });

  it("adds no version when the plan in force is set again (whatever its key order), and does after a change", async function () {
    await setPlan(h.db, LENDER, planWith(["letter"]), "cli", 1_000);
    const again = await setPlan(h.db, LENDER, { default: { rules: [{ channels: ["letter"], template: "default.notice", trigger: "LoanDefaulted" }] }, version: 1 }, "cli", 2_000);
    expect(again).to.deep.include({ version: 1, created: false });
    await setPlan(h.db, LENDER, planWith(["email"]), "cli", 3_000);
    // Back to version 1's plan: a new version (2 is in force, not 1).
    expect(await setPlan(h.db, LENDER, planWith(["letter"]), "cli", 4_000)).to.deep.include({ version: 3, created: true });
  });

  it("refuses an invalid plan with every problem named, and stores nothing", async function () {
    let caught: unknown;
    try {
      await setPlan(h.db, LENDER, { version: 1, default: { rules: [{ trigger: "LoanDefaulted", template: "x", channels: ["letter"] }] } }, "cli", 1_000);
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(InvalidNoticePlanError);
    expect((caught as Error).message).to.equal('invalid notice plan: default.rules[0].template: unknown template "x"');
    expect(await h.db.selectFrom("notice_plans").selectAll().execute()).to.deep.equal([]);
  });

  it("reads the plans in force of many lenders at once, the built-in one for those without", async function () {
    const lenders = Array.from({ length: 12 }, (_, i) => getAddress(`0x${(i + 1).toString(16).padStart(40, "0")}`) as Address);
    for (const [i, l] of lenders.entries()) {
      if (i % 3 === 0) continue;
      await setPlan(h.db, l, planWith(["letter"]), "cli", 1_000);
      if (i % 3 === 2) await setPlan(h.db, l, planWith(["email"]), "cli", 2_000);
    }
    const plans = await currentPlans(h.db, [...lenders, lenders[1]!.toLowerCase() as Address]);
    expect([...plans.keys()].sort()).to.deep.equal([...lenders].sort());
    for (const [i, l] of lenders.entries()) {
      const p = plans.get(l)!;
      expect(p.version, `lender ${i}`).to.equal(i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : 2);
      expect(p.builtIn).to.equal(i % 3 === 0);
      if (i % 3 === 2) expect(p.plan.default.rules[0]!.channels).to.deep.equal(["email"]);
    }
    expect((await currentPlans(h.db, [])).size).to.equal(0);
  });

  it("gives concurrent writers distinct versions", async function () {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => setPlan(h.db, LENDER, planWith(i % 2 ? ["letter", "email"] : ["email", "letter"].slice(0, 1 + (i % 3))), `writer ${i}`, 1_000 + i)));
    const created = results.filter((r) => r.created).map((r) => r.version);
    expect(new Set(created).size).to.equal(created.length);
    const rows = await h.db.selectFrom("notice_plans").select("version").where("lender", "=", getAddress(LENDER)).orderBy("version").execute();
    expect(rows.map((r) => Number(r.version))).to.deep.equal(Array.from({ length: rows.length }, (_, i) => i + 1));
    expect((await currentPlan(h.db, LENDER)).version).to.equal(rows.length);
  });

  it("names the lender and version of a stored plan that no longer validates", async function () {
    await h.db.insertInto("notice_plans").values({ lender: getAddress(LENDER), version: 1, plan: '{"version":1,"default":{"rules":[{"trigger":"LoanDefaulted","template":"retired.template","channels":["letter"]}]}}', plan_hash: "0x00", created_by: "cli", created_at: 1 }).execute();
    let caught: unknown;
    try {
      await currentPlan(h.db, LENDER);
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(NoticePlanError);
    expect((caught as Error).message).to.match(new RegExp(`^notice plan of lender ${getAddress(LENDER)}, version 1, no longer validates: invalid notice plan: default\\.rules\\[0\\]\\.template: unknown template "retired\\.template"`));
  });
});
