/**
 * GET /v1/portfolio/trends: the SQL month-end series equal a per-loan computation in TypeScript from
 * the indexed rows with the domain's own functions (daysLate, bucketOf, overdueAt), the month-ends
 * are UTC boundaries in chain time, scope follows the caller as for /v1/portfolio.
 */
import { expect } from "chai";
import { amountOf, BUCKET_LABELS, bucketOf, daysLate, LoanStatus, overdueAt, type Installment } from "../../src/domain";
import { rpc } from "../support/chain";
import { apiFixture, describeEachDialect, type ApiFixture } from "./fixture";
import { sendTx } from "./helpers/tx";

interface Trends {
  months: number;
  vintageDpd: number;
  ageing: { month: string; at: number; buckets: { bucket: string; loans: number; amountOverdue: string }[] }[];
  vintages: { month: string; originated: number; points: { monthsOnBook: number; at: number; loans: number; share: number | null }[] }[];
  asOf: { block: number; timestamp: number };
}

const DAY = 86_400;
const monthOf = (t: number) => new Date(t * 1000).toISOString().slice(0, 7);

/** Each loan's bucket and amount overdue at `t` (null: not in the population at t), from the rows, per loan. */
async function positionsAt(f: ApiFixture, lender?: string) {
  const loans = await f.db.selectFrom("loans").selectAll().$if(lender !== undefined, (q) => q.where("lender", "=", lender!)).execute();
  const versions = await f.db.selectFrom("schedule_versions").selectAll().execute();
  const installments = await f.db.selectFrom("installments").selectAll().orderBy("idx").execute();
  const repayments = await f.db.selectFrom("repayments").selectAll().execute();
  return {
    loans,
    at(loan: (typeof loans)[number], t: number): { bucket: string; dpd: number; overdue: bigint } | null {
      const sv = versions.find((v) => v.loan_id === loan.loan_id && v.version === loan.version)!;
      if (loan.registered_at > t || sv.started_at > t) return null;
      if ((loan.written_off_at !== null && loan.written_off_at <= t) || (loan.closed_at !== null && loan.closed_at <= t)) return null;
      const schedule: Installment[] = installments
        .filter((i) => i.loan_id === loan.loan_id && i.version === loan.version)
        .map((i) => ({ dueDate: BigInt(i.due_date), principal: BigInt(i.principal), interest: BigInt(i.interest) }));
      const paidRows = repayments.filter(
        (r) => r.loan_id === loan.loan_id && r.paid_at <= t && (r.block_number > sv.block_number || (r.block_number === sv.block_number && r.log_index > sv.log_index)),
      );
      const cursor = paidRows.reduce((c, r) => Math.max(c, r.cursor_after), 0);
      if (cursor >= schedule.length) return null;
      const repaid = paidRows.reduce((s, r) => s + BigInt(r.principal) + BigInt(r.interest), 0n);
      const paid = repaid - schedule.slice(0, cursor).reduce((s, i) => s + amountOf(i), 0n);
      const dpd = daysLate(schedule[cursor]!.dueDate, BigInt(t));
      const { amountOverdue } = overdueAt({ status: LoanStatus.Active, cursor, paid, schedule }, BigInt(t));
      return { bucket: BUCKET_LABELS[bucketOf(dpd)], dpd: Number(dpd), overdue: amountOverdue };
    },
  };
}

