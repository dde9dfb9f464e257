/**
 * GET /v1/loans filters (classification, bucket, minDpd/maxDpd, status) select exactly the loans
 * whose status block (computed by src/domain) says so: the SQL that filters and the domain that
 * answers agree. Chain time is moved to half a day past loan 7's first due date, so DPD has a
 * fraction of a day on every late loan (the fraction must be dropped, as daysLate drops it).
 */
import { expect } from "chai";
import { rpc } from "../support/chain";
import { apiFixture, describeEachDialect, type ApiFixture } from "./fixture";

interface Item {
  loanId: string;
  status: { state: string; dpd: number; bucket: string; classification: string };
}

const CLASSIFICATIONS = ["normal", "special_mention", "substandard", "doubtful", "loss"];
const BUCKETS = ["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"];
const DPD_RANGES: [number | undefined, number | undefined][] = [[1, undefined], [undefined, 0], [0, 1], [2, 40], [31, 31], [100_000, undefined]];

describeEachDialect("GET /v1/loans filters agree with the status blocks", (dialect) => {
  let f: ApiFixture;
  let all: Item[];

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    const first = await f.db.selectFrom("installments").select("due_date").where("loan_id", "=", 7).where("idx", "=", 0).executeTakeFirstOrThrow();
    await rpc(f.node.url, "evm_setNextBlockTimestamp", [Number(first.due_date) + 43_200]);
    await rpc(f.node.url, "evm_mine", []);
    await f.reindex();
    all = await list("");
  });
  after(() => f?.close());

  async function list(query: string): Promise<Item[]> {
    const res = await f.call("auditor", `/v1/loans?limit=500${query}`);
    expect(res.status, await res.clone().text()).to.equal(200);
    return ((await res.json()) as { items: Item[] }).items;
  }
  const ids = (items: Item[]) => items.map((i) => i.loanId).sort();

  it("the fixture has loans half a day late, others later, and others not due", () => {
    const loan7 = all.find((i) => i.loanId === "7");
    expect(loan7?.status).to.include({ dpd: 0, classification: "normal", bucket: "M0" });
    expect(all.some((i) => i.status.dpd > 0)).to.equal(true);
  });

  it("?classification= selects the loans classified so", async () => {
    for (const c of CLASSIFICATIONS) {
      expect(ids(await list(`&classification=${c}`)), c).to.deep.equal(ids(all.filter((i) => i.status.classification === c)));
    }
  });

  it("?bucket= selects the loans in that bucket", async () => {
    for (const b of BUCKETS) {
      expect(ids(await list(`&bucket=${encodeURIComponent(b)}`)), b).to.deep.equal(ids(all.filter((i) => i.status.bucket === b)));
    }
  });

  it("?minDpd= and ?maxDpd= select by whole days past due", async () => {
    for (const [min, max] of DPD_RANGES) {
      const q = `${min === undefined ? "" : `&minDpd=${min}`}${max === undefined ? "" : `&maxDpd=${max}`}`;
      const want = all.filter((i) => i.status.dpd >= (min ?? 0) && i.status.dpd <= (max ?? Infinity));
      expect(ids(await list(q)), q).to.deep.equal(ids(want));
    }
  });

  it("filters combine (status, bucket, classification)", async () => {
    for (const c of CLASSIFICATIONS) {
      for (const b of ["M0", "M1"]) {
        const want = all.filter((i) => i.status.state === "active" && i.status.bucket === b && i.status.classification === c);
        expect(ids(await list(`&status=active&bucket=${b}&classification=${c}`)), `${b} ${c}`).to.deep.equal(ids(want));
      }
    }
  });
});
