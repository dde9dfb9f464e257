/**
 * Collection agencies through the API: an agency and its collector see the placed loans they work,
 * and nothing once the placement is recalled; GET /v1/agencies/{agency}/placements and /statement
 * (exact commission, only payments inside the placement's window), equal to `agencies statement`
 * computed from the chain alone. Both dialects.
 */
import { expect } from "chai";
import { collectionLogAbi, loanLedgerAbi } from "../../src/chain/abis";
import { DAY } from "../../src/domain";
import { rpc } from "../support/chain";
import { cli } from "../cli/helpers/operator";
import { apiFixture, describeEachDialect, sendAs, type ApiFixture, type Role } from "./fixture";
import { borrowerRefOf, contactOf, storeContact } from "./helpers/notices";

const BPS = 1_234;

describeEachDialect("agencies: placed loans, placements and statements", (dialect) => {
  let f: ApiFixture;
  let start = 0n;
  let statementQuery = "";
  const payments = { loan2: 1_000_003n, loan3: 777_777n, unplaced: 500_000n, afterRecall: 999n };

  const get = async (role: Role, path: string) => {
    const res = await f.call(role, path);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const loanIdsSeenBy = async (role: Role) => ((await get(role, "/v1/loans?limit=100")).body.items as { loanId: string }[]).map((l) => Number(l.loanId)).sort((a, b) => a - b);

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    const log = f.deployment.collectionLog.address;
    // A block mined now: after the shared chain's snapshot is restored, the latest block can be far
    // behind the time the next one gets, and a placement may not start before its block.
    await rpc(f.node.url, "evm_mine", []);
    start = (await f.client.getBlock()).timestamp + 30n;
    await sendAs(f, "lender", log, collectionLogAbi, "placeLoans", [[2n, 3n], f.addresses.agency, BPS, start, start + 60n * DAY]);
    await rpc(f.node.url, "evm_increaseTime", [31]);
    await rpc(f.node.url, "evm_mine", []);
    await sendAs(f, "agency", log, collectionLogAbi, "assignAgencyCollector", [1n, [2n], f.addresses.agencyCollector]);
    const ledger = f.deployment.loanLedger.address;
    for (const [loanId, amount] of [[2n, payments.loan2], [3n, payments.loan3], [1n, payments.unplaced]] as const) {
      await sendAs(f, "borrower", ledger, loanLedgerAbi, "repay", [loanId, amount]);
    }
    await f.reindex();
    await storeContact(f, 2, contactOf(await borrowerRefOf(f, 2)));
  });
  after(() => f?.close());

  const contactOfLoan2 = async (role: Role) => {
    const res = await f.call(role, `/v1/borrowers/${await borrowerRefOf(f, 2)}/contact?lender=${f.addresses.lender}`);
    return { status: res.status, body: await res.text() };
  };

  it("shows the agency the loans of its active placement and its collector the loan it was given, nothing else", async function () {
    expect(await loanIdsSeenBy("agency")).to.deep.equal([2, 3]);
    expect(await loanIdsSeenBy("agencyCollector")).to.deep.equal([2]);
    expect((await get("agency", "/v1/loans/1")).status).to.equal(404);
    expect((await get("agencyCollector", "/v1/loans/3")).status).to.equal(404);
    expect((await get("agencyCollector", "/v1/loans/2")).status).to.equal(200);
    // The borrower's contact points, masked, as for a collector the lender assigned.
    const contact = await contactOfLoan2("agencyCollector");
    expect(contact.status, contact.body).to.equal(200);
    expect(contact.body).to.not.contain("+8613912345678");
    expect(JSON.parse(contact.body).view).to.equal("masked");
    const queue = (await get("agencyCollector", "/v1/queue?limit=50")).body.items as { loanId: string }[];
    expect(queue.map((q) => q.loanId)).to.deep.equal(["2"]);
    const placements = await get("agency", `/v1/agencies/${f.addresses.agency}/placements`);
    expect(placements.status).to.equal(200);
    expect(placements.body.items).to.deep.equal([
      { placementId: "1", lender: f.addresses.lender, agency: f.addresses.agency, commissionBps: BPS, start: Number(start), end: Number(start + 60n * DAY), recalledAt: null, status: "active", loanIds: ["2", "3"] },
    ]);
  });

  it("ends the agency's and its collector's access when the lender recalls, and a later payment is not the agency's", async function () {
    this.timeout(120_000);
    await sendAs(f, "lender", f.deployment.collectionLog.address, collectionLogAbi, "recallPlacement", [1n]);
    await sendAs(f, "borrower", f.deployment.loanLedger.address, loanLedgerAbi, "repay", [2n, payments.afterRecall]);
    await f.reindex();
    expect(await loanIdsSeenBy("agency")).to.deep.equal([]);
    expect(await loanIdsSeenBy("agencyCollector")).to.deep.equal([]);
    expect((await get("agencyCollector", "/v1/loans/2")).status).to.equal(404);
    expect((await contactOfLoan2("agencyCollector")).status).to.equal(403);
    const [p] = (await get("lender", `/v1/agencies/${f.addresses.agency}/placements`)).body.items as { status: string; recalledAt: number }[];
    expect(p!.status).to.equal("recalled");
    const now = (await f.client.getBlock()).timestamp;
    statementQuery = `?from=${start - DAY}&to=${now + DAY}`;
  });

  it("states each payment inside the placement's window with floor(amount × bps / 10,000), the same for the agency and the lender", async function () {
    const s = await get("agency", `/v1/agencies/${f.addresses.agency}/statement${statementQuery}`);
    expect(s.status, JSON.stringify(s.body)).to.equal(200);
    const lines = s.body.lines as { loanId: string; amount: string; commission: string; kind: string; commissionBps: number }[];
    expect(lines.map((l) => [l.loanId, l.kind, l.amount, l.commission])).to.deep.equal([
      ["2", "repayment", payments.loan2.toString(), ((payments.loan2 * BigInt(BPS)) / 10_000n).toString()],
      ["3", "repayment", payments.loan3.toString(), ((payments.loan3 * BigInt(BPS)) / 10_000n).toString()],
    ]);
    expect(lines[0]!.commission).to.equal("123400"); // 1,000,003 × 0.1234 = 123,400.37, rounded down
    const token = f.deployment.testToken!.address;
    expect(s.body.totals).to.deep.equal([{ placementId: "1", unit: token, payments: 2, recovered: (payments.loan2 + payments.loan3).toString(), commission: (123_400n + 95_977n).toString() }]);
    const asLender = await get("lender", `/v1/agencies/${f.addresses.agency}/statement${statementQuery}`);
    expect(asLender.body.lines).to.deep.equal(s.body.lines);
    const asOther = await get("otherLender", `/v1/agencies/${f.addresses.agency}/statement${statementQuery}`);
    expect([asOther.status, asOther.body.lines]).to.deep.equal([200, []]);
    expect((await get("agencyCollector", `/v1/agencies/${f.addresses.agency}/statement${statementQuery}`)).status).to.equal(403);
  });

  it("equals `agencies statement`, computed from chain events alone", async function () {
    this.timeout(120_000);
    const [, from, to] = /from=(\d+)&to=(\d+)/.exec(statementQuery)!;
    const out = await cli(["agencies", "statement", "--agency", f.addresses.agency, "--from", from!, "--to", to!, "--rpc", f.node.url, "--network", "localhost", "--deployments", f.deploymentsDir]);
    expect(out.code, out.stderr).to.equal(0);
    const fromChain = JSON.parse(out.stdout) as Record<string, unknown>;
    const fromApi = (await get("auditor", `/v1/agencies/${f.addresses.agency}/statement${statementQuery}`)).body;
    const { asOf: _a, ...chainPart } = fromChain;
    const { asOf: _b, ...apiPart } = fromApi;
    expect(chainPart).to.deep.equal(apiPart);
  });

  it("refuses a bad period with 400 problem+json naming it", async function () {
    const bad = await get("agency", `/v1/agencies/${f.addresses.agency}/statement?from=2026-12-01&to=2026-11-01`);
    expect(bad.status).to.equal(400);
    expect(JSON.stringify(bad.body)).to.contain("`to` must be after `from`");
    const long = await get("agency", `/v1/agencies/${f.addresses.agency}/statement?from=2020-01-01&to=2026-01-01`);
    expect([long.status, JSON.stringify(long.body).includes("at most 400 days")]).to.deep.equal([400, true]);
  });
});
