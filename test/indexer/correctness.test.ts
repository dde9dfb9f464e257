/**
 * A clean index holds what the chain says: after the workload plus one of every other kind of
 * event and a long time jump (reminders, penalties, classification changes, defaults), every loan's
 * projection, evaluated with the domain's statusAt at the cursor block, equals the contract's
 * loanState at that block; trails, restrictions, disputes, assignments, schedules and the
 * repayment and action rows match the contracts' views and events.
 */
import { expect } from "chai";
import type { Address, PublicClient } from "viem";
import { createChainClient } from "../../src/chain/client";
import { collectionLogAbi, loanLedgerAbi, loanReliefAbi } from "../../src/chain/abis";
import { loadDeployment, type Deployment } from "../../src/chain/deployments";
import type { DatabaseHandle } from "../../src/db/connect";
import { DAY, LoanStatus, statusAt } from "../../src/domain";
import { loadProjections, type LoanProjection } from "../../src/db/loans";
import { readCursor, type Cursor } from "../../src/indexer/store";
import { deployTo, runWorkloadOn, startNode, type TestNode } from "../support/chain";
import { queueKeyMismatches } from "../support/db-dump";
import { connectChain } from "./helpers/activity";
import {
  createTestDatabase,
  describeEachDialect,
  dumpOf,
  expectSameRows,
  indexToTip,
  removeTempDirs,
  tempDeployments,
  type TestDatabase,
} from "./helpers/harness";