describeEachDialect("GET /v1/portfolio/trends", (dialect) => {
  let f: ApiFixture;

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    // Months of history: partial payments on overdue loans (paid on the cursor installment), then time passes.
    await rpc(f.node.url, "evm_increaseTime", [35 * DAY]);
    await rpc(f.node.url, "evm_mine", []);
    await sendTx(f, "borrower", "ledger", "repay", [2n, 1_000_000n]);
    await sendTx(f, "borrower", "ledger", "repay", [4n, 30_000_000n]);
    await rpc(f.node.url, "evm_increaseTime", [50 * DAY]);
    await rpc(f.node.url, "evm_mine", []);
    await sendTx(f, "borrower", "ledger", "repay", [1n, 5_000_000n]);
    await rpc(f.node.url, "evm_increaseTime", [20 * DAY]);
    await rpc(f.node.url, "evm_mine", []);
    await f.reindex();
  });
  after(() => f?.close());

  async function json<T>(role: Parameters<ApiFixture["call"]>[0], path: string): Promise<T> {
    const res = await f.call(role, path);
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as T;
  }

  it("month-ends are the last `months` UTC month boundaries at or before asOf, oldest first", async () => {
    const t = await json<Trends>("auditor", "/v1/portfolio/trends?months=5");
    expect(t.months).to.equal(5);
    expect(t.ageing.length).to.equal(5);
    for (const [k, p] of t.ageing.entries()) {
      const d = new Date(p.at * 1000);
      expect([d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()], p.month).to.deep.equal([1, 0, 0, 0]);
      expect(p.month).to.equal(monthOf(p.at - 1));
      if (k > 0) expect(monthOf(t.ageing[k - 1]!.at)).to.equal(p.month);
    }
    const last = t.ageing[4]!.at;
    expect(last <= t.asOf.timestamp && monthOf(last) === monthOf(t.asOf.timestamp)).to.equal(true);
    expect((await json<Trends>("auditor", "/v1/portfolio/trends")).ageing.length, "default 12").to.equal(12);
  });

  it("ageing: loans and amount overdue per bucket at each month-end equal the per-loan computation", async () => {
    const t = await json<Trends>("auditor", "/v1/portfolio/trends?months=6");
    const p = await positionsAt(f);
    let late = 0n;
    for (const point of t.ageing) {
      const at = p.loans.map((l) => p.at(l, point.at)).filter((x) => x !== null);
      const want = BUCKET_LABELS.map((bucket) => {
        const xs = at.filter((x) => x.bucket === bucket);
        return { bucket, loans: xs.length, amountOverdue: xs.reduce((s, x) => s + x.overdue, 0n).toString() };
      });
      expect(point.buckets, point.month).to.deep.equal(want);
      late += point.buckets.slice(2).reduce((s, b) => s + BigInt(b.amountOverdue), 0n);
    }
    expect(late > 0n, "the fixture has loans over 30 DPD at some month-end").to.equal(true);
  });

  it("vintages: originations per UTC month and the share 30+ DPD at each months-on-book point", async () => {
    const t = await json<Trends>("auditor", "/v1/portfolio/trends?months=6");
    expect(t.vintageDpd).to.equal(30);
    const p = await positionsAt(f);
    const ends = t.ageing.map((a) => a.at);
    const months = t.ageing.map((a) => a.month);
    const want = months.flatMap((month, v) => {
      const cohort = p.loans.filter((l) => monthOf(l.registered_at) === month);
      if (cohort.length === 0) return [];
      const points = ends.slice(v).map((at, k) => {
        const loans = cohort.filter((l) => (p.at(l, at)?.dpd ?? 0) >= 30).length;
        return { monthsOnBook: k, at, loans, share: Math.round((loans / cohort.length) * 10_000) / 10_000 };
      });
      return [{ month, originated: cohort.length, points }];
    });
    expect(t.vintages).to.deep.equal(want);
    expect(t.vintages.length, "the fixture's loans fall in the window").to.be.greaterThan(0);
    expect(t.vintages.some((v) => v.points.some((q) => q.loans > 0)), "some vintage has 30+ loans").to.equal(true);
  });

  it("lenders see only their own loans; ?lender= narrows an auditor's view", async () => {
    const mine = await json<Trends>("lender", "/v1/portfolio/trends?months=6");
    const p = await positionsAt(f, f.addresses.lender);
    for (const point of mine.ageing) {
      const n = p.loans.filter((l) => p.at(l, point.at) !== null).length;
      expect(point.buckets.reduce((s, b) => s + b.loans, 0), point.month).to.equal(n);
    }
    const other = await json<Trends>("otherLender", "/v1/portfolio/trends?months=6");
    const narrowed = await json<Trends>("auditor", `/v1/portfolio/trends?months=6&lender=${f.addresses.otherLender}`);
    expect(narrowed).to.deep.equal(other);
    expect(other.vintages.reduce((s, v) => s + v.originated, 0)).to.equal(1);
  });

  it("refuses collectors and callers without a role (403), a lender asking for another lender (403), bad months (400)", async () => {
    for (const role of ["collector", "otherCollector", "stranger"] as const) {
      const res = await f.call(role, "/v1/portfolio/trends");
      expect(res.status, role).to.equal(403);
      expect(res.headers.get("content-type")).to.match(/application\/problem\+json/);
    }
    expect((await f.call("lender", `/v1/portfolio/trends?lender=${f.addresses.otherLender}`)).status).to.equal(403);
    expect((await f.call(undefined, "/v1/portfolio/trends")).status).to.equal(401);
    for (const q of ["months=0", "months=37", "months=x", "other=1"]) expect((await f.call("auditor", `/v1/portfolio/trends?${q}`)).status, q).to.equal(400);
  });
});
