/**
 * GET /v1/portfolio: the SQL aggregates equal the per-loan figures the domain computes (the loan
 * list's status blocks), scope follows the caller, and collectors are refused.
 */
import { expect } from "chai";
import { apiFixture, describeEachDialect, type ApiFixture } from "./fixture";

interface Status {
  state: string;
  bucket: string;
  classification: string;
  outstandingPrincipal: string;
  amountOverdue: string;
  penaltyAccrued: string;
}
interface Figures {
  loans: number;
  outstandingPrincipal: string;
  amountOverdue: string;
  penaltyAccrued: string;
}
interface Portfolio {
  totals: Figures;
  buckets: ({ bucket: string } & Figures)[];
  classifications: ({ classification: string } & Figures)[];
  statuses: Record<string, number>;
  rollRates: { windowDays: number; rates: { from: string; to: string; loans: number; rolled: number; rate: number | null }[]; transitions: { from: string; to: string; loans: number }[] };
  recoveries: { count: number; amount: string };
  collectors: { collector: string; actions: number; contactsMade: number; promises: number; flagged: number }[];
  asOf: { block: number; timestamp: number };
}

function expected(items: { lender: string; status: Status }[]) {
  const open = items.filter((i) => i.status.state === "active" || i.status.state === "charged_off");
  const sum = (xs: typeof open, k: "outstandingPrincipal" | "amountOverdue" | "penaltyAccrued") => xs.reduce((s, i) => s + BigInt(i.status[k]), 0n).toString();
  const figures = (xs: typeof open) => ({
    loans: xs.length,
    outstandingPrincipal: sum(xs, "outstandingPrincipal"),
    amountOverdue: sum(xs, "amountOverdue"),
    penaltyAccrued: sum(xs, "penaltyAccrued"),
  });
  return {
    totals: figures(open),
    bucket: (b: string) => figures(open.filter((i) => i.status.bucket === b)),
    classification: (c: string) => figures(open.filter((i) => i.status.classification === c)),
  };
}

describeEachDialect("GET /v1/portfolio", (dialect) => {
  let f: ApiFixture;

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
  });
  after(() => f?.close());

  async function json<T>(role: Parameters<ApiFixture["call"]>[0], path: string): Promise<T> {
    const res = await f.call(role, path);
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as T;
  }

  it("auditor: every open loan, with the same figures as the domain computes per loan", async () => {
    const p = await json<Portfolio>("auditor", "/v1/portfolio");
    const list = await json<{ items: { lender: string; status: Status }[] }>("auditor", "/v1/loans?limit=500");
    const e = expected(list.items);
    expect(p.totals).to.deep.equal(e.totals);
    expect(p.buckets.map((b) => b.bucket)).to.deep.equal(["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"]);
    for (const b of p.buckets) expect({ ...b, bucket: undefined }, b.bucket).to.deep.equal({ ...e.bucket(b.bucket), bucket: undefined });
    for (const c of p.classifications) expect({ ...c, classification: undefined }, c.classification).to.deep.equal({ ...e.classification(c.classification), classification: undefined });
    expect(BigInt(p.totals.amountOverdue) > 0n, "the fixture has overdue loans").to.equal(true);
    expect(BigInt(p.totals.penaltyAccrued) > 0n, "and penalties past grace").to.equal(true);
    expect(Object.values(p.statuses).reduce((s, n) => s + n, 0)).to.equal(list.items.length);
  });

  it("auditor: collector activity and recoveries from the indexed actions and repayments", async () => {
    const p = await json<Portfolio>("auditor", "/v1/portfolio");
    const actions = await f.db.selectFrom("actions").select(["collector", "kind", "flags"]).execute();
    const byCollector = new Map<string, { actions: number; contactsMade: number; promises: number; flagged: number }>();
    for (const a of actions) {
      const c = byCollector.get(a.collector) ?? { actions: 0, contactsMade: 0, promises: 0, flagged: 0 };
      c.actions++;
      if (a.kind === 1) c.contactsMade++;
      if (a.kind === 2) c.promises++;
      if (a.flags !== 0) c.flagged++;
      byCollector.set(a.collector, c);
    }
    expect(p.collectors.map(({ collector, actions, contactsMade, promises, flagged }) => [collector, { actions, contactsMade, promises, flagged }])).to.deep.equal(
      [...byCollector].sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    expect(p.collectors.find((c) => c.collector === f.addresses.collector)?.promises).to.be.greaterThan(0);
    const rec = await f.db.selectFrom("repayments").select("amount").where("recovery", "=", 1).execute();
    expect(p.recoveries).to.deep.equal({ count: rec.length, amount: rec.reduce((s, r) => s + BigInt(r.amount), 0n).toString() });
  });

  it("roll rates: denominators and numerators agree with the transition matrix", async () => {
    const p = await json<Portfolio>("auditor", "/v1/portfolio");
    expect(p.rollRates.windowDays).to.equal(30);
    for (const r of p.rollRates.rates) {
      const from = p.rollRates.transitions.filter((t) => t.from === r.from);
      expect(r.loans).to.equal(from.reduce((s, t) => s + t.loans, 0));
      expect(r.rolled).to.equal(from.filter((t) => t.to === r.to).reduce((s, t) => s + t.loans, 0));
      expect(r.rate).to.equal(r.loans === 0 ? null : Math.round((r.rolled / r.loans) * 10_000) / 10_000);
    }
  });

  it("lenders see only their own loans; ?lender= narrows an auditor's view", async () => {
    const mine = await json<Portfolio>("lender", "/v1/portfolio");
    const other = await json<Portfolio>("otherLender", "/v1/portfolio");
    const all = await json<Portfolio>("auditor", "/v1/portfolio");
    const list = await json<{ items: { lender: string; status: Status }[] }>("auditor", "/v1/loans?limit=500");
    expect(mine.totals).to.deep.equal(expected(list.items.filter((i) => i.lender === f.addresses.lender)).totals);
    expect(other.totals).to.deep.equal(expected(list.items.filter((i) => i.lender === f.addresses.otherLender)).totals);
    expect(mine.totals.loans + other.totals.loans).to.equal(all.totals.loans);
    expect(other.collectors.map((c) => c.collector)).to.not.include(f.addresses.collector);
    const narrowed = await json<Portfolio>("auditor", `/v1/portfolio?lender=${f.addresses.otherLender}`);
    expect(narrowed.totals).to.deep.equal(other.totals);
  });

  it("refuses collectors and callers without a role (403), a lender asking for another lender (403)", async () => {
    for (const role of ["collector", "otherCollector", "stranger"] as const) {
      const res = await f.call(role, "/v1/portfolio");
      expect(res.status, role).to.equal(403);
      expect(res.headers.get("content-type")).to.match(/application\/problem\+json/);
    }
    const res = await f.call("lender", `/v1/portfolio?lender=${f.addresses.otherLender}`);
    expect(res.status).to.equal(403);
    expect((await f.call(undefined, "/v1/portfolio")).status).to.equal(401);
    expect((await f.call("auditor", "/v1/portfolio?lender=nope")).status).to.equal(400);
  });
});