describe("indexer: a clean index holds what the chain says", function () {
  this.timeout(120_000);
  let node: TestNode;
  let deploymentsDir: string;
  let deployment: Deployment;
  let client: PublicClient;

  before(async function () {
    this.timeout(300_000); // node, deploy (compiles when needed), workload
    node = await startNode();
    deploymentsDir = tempDeployments();
    await deployTo(node.url, deploymentsDir);
    await runWorkloadOn(node.url, deploymentsDir, { loans: 20, rounds: 2, actions: 2 });
    deployment = loadDeployment("localhost", deploymentsDir);
    client = createChainClient(node.url);
    const chain = await connectChain(node.url, deploymentsDir);
    const all = Array.from({ length: Number(await chain.ledger.loanCount()) }, (_, i) => BigInt(i + 1));
    await chain.everyKindOfEvent(all.slice(0, 14));
    // 100 days on: reminders, penalty assessments, classification changes, defaults; then late payments.
    await chain.increaseTime(100n * DAY);
    await chain.poke(all);
    for (const id of all.slice(12, 18)) await chain.repay(id, 150_000_000n);
    await chain.recordActions(all.slice(12, 22), 2, "late");
  });

  after(async function () {
    await node?.stop();
    removeTempDirs();
  });

  describeEachDialect("indexed with exitAtTip", (dialect) => {
    let database: TestDatabase;
    let handle: DatabaseHandle;
    let cursor: Cursor;
    let projections: Map<number, LoanProjection>;
    let ids: number[];

    before(async function () {
      database = createTestDatabase(dialect, "correct");
      await indexToTip({ rpcUrl: node.url, deploymentsDir, database });
      handle = await database.open();
      cursor = (await readCursor(handle.db))!;
      ids = (await handle.db.selectFrom("loans").select("loan_id").orderBy("loan_id").execute()).map((r) => r.loan_id);
      projections = await loadProjections(handle.db, ids, new Map());
    });

    after(async function () {
      await handle?.close();
      await database?.drop();
    });

    const at = () => BigInt(cursor.blockNumber);
    const ledger = () => ({ address: deployment.loanLedger.address as Address, abi: loanLedgerAbi, blockNumber: at() }) as const;
    const log = () => ({ address: deployment.collectionLog.address as Address, abi: collectionLogAbi, blockNumber: at() }) as const;

    it("stops at the chain head, whose hash and time it records", async function () {
      const head = await client.getBlock();
      expect(cursor.blockNumber).to.equal(Number(head.number));
      expect(cursor.blockHash).to.equal(head.hash);
      expect(cursor.blockTimestamp).to.equal(Number(head.timestamp));
    });

    it("has every loan the ledger registered, with its parties and current schedule", async function () {
      const count = await client.readContract({ ...ledger(), functionName: "loanCount" });
      expect(ids).to.deep.equal(Array.from({ length: Number(count) }, (_, i) => i + 1));
      expect(ids.length).to.be.greaterThan(30);
      for (const id of ids) {
        const p = projections.get(id)!;
        const terms = await client.readContract({ ...ledger(), functionName: "loanTerms", args: [BigInt(id)] });
        // loanTerms reports the current schedule version's principal (the registered one until a restructuring).
        expect({ lender: p.fixed.lender, borrower: p.fixed.borrower, principal: p.state.terms.principal, version: p.version, policyId: p.fixed.policyId }, `loan ${id}`).to.deep.equal({
          lender: terms.lender,
          borrower: terms.borrower,
          principal: terms.principal,
          version: terms.version,
          policyId: terms.policyId,
        });
        const schedule = await client.readContract({ ...ledger(), functionName: "scheduleOf", args: [BigInt(id), terms.version] });
        expect(p.state.schedule, `loan ${id} schedule v${terms.version}`).to.deep.equal(
          schedule.map((i) => ({ dueDate: i.dueDate, principal: i.principal, interest: i.interest })),
        );
      }
    });

    it("evaluates every projection to the contract's loanState at the cursor block (statusAt)", async function () {
      const t = BigInt(cursor.blockTimestamp);
      const seen = new Set<number>();
      for (const id of ids) {
        const p = projections.get(id)!;
        const chain = await client.readContract({ ...ledger(), functionName: "loanState", args: [BigInt(id)] });
        const mine = statusAt(p.state, t);
        seen.add(mine.status);
        const common = { status: mine.status, cursor: mine.cursor, defaulted: p.state.defaulted, observation: p.state.observation };
        expect(common, `loan ${id}`).to.deep.equal({ status: chain.status, cursor: chain.cursor, defaulted: chain.defaulted, observation: chain.observation });
        if (mine.status === LoanStatus.Closed) continue; // the contract reports no figures for closed loans
        expect(
          {
            classification: mine.classification,
            bucket: mine.bucket,
            dpd: mine.dpd,
            amountOverdue: mine.amountOverdue,
            penaltyOutstanding: mine.penaltyOutstanding,
            nextDueDate: mine.nextDueDate ?? 0n,
            nextDueAmount: mine.nextDueAmount,
            outstandingPrincipal: mine.outstandingPrincipal,
            outstandingInterest: mine.outstandingInterest,
          },
          `loan ${id} at block ${cursor.blockNumber}`,
        ).to.deep.equal({
          classification: chain.classification,
          bucket: chain.bucket,
          dpd: BigInt(chain.dpd),
          amountOverdue: chain.amountOverdue,
          penaltyOutstanding: chain.penaltyOutstanding,
          nextDueDate: chain.nextDueDate,
          nextDueAmount: chain.nextDueAmount,
          outstandingPrincipal: chain.outstandingPrincipal,
          outstandingInterest: chain.outstandingInterest,
        });
      }
      // The scenario reached every status, so each projection path was compared.
      expect([...seen].sort()).to.deep.equal(
        [LoanStatus.Active, LoanStatus.Closed, LoanStatus.ChargedOff, LoanStatus.WrittenOff, LoanStatus.Settled].sort(),
      );
    });

    it("holds the payment holiday and the settlement as LoanRelief recorded them", async function () {
      const holidays = await handle.db.selectFrom("holidays").selectAll().execute();
      const settlements = await handle.db.selectFrom("settlements").selectAll().execute();
      expect([holidays.length, settlements.length]).to.deep.equal([1, 1]);
      const h = holidays[0]!;
      const reliefAt = { address: deployment.loanLedger.address as Address, abi: loanReliefAbi, blockNumber: BigInt(cursor.blockNumber) };
      const [flagged, to] = await client.readContract({ ...reliefAt, functionName: "holidayOf", args: [BigInt(h.loan_id)] });
      const row = await handle.db.selectFrom("loans").select(["holiday_from", "holiday_to", "holiday_flagged", "version"]).where("loan_id", "=", h.loan_id).executeTakeFirstOrThrow();
      expect({ flagged: row.holiday_flagged === 1, to: row.holiday_flagged === 1 ? row.holiday_to : 0, from: row.holiday_from, version: row.version }).to.deep.equal({
        flagged,
        to: Number(to),
        from: h.from_time,
        version: h.version,
      });
      const s = settlements[0]!;
      const loan = await handle.db.selectFrom("loans").select(["status", "settled_at"]).where("loan_id", "=", s.loan_id).executeTakeFirstOrThrow();
      expect(loan.status).to.equal(LoanStatus.Settled);
      expect(loan.settled_at).to.be.a("number");
      // Conservation, from the row alone: what was paid is the amount.
      expect(BigInt(s.penalty_paid) + BigInt(s.interest_paid) + BigInt(s.principal_paid)).to.equal(BigInt(s.amount));
    });

    it("holds the arrears plans and their outcomes as LoanRelief recorded them", async function () {
      const plans = await handle.db.selectFrom("arrears_plans").selectAll().orderBy("loan_id").execute();
      const outcomes = await handle.db.selectFrom("arrears_outcomes").selectAll().orderBy("block_number").orderBy("log_index").execute();
      expect(plans.length).to.equal(2);
      // The 13th loan: part 0 kept, part 1 broken after the 100-day jump; the 14th: its only part kept, completed.
      const [planned, completed] = plans.map((p) => p.loan_id);
      expect(outcomes.map((o) => `${o.loan_id}:${o.outcome}:${o.part}`)).to.deep.equal([`${planned}:kept:0`, `${completed}:kept:0`, `${completed}:completed:null`, `${planned}:broken:1`]);
      const reliefAt = { address: deployment.loanLedger.address as Address, abi: loanReliefAbi, blockNumber: BigInt(cursor.blockNumber) };
      for (const plan of plans) {
        const parts = JSON.parse(plan.parts) as [string, string][];
        expect(parts.reduce((sum, [, amount]) => sum + BigInt(amount), 0n), "the parts add up to the arrears").to.equal(BigInt(plan.arrears));
        expect(BigInt(plan.amount_overdue) + BigInt(plan.penalty_outstanding)).to.equal(BigInt(plan.arrears));
        const [inForce] = await client.readContract({ ...reliefAt, functionName: "arrearsPlanOf", args: [BigInt(plan.loan_id)] });
        const row = await handle.db.selectFrom("loans").select(["plan_in_force", "plan_created_at", "plan_parts"]).where("loan_id", "=", plan.loan_id).executeTakeFirstOrThrow();
        expect([row.plan_in_force === 1, row.plan_created_at, row.plan_parts]).to.deep.equal([inForce, plan.created_at, plan.parts]);
      }
      // Kept and broken carry what was required and paid; a kept part's paid reached its requirement.
      for (const o of outcomes.filter((x) => x.outcome !== "completed")) {
        expect(BigInt(o.paid) >= BigInt(o.required!), `${o.outcome} part ${o.part}`).to.equal(o.outcome === "kept");
      }
    });

    it("holds the placement, its loans, its recall and the agency's assignments as CollectionLog does", async function () {
      const placements = await handle.db.selectFrom("placements").selectAll().execute();
      expect(placements.map((p) => p.placement_id)).to.deep.equal([1]);
      const recalls = await handle.db.selectFrom("placement_recalls").selectAll().execute();
      for (const p of placements) {
        const c = await client.readContract({ ...log(), functionName: "placement", args: [BigInt(p.placement_id)] });
        const recall = recalls.find((r) => r.placement_id === p.placement_id);
        expect([p.lender, p.agency, p.commission_bps, p.start_at, p.end_at, p.loan_count, recall?.recalled_at ?? 0]).to.deep.equal([
          c.lender, c.agency, c.commissionBps, Number(c.start), Number(c.end), c.loanCount, Number(c.recalledAt),
        ]);
        const loans = await handle.db.selectFrom("placement_loans").select("loan_id").where("placement_id", "=", p.placement_id).orderBy("loan_id").execute();
        expect(loans.length).to.equal(2);
        for (const { loan_id } of loans) expect(await client.readContract({ ...log(), functionName: "placementOfLoan", args: [BigInt(loan_id)] })).to.equal(BigInt(p.placement_id));
      }
      const assignments = await handle.db.selectFrom("agency_assignments").select(["loan_id", "assigned"]).orderBy("block_number").orderBy("log_index").execute();
      expect(assignments.map((a) => a.assigned)).to.deep.equal([1, 0, 1]);
    });

    it("holds each loan's trail head and count, restrictions, dispute and collectors as CollectionLog does", async function () {
      const collectors = await handle.db.selectFrom("current_collectors").selectAll().execute();
      const collector = (await connectChain(node.url, deploymentsDir)).accounts.collector.address as Address;
      for (const id of ids) {
        const p = projections.get(id)!;
        const [head, count] = await client.readContract({ ...log(), functionName: "trailOf", args: [BigInt(id)] });
        expect(p.trailCount, `loan ${id} trail count`).to.equal(Number(count));
        if (count > 0n) expect(p.trailHead, `loan ${id} trail head`).to.equal(head);
        else expect(p.trailHead, `loan ${id} trail head`).to.equal(null);
        const restricted = await client.readContract({ ...log(), functionName: "restrictedChannels", args: [BigInt(id)] });
        expect(p.restrictedChannels, `loan ${id} restricted channels`).to.equal(restricted);
        const dispute = await client.readContract({ ...log(), functionName: "disputeOpen", args: [BigInt(id)] });
        expect(p.disputeOpen, `loan ${id} dispute`).to.equal(dispute);
        const assigned = await client.readContract({ ...log(), functionName: "isAssigned", args: [BigInt(id), collector] });
        const rows = collectors.filter((c) => c.loan_id === id).map((c) => c.collector);
        expect(rows, `loan ${id} collectors`).to.deep.equal(assigned ? [collector] : []);
      }
      expect(projections.get(ids[6])!.restrictedChannels, "the scenario restricted a channel").to.equal(1 << 2);
      expect(collectors.length, "the scenario assigned loans").to.be.greaterThan(0);
      expect(await queueKeyMismatches(handle.db), "the assignments' copied queue keys").to.deep.equal([]);
    });

    it("has one repayment and one action row per event, matching the events' fields", async function () {
      const range = { fromBlock: deployment.loanLedger.startBlock, toBlock: at() };
      const repaid = await client.getContractEvents({ address: deployment.loanLedger.address, abi: loanLedgerAbi, eventName: "LoanRepaid", ...range });
      const repayments = await handle.db.selectFrom("repayments").selectAll().orderBy("block_number").orderBy("log_index").execute();
      expect(repayments.length).to.equal(repaid.length);
      expect(repaid.length).to.be.greaterThan(20);
      repaid.forEach((e, i) => {
        const r = repayments[i];
        expect({ block: r.block_number, loan: r.loan_id, amount: r.amount, principal: r.principal, penalty: r.penalty, offChain: r.off_chain, recovery: r.recovery }).to.deep.equal({
          block: Number(e.blockNumber),
          loan: Number(e.args.loanId),
          amount: e.args.amount!.toString(),
          principal: e.args.principal!.toString(),
          penalty: e.args.penalty!.toString(),
          offChain: e.args.offChain ? 1 : 0,
          recovery: e.args.recovery ? 1 : 0,
        });
      });
      expect(repayments.some((r) => r.off_chain === 1), "an off-chain repayment").to.equal(true);
      expect(repayments.some((r) => r.recovery === 1), "a recovery").to.equal(true);
      expect(repayments.some((r) => r.penalty !== "0"), "a repayment that paid penalties").to.equal(true);

      const recorded = await client.getContractEvents({ address: deployment.collectionLog.address, abi: collectionLogAbi, eventName: "ActionRecorded", ...range });
      const actions = await handle.db.selectFrom("actions").selectAll().orderBy("block_number").orderBy("log_index").execute();
      expect(actions.map((a) => [a.loan_id, a.seq, a.head])).to.deep.equal(recorded.map((e) => [Number(e.args.loanId), Number(e.args.seq), e.args.head]));
      const trailTotal = [...projections.values()].reduce((n, p) => n + p.trailCount, 0);
      expect(actions.length, "actions rows = sum of trail counts").to.equal(trailTotal);

      // Every Duetrail log has its raw row, and the typed tables saw each kind of event.
      const logs = await client.getLogs({ address: [deployment.loanLedger.address, deployment.collectionLog.address], ...range });
      expect(await count(handle, "raw_logs")).to.equal(logs.length);
      for (const table of ["reminders", "penalty_assessments", "classification_changes", "defaults", "charge_offs", "write_offs", "restructure_proposals", "schedule_versions", "promises", "batch_anchors", "restrictions", "disputes", "servicers", "pauses", "max_rates", "policies", "role_changes", "assignments"] as const) {
        expect(await count(handle, table), `${table} rows`).to.be.greaterThan(0);
      }
    });

    // The clean index above commits the backfill in groups of up to 10,000 events (the default);
    // these commit every range alone, and groups of a few ranges whose loans the 4-loan cache
    // cannot hold (the group being built is where their projections are read from).
    for (const commitEvents of [1, 200]) {
      it(`comes out the same row for row when indexed in 3-block ranges with a 4-loan projection cache, committing every ${commitEvents} events`, async function () {
        const other = createTestDatabase(dialect, "correct_small");
        try {
          await indexToTip({ rpcUrl: node.url, deploymentsDir, database: other, options: { maxBlockRange: 3, cacheSize: 4, commitEvents, reorgWindow: 4 } });
          expectSameRows(await dumpOf(other), await dumpOf(database), `3-block ranges, commits every ${commitEvents} events vs the clean index`);
        } finally {
          await other.drop();
        }
      });
    }
  });
});

async function count(handle: DatabaseHandle, table: "raw_logs" | "reminders" | "penalty_assessments" | "classification_changes" | "defaults" | "charge_offs" | "write_offs" | "restructure_proposals" | "schedule_versions" | "promises" | "batch_anchors" | "restrictions" | "disputes" | "servicers" | "pauses" | "max_rates" | "policies" | "role_changes" | "assignments"): Promise<number> {
  const r = await handle.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  return Number(r.n);
}
