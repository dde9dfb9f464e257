/**
 * GET /v1/loans/{loanId}'s `relief` and `status.state` after LoanRelief's events: a payment holiday,
 * a settlement taken up and one still on offer, each equal to its event on the chain (decoded with
 * the ledger's ABI, where relief's events are). Both dialects.
 */
import { expect } from "chai";
import type { Address, Hex } from "viem";
import { loanLedgerAbi, loanReliefAbi } from "../../src/chain/abis";
import { paymentHolidayTypedData } from "../../src/chain/typed-data";
import { DAY } from "../../src/domain";
import { rpc } from "../support/chain";
import { connectSse } from "./helpers/sse";
import { planPass } from "../../src/notify/planner";
import { planFor } from "../../src/notify/plans-in-force";
import { noticeData } from "../../src/notify/notice-data";
import { loanRecords } from "../../src/api/services/loan-records";
import { accountOf, apiFixture, describeEachDialect, sendAs, testLoan, type ApiFixture, type Role } from "./fixture";

describeEachDialect("GET /v1/loans/{loanId}: relief", (dialect) => {
  let f: ApiFixture;
  const ids: { holiday: bigint; settled: bigint; offered: bigint } = { holiday: 0n, settled: 0n, offered: 0n };

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    const ledger = f.deployment.loanLedger.address;
    const send = (role: Role, abi: typeof loanLedgerAbi | typeof loanReliefAbi, functionName: string, args: readonly unknown[]) => sendAs(f, role, ledger, abi, functionName, args);
    const t0 = (await f.client.getBlock()).timestamp;
    const first = (await f.client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "loanCount" })) + 1n;
    const loan = (k: number) => testLoan(f, { ref: `relief-${k}`, firstDue: t0 + 30n * DAY, installments: 3 });
    await send("lender", loanLedgerAbi, "registerLoans", [[loan(1), loan(2), loan(3)]]);
    [ids.holiday, ids.settled, ids.offered] = [first, first + 1n, first + 2n];

    const deadline = t0 + DAY;
    const nonce = await f.client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "nonces", args: [accountOf("borrower").address, ids.holiday] });
    const terms = { installments: 1, interest: 2, placement: 1 };
    const signature = await f.wallet("borrower").signTypedData({
      account: accountOf("borrower"),
      ...paymentHolidayTypedData({ chainId: f.deployment.chainId, loanLedger: ledger, loanId: ids.holiday, version: 2, ...terms, to: t0 + 30n * DAY, nonce, deadline }),
    });
    await send("lender", loanReliefAbi, "grantPaymentHoliday", [ids.holiday, terms, deadline, signature]);
    await send("lender", loanReliefAbi, "offerSettlement", [ids.settled, 200_000_000n, t0 + 7n * DAY]);
    await send("borrower", loanReliefAbi, "settle", [ids.settled]);
    await send("lender", loanReliefAbi, "offerSettlement", [ids.offered, 250_000_000n, t0 + 7n * DAY]);
    await f.reindex();
  });
  after(() => f?.close());

  async function detail(loanId: bigint, role: Role = "lender") {
    const res = await f.call(role, `/v1/loans/${loanId}`);
    expect(res.status).to.equal(200);
    return (await res.json()) as {
      status: { state: string; dpd: number; outstandingPrincipal: string };
      version: number;
      relief: Record<string, Record<string, unknown> | null>;
      scheduleVersions: { version: number; installments: { dueDate: number }[] }[];
    };
  }

  async function eventOf(eventName: "PaymentHolidayGranted" | "LoanSettled" | "SettlementOffered", loanId: bigint) {
    const logs = await f.client.getContractEvents({ address: f.deployment.loanLedger.address, abi: loanLedgerAbi, eventName, fromBlock: 0n, strict: true });
    const log = logs.find((l) => (l.args as { loanId: bigint }).loanId === loanId);
    if (!log) throw new Error(`no ${eventName} for loan ${loanId}`);
    return { args: log.args as Record<string, unknown>, txHash: log.transactionHash as Hex, block: await f.client.getBlock({ blockNumber: log.blockNumber! }) };
  }

  it("serves the payment holiday as PaymentHolidayGranted says, with its schedule version", async function () {
    const e = await eventOf("PaymentHolidayGranted", ids.holiday);
    const a = e.args as { version: number; from: bigint; to: bigint; figures: Record<string, bigint> };
    const d = await detail(ids.holiday);
    expect(d.relief.holiday).to.deep.equal({
      version: a.version,
      from: Number(a.from),
      to: Number(a.to),
      inForce: true,
      installments: 1,
      interest: "waived",
      placement: "spread",
      deferredPrincipal: a.figures.deferredPrincipal!.toString(),
      deferredInterest: a.figures.deferredInterest!.toString(),
      waivedInterest: a.figures.waivedInterest!.toString(),
      forgivenPenalty: a.figures.forgivenPenalty!.toString(),
      txHash: e.txHash,
    });
    expect(a.figures.waivedInterest).to.equal(1_500_000n);
    expect([d.version, d.scheduleVersions.map((v) => v.version), d.scheduleVersions[1]!.installments.length]).to.deep.equal([2, [1, 2], 2]);
    expect(d.status.dpd).to.equal(0);
    expect([d.relief.settlementOffer, d.relief.settlement]).to.deep.equal([null, null]);
  });

  it("serves every schedule version with its installments and the current collectors in order, as indexed (one statement with the row on PostgreSQL)", async function () {
    const rowsOf = async (loanId: number) => ({
      versions: await f.db.selectFrom("schedule_versions").selectAll().where("loan_id", "=", loanId).orderBy("version").execute(),
      installments: await f.db.selectFrom("installments").selectAll().where("loan_id", "=", loanId).orderBy("version").orderBy("idx").execute(),
      collectors: (await f.db.selectFrom("current_collectors").select("collector").where("loan_id", "=", loanId).orderBy("collector").execute()).map((c) => c.collector),
    });
    const expected = (r: Awaited<ReturnType<typeof rowsOf>>) =>
      r.versions.map((v) => ({
        version: v.version,
        startedAt: v.started_at,
        principal: v.principal,
        scheduleHash: v.schedule_hash,
        replacedInterest: v.replaced_interest,
        forgivenPenalty: v.forgiven_penalty,
        txHash: v.tx_hash,
        installments: r.installments.filter((i) => i.version === v.version).map((i) => ({ index: i.idx, dueDate: i.due_date, principal: i.principal, interest: i.interest })),
      }));
    const holiday = await rowsOf(Number(ids.holiday));
    const one = await rowsOf(1);
    expect([holiday.versions.length, one.collectors.length]).to.deep.equal([2, 2]);
    // The lender's request reads the versions; the auditor's (another cache key) takes them from the kept history.
    for (const role of ["lender", "auditor"] as const) {
      const d = (await detail(ids.holiday, role)) as unknown as { scheduleVersions: unknown; collectors: string[] };
      expect(d.scheduleVersions, role).to.deep.equal(expected(holiday));
      const d1 = (await detail(1n, role)) as unknown as { scheduleVersions: unknown; collectors: string[] };
      expect([d1.scheduleVersions, d1.collectors], role).to.deep.equal([expected(one), one.collectors]);
    }
  });

  it("finds each loan's relief records in one statement, and none on a loan without relief (what the detail reads)", async function () {
    const at = (await f.db.selectFrom("cursor").select("block_number").executeTakeFirstOrThrow()).block_number;
    const none = { holiday: false, arrearsPlan: false, settlementOffer: false, settlement: false, score: false, scoreHistory: false, promises: false };
    expect(await loanRecords(f.db, Number(ids.holiday), at)).to.deep.equal({ ...none, holiday: true });
    // The offer taken up stays indexed (its event); the detail shows none once settled.
    expect(await loanRecords(f.db, Number(ids.settled), at)).to.deep.equal({ ...none, settlementOffer: true, settlement: true });
    expect(await loanRecords(f.db, Number(ids.offered), at)).to.deep.equal({ ...none, settlementOffer: true });
    expect(await loanRecords(f.db, Number(ids.offered) + 1_000, at)).to.deep.equal(none);
  });

  it("serves a settled loan as settled, with what was paid and forgiven, and no offer left", async function () {
    const e = await eventOf("LoanSettled", ids.settled);
    const a = e.args as { payer: Address; amount: bigint; figures: Record<string, bigint>; paidAt: bigint; bankRef: Hex };
    const d = await detail(ids.settled, "auditor");
    expect(d.status.state).to.equal("settled");
    expect(d.status.outstandingPrincipal).to.equal("0");
    expect(d.relief.settlementOffer).to.equal(null);
    expect(d.relief.settlement).to.deep.equal({
      amount: "200000000",
      payer: a.payer,
      paid: { penalty: a.figures.penaltyPaid!.toString(), interest: a.figures.interestPaid!.toString(), principal: a.figures.principalPaid!.toString() },
      forgiven: { penalty: a.figures.penaltyForgiven!.toString(), interest: a.figures.interestForgiven!.toString(), principal: a.figures.principalForgiven!.toString() },
      paidAt: Number(a.paidAt),
      offChain: false,
      bankRef: a.bankRef,
      txHash: e.txHash,
    });
    // 200.00 paid the 4.50 of interest, then 195.50 of principal; 104.50 of principal was forgiven.
    expect(d.relief.settlement!.forgiven).to.deep.equal({ penalty: "0", interest: "0", principal: "104500000" });
    const list = await f.call("lender", "/v1/loans?status=settled&limit=100");
    expect(((await list.json()) as { items: { loanId: string }[] }).items.map((i) => i.loanId)).to.deep.equal([String(ids.settled)]);
  });

  it("serves the offer still open, with what was owed when offered", async function () {
    const e = await eventOf("SettlementOffered", ids.offered);
    const a = e.args as { amount: bigint; deadline: bigint; principalOwed: bigint; interestOwed: bigint; penaltyOwed: bigint };
    const d = await detail(ids.offered);
    expect(d.relief.settlementOffer).to.deep.equal({
      amount: a.amount.toString(),
      deadline: Number(a.deadline),
      expired: false,
      offeredAt: Number(e.block.timestamp),
      owed: { penalty: a.penaltyOwed.toString(), interest: a.interestOwed.toString(), principal: a.principalOwed.toString() },
      txHash: e.txHash,
    });
    expect(d.status.state).to.equal("active");
  });

  async function portfolioRelief(role: Role = "lender") {
    const res = await f.call(role, "/v1/portfolio");
    expect(res.status).to.equal(200);
    const p = (await res.json()) as { relief: Record<string, Record<string, unknown>>; statuses: Record<string, number>; rollRates: { transitions: { to: string }[] } };
    return p;
  }

  it("counts the relief in the portfolio: the holiday in force, the settlement and what it forgave, the open offer", async function () {
    const p = await portfolioRelief();
    expect(p.relief).to.deep.equal({
      arrearsPlans: { loans: 0, inForce: 0, ended: 0, broken: 0, completed: 0, partsKept: 0, curedAfter: 0, cureRate: null },
      holidays: { loans: 1, inForce: 1, ended: 0, curedAfter: 0, cureRate: null },
      settlements: { count: 1, amount: "200000000", forgiven: { penalty: "0", interest: "0", principal: "104500000" }, offersOpen: 1 },
    });
    expect(p.statuses.settled).to.equal(1);
    // Another lender's portfolio has none of it.
    const other = await portfolioRelief("otherLender");
    expect(other.relief.settlements!.count).to.equal(0);
    expect(other.relief.holidays!.loans).to.equal(0);
  });

  it("streams the settlement and the holiday as status changes (settled, holiday) from the start of history", async function () {
    const c = await connectSse(`${f.url}/v1/stream?events=status&lastEventId=0-0`, { authorization: `Bearer ${f.tokens.lender}` });
    try {
      const mine = () => c.events().filter((e) => [String(ids.holiday), String(ids.settled)].includes(String(e.data.loanId)));
      await c.waitFor("the relief events", () => mine().length >= 2);
      expect(mine().map((e) => [e.data.loanId, e.data.type, e.data.change])).to.deep.equal([
        [String(ids.holiday), "PaymentHolidayGranted", "holiday"],
        [String(ids.settled), "LoanSettled", "settled"],
      ]);
    } finally {
      c.close();
    }
  });

  it("the built-in notice plan confirms the holiday, sends the offer and confirms the settlement, with the events' figures", async function () {
    await planPass({ db: f.db, chainId: f.deployment.chainId, planFor, maxAgeSec: 10 * 365 * 86_400 });
    const ids3 = [ids.holiday, ids.settled, ids.offered].map(Number);
    const notices = await f.db.selectFrom("notices").selectAll().where("loan_id", "in", ids3).where("trigger", "in", ["PaymentHolidayGranted", "SettlementOffered", "LoanSettled"]).orderBy("loan_id").orderBy("trigger").execute();
    expect(notices.map((n) => [n.loan_id, n.trigger, n.template, n.channel])).to.deep.equal([
      [Number(ids.holiday), "PaymentHolidayGranted", "holiday.confirmation", "email"],
      [Number(ids.settled), "LoanSettled", "settlement.confirmation", "email"],
      [Number(ids.settled), "SettlementOffered", "settlement.offer", "email"],
      [Number(ids.offered), "SettlementOffered", "settlement.offer", "email"],
    ]);
    const tokenInfo = async () => ({ symbol: "TUSD", decimals: 6 });
    const dataOf = async (loanId: bigint, trigger: string) => {
      const n = notices.find((x) => x.loan_id === Number(loanId) && x.trigger === trigger)!;
      const loan = await f.db.selectFrom("loans").selectAll().where("loan_id", "=", Number(loanId)).executeTakeFirstOrThrow();
      return noticeData(f.db, n, loan, tokenInfo);
    };
    const holiday = (await eventOf("PaymentHolidayGranted", ids.holiday)).args as { to: bigint; schedule: { dueDate: bigint }[] };
    expect(await dataOf(ids.holiday, "PaymentHolidayGranted")).to.include({ holidayEnd: holiday.to, firstDueDate: holiday.schedule[0]!.dueDate, installmentCount: 2 });
    expect(await dataOf(ids.offered, "SettlementOffered")).to.include({ settlementAmount: 250_000_000n, totalAmount: 304_500_000n });
    expect(await dataOf(ids.settled, "LoanSettled")).to.include({ settlementAmount: 200_000_000n, forgivenAmount: 104_500_000n });
  });

  it("after the holiday: cured while the loan is current, not once it falls behind (the cure rate follows the chain's clock)", async function () {
    const to = Number((await detail(ids.holiday)).relief.holiday!.to);
    const next = (await detail(ids.holiday)).scheduleVersions[1]!.installments[0]!.dueDate;
    const jumpTo = async (t: number) => {
      const now = Number((await f.client.getBlock()).timestamp);
      await rpc(f.node.url, "evm_increaseTime", [t - now]);
      await rpc(f.node.url, "evm_mine", []);
      await f.reindex();
    };
    await jumpTo(to + 60);
    expect((await portfolioRelief()).relief.holidays).to.deep.equal({ loans: 1, inForce: 0, ended: 1, curedAfter: 1, cureRate: 1 });
    // Two days past the first installment after the holiday, unpaid: not cured.
    await jumpTo(next + 2 * 86_400 + 60);
    expect((await portfolioRelief()).relief.holidays).to.deep.equal({ loans: 1, inForce: 0, ended: 1, curedAfter: 0, cureRate: 0 });
  });

  it("keeps relief behind the loan's visibility: another lender gets 404", async function () {
    const res = await f.call("otherLender", `/v1/loans/${ids.holiday}`);
    expect(res.status).to.equal(404);
  });
});
