/**
 * Arrears plans through the API: GET /v1/loans/{loanId}'s `relief.arrearsPlan` (each part's outcome
 * equal to its event on the chain), the portfolio's `relief.arrearsPlans`, and the stream's status
 * changes. Two loans ten days behind: one keeps its first part (the second still to come), the other
 * misses it. Both dialects.
 */
import { expect } from "chai";
import { loanLedgerAbi, loanReliefAbi } from "../../src/chain/abis";
import { arrearsPlanTypedData } from "../../src/chain/typed-data";
import { DAY } from "../../src/domain";
import { rpc } from "../support/chain";
import { connectSse } from "./helpers/sse";
import { planPass } from "../../src/notify/planner";
import { planFor } from "../../src/notify/plans-in-force";
import { noticeData } from "../../src/notify/notice-data";
import { accountOf, apiFixture, describeEachDialect, sendAs, testLoan, type ApiFixture, type Role } from "./fixture";

describeEachDialect("GET /v1/loans/{loanId}: arrears plans", (dialect) => {
  let f: ApiFixture;
  const ids = { kept: 0n, broken: 0n };
  const parts = new Map<bigint, { dueDate: bigint; amount: bigint }[]>();

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    const ledger = f.deployment.loanLedger.address;
    const send = (role: Role, abi: typeof loanLedgerAbi | typeof loanReliefAbi, functionName: string, args: readonly unknown[]) => sendAs(f, role, ledger, abi, functionName, args);
    const jump = async (seconds: bigint) => {
      await rpc(f.node.url, "evm_increaseTime", [Number(seconds)]);
      await rpc(f.node.url, "evm_mine", []);
    };
    const t0 = (await f.client.getBlock()).timestamp;
    const first = (await f.client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "loanCount" })) + 1n;
    const loan = (k: number) => testLoan(f, { ref: `arrears-${k}`, firstDue: t0 + 5n * DAY, installments: 3 });
    await send("lender", loanLedgerAbi, "registerLoans", [[loan(1), loan(2)]]);
    [ids.kept, ids.broken] = [first, first + 1n];
    // Ten days behind: the arrears in two parts, 10 and 40 days out.
    await jump(15n * DAY);
    for (const loanId of [ids.kept, ids.broken]) {
      const now = (await f.client.getBlock()).timestamp;
      const st = await f.client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "loanState", args: [loanId] });
      const arrears = st.amountOverdue + st.penaltyOutstanding;
      const half = arrears / 2n;
      const p = [
        { dueDate: now + 10n * DAY, amount: half },
        { dueDate: now + 40n * DAY, amount: arrears - half },
      ];
      parts.set(loanId, p);
      const nonce = await f.client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "nonces", args: [accountOf("borrower").address, loanId] });
      const deadline = now + DAY;
      const signature = await f.wallet("borrower").signTypedData({
        account: accountOf("borrower"),
        ...arrearsPlanTypedData({ chainId: f.deployment.chainId, loanLedger: ledger, loanId, parts: p, nonce, deadline }),
      });
      await send("lender", loanReliefAbi, "createArrearsPlan", [loanId, p, deadline, signature]);
    }
    await send("borrower", loanLedgerAbi, "repay", [ids.kept, parts.get(ids.kept)![0]!.amount]);
    await jump(11n * DAY);
    await send("lender", loanLedgerAbi, "poke", [[ids.kept, ids.broken]]);
    await f.reindex();
  });
  after(() => f?.close());

  type Plan = {
    createdAt: number;
    arrears: string;
    amountOverdue: string;
    penaltyOutstanding: string;
    status: string;
    paid: string;
    parts: { dueDate: number; amount: string; outcome: string; required: string | null; paid: string | null; judgedAt: number | null }[];
    txHash: string;
  };

  async function planOf(loanId: bigint, role: Role = "lender"): Promise<Plan> {
    const res = await f.call(role, `/v1/loans/${loanId}`);
    expect(res.status).to.equal(200);
    return ((await res.json()) as { relief: { arrearsPlan: Plan } }).relief.arrearsPlan;
  }

  async function eventsOf(eventName: "ArrearsPlanCreated" | "ArrearsPartKept" | "ArrearsPlanBroken", loanId: bigint) {
    const logs = await f.client.getContractEvents({ address: f.deployment.loanLedger.address, abi: loanLedgerAbi, eventName, fromBlock: 0n, strict: true });
    return logs.filter((l) => (l.args as { loanId: bigint }).loanId === loanId).map((l) => ({ args: l.args as Record<string, unknown>, txHash: l.transactionHash }));
  }

  it("serves a plan with a kept part as ArrearsPlanCreated and ArrearsPartKept say, the next part pending", async function () {
    const plan = await planOf(ids.kept);
    const [created] = await eventsOf("ArrearsPlanCreated", ids.kept);
    const a = created!.args as { createdAt: bigint; arrears: bigint; amountOverdue: bigint; penaltyOutstanding: bigint };
    expect([plan.createdAt, plan.arrears, plan.amountOverdue, plan.penaltyOutstanding, plan.txHash]).to.deep.equal([
      Number(a.createdAt),
      a.arrears.toString(),
      a.amountOverdue.toString(),
      a.penaltyOutstanding.toString(),
      created!.txHash,
    ]);
    const [kept] = await eventsOf("ArrearsPartKept", ids.kept);
    const k = kept!.args as { required: bigint; paid: bigint };
    expect(plan.status).to.equal("in_force");
    expect(plan.parts.map((p) => [p.dueDate, p.amount, p.outcome, p.required, p.paid])).to.deep.equal([
      [Number(parts.get(ids.kept)![0]!.dueDate), parts.get(ids.kept)![0]!.amount.toString(), "kept", k.required.toString(), k.paid.toString()],
      [Number(parts.get(ids.kept)![1]!.dueDate), parts.get(ids.kept)![1]!.amount.toString(), "pending", null, null],
    ]);
    expect(plan.paid).to.equal(parts.get(ids.kept)![0]!.amount.toString());
  });

  it("serves a missed part as missed and the plan as broken, the rest unjudged", async function () {
    const plan = await planOf(ids.broken);
    const [broken] = await eventsOf("ArrearsPlanBroken", ids.broken);
    const b = broken!.args as { required: bigint; paid: bigint };
    expect(plan.status).to.equal("broken");
    expect(plan.parts.map((p) => [p.outcome, p.required, p.paid])).to.deep.equal([
      ["missed", b.required.toString(), "0"],
      ["unjudged", null, null],
    ]);
    expect(plan.paid).to.equal("0");
  });

  it("counts the plans in the portfolio: one in force with a kept part, one broken and not cured", async function () {
    const res = await f.call("lender", "/v1/portfolio");
    const p = (await res.json()) as { relief: { arrearsPlans: Record<string, unknown> } };
    expect(p.relief.arrearsPlans).to.deep.equal({ loans: 2, inForce: 1, ended: 1, broken: 1, completed: 0, partsKept: 1, curedAfter: 0, cureRate: 0 });
    const other = (await (await f.call("otherLender", "/v1/portfolio")).json()) as typeof p;
    expect(other.relief.arrearsPlans.loans).to.equal(0);
  });

  it("streams the plans and their outcomes as status changes", async function () {
    const c = await connectSse(`${f.url}/v1/stream?events=status&lastEventId=0-0`, { authorization: `Bearer ${f.tokens.lender}` });
    try {
      const mine = () => c.events().filter((e) => String(e.data.type).startsWith("Arrears"));
      await c.waitFor("the arrears events", () => mine().length >= 4);
      expect(mine().map((e) => [e.data.loanId, e.data.change])).to.deep.equal([
        [String(ids.kept), "arrears_plan"],
        [String(ids.broken), "arrears_plan"],
        [String(ids.kept), "arrears_part_kept"],
        [String(ids.broken), "arrears_plan_broken"],
      ]);
    } finally {
      c.close();
    }
  });

  it("the built-in notice plan confirms each plan and tells the borrower the broken one has ended, with the events' figures", async function () {
    await planPass({ db: f.db, chainId: f.deployment.chainId, planFor, maxAgeSec: 10 * 365 * 86_400 });
    const notices = await f.db
      .selectFrom("notices")
      .selectAll()
      .where("loan_id", "in", [Number(ids.kept), Number(ids.broken)])
      .where("trigger", "in", ["ArrearsPlanCreated", "ArrearsPlanBroken"])
      .orderBy("loan_id")
      .orderBy("trigger")
      .execute();
    expect(notices.map((n) => [n.loan_id, n.trigger, n.template, n.channel])).to.deep.equal([
      [Number(ids.kept), "ArrearsPlanCreated", "arrears.confirmation", "email"],
      [Number(ids.broken), "ArrearsPlanBroken", "arrears.broken", "sms"],
      [Number(ids.broken), "ArrearsPlanCreated", "arrears.confirmation", "email"],
    ]);
    const dataOf = async (loanId: bigint, trigger: string) => {
      const n = notices.find((x) => x.loan_id === Number(loanId) && x.trigger === trigger)!;
      const loan = await f.db.selectFrom("loans").selectAll().where("loan_id", "=", Number(loanId)).executeTakeFirstOrThrow();
      return noticeData(f.db, n, loan, async () => ({ symbol: "TUSD", decimals: 6 }));
    };
    const [created] = await eventsOf("ArrearsPlanCreated", ids.kept);
    const first = parts.get(ids.kept)![0]!;
    expect(await dataOf(ids.kept, "ArrearsPlanCreated")).to.include({ totalAmount: (created!.args as { arrears: bigint }).arrears, partCount: 2, nextPartAmount: first.amount, nextPartDate: first.dueDate });
    const [broken] = await eventsOf("ArrearsPlanBroken", ids.broken);
    const b = broken!.args as { required: bigint; paid: bigint; dueDate: bigint };
    expect(await dataOf(ids.broken, "ArrearsPlanBroken")).to.include({ nextPartAmount: b.required - b.paid, nextPartDate: b.dueDate });
  });

  it("keeps the plan behind the loan's visibility: another lender gets 404", async function () {
    expect((await f.call("otherLender", `/v1/loans/${ids.kept}`)).status).to.equal(404);
  });
});
