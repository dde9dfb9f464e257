/**
 * Chain activity for the indexer tests, sent with ethers to a `hardhat node` child process (its
 * unlocked accounts, the same roles scripts/lib/workload.ts uses: admin, lender, borrower,
 * collector). Quicker than another `hardhat run`, and able to make distinct reorg branches and
 * every kind of event the indexer handles.
 */
import { ethers } from "ethers";
import { loadDeployment } from "../../../src/chain/deployments";
import { DAY } from "../../../src/domain/constants";
import { encodeJurisdiction } from "../../../src/domain/jurisdiction";
import { CollectionLog__factory, LoanLedger__factory, LoanRelief__factory } from "../../../typechain-types";
import { arrearsPlanTypedData, paymentHolidayTypedData, plainTypes } from "../../../src/chain/typed-data";
import { rpc } from "../../support/chain";

export type Chain = Awaited<ReturnType<typeof connectChain>>;

/** The node's accounts and the deployed contracts (deploy and one workload run must have happened). */
export async function connectChain(rpcUrl: string, deploymentsDir: string) {
  const provider = new ethers.JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, polling: true, pollingInterval: 50 });
  const [admin, lender, borrower, collector] = await Promise.all([0, 1, 2, 3].map((i) => provider.getSigner(i)));
  const dep = loadDeployment("localhost", deploymentsDir);
  const ledger = LoanLedger__factory.connect(dep.loanLedger.address, provider);
  const log = CollectionLog__factory.connect(dep.collectionLog.address, provider);
  // Relief runs at the ledger's address (LoanLedger delegates these selectors to its relief module).
  const relief = LoanRelief__factory.connect(dep.loanLedger.address, provider);
  const token = dep.testToken!.address;

  const send = async (p: Promise<ethers.ContractTransactionResponse>) => {
    const receipt = await (await p).wait();
    if (!receipt || receipt.status !== 1) throw new Error("transaction failed");
    return receipt;
  };
  const latest = async () => {
    const b = await rpc<{ number: string; timestamp: string }>(rpcUrl, "eth_getBlockByNumber", ["latest", false]);
    return { number: Number(b.number), timestamp: BigInt(b.timestamp) };
  };

  const chain = {
    provider,
    ledger,
    log,
    accounts: { admin, lender, borrower, collector },
    latest,
    blockNumber: async () => (await latest()).number,
    /** Moves chain time forward (takes effect with the next block). */
    increaseTime: (seconds: bigint) => rpc(rpcUrl, "evm_increaseTime", [Number(seconds)]),
    mineEmpty: (blocks: number) => rpc(rpcUrl, "hardhat_mine", [`0x${blocks.toString(16)}`]),
    snapshot: () => rpc<string>(rpcUrl, "evm_snapshot"),
    async revert(id: string) {
      const ok = await rpc<boolean>(rpcUrl, "evm_revert", [id]);
      if (!ok) throw new Error(`evm_revert ${id} failed`);
    },

    /** Registers `n` loans (one transaction), assigns the collector (another); returns their ids. */
    async registerLoans(n: number, tag: string): Promise<bigint[]> {
      const t0 = (await latest()).timestamp;
      const first = (await ledger.loanCount()) + 1n;
      const params = Array.from({ length: n }, (_, i) => ({
        borrower: borrower.address,
        borrowerRef: ethers.id(`${tag}-${i}`),
        token,
        currency: "0x000000",
        principal: 600_000_000n,
        contractRateBps: 600 + i,
        utcOffsetMinutes: 480,
        jurisdiction: encodeJurisdiction("CN"),
        schedule: Array.from({ length: 6 }, (_, k) => ({ dueDate: t0 + 5n * DAY + BigInt(k) * 30n * DAY, principal: 100_000_000n, interest: 3_000_000n + BigInt(i) })),
      }));
      await send(ledger.connect(lender).registerLoans(params));
      const ids = params.map((_, i) => first + BigInt(i));
      await send(log.connect(lender).assignCollector(ids, collector.address));
      return ids;
    },
    repay: (loanId: bigint, amount: bigint) => send(ledger.connect(borrower).repay(loanId, amount)),
    poke: (ids: bigint[]) => send(ledger.connect(admin).poke(ids)),
    /** Records `perLoan` actions on each loan in one transaction. */
    async recordActions(ids: bigint[], perLoan: number, tag: string) {
      const at = (await latest()).timestamp;
      const actions = ids.flatMap((loanId, i) =>
        Array.from({ length: perLoan }, (_, k) => ({
          loanId,
          channel: (i + k) % 3,
          kind: k % 2,
          outcome: 200 + k,
          occurredAt: at - BigInt(k) * 60n,
          evidenceHash: ethers.id(`${tag}-${i}-${k}`),
        })),
      );
      return send(log.connect(collector).recordActions(actions));
    },

    /**
     * Keeps mining until stopped: each round registers two loans (and assigns them), repays a loan
     * registered earlier, records actions, and moves time two days on (so installments turn late
     * with time alone), with a pause between rounds. For "the chain moves while the indexer runs".
     */
    startMiner(tag: string, older: bigint[], pauseMs = 150) {
      let stopping = false;
      let rounds = 0;
      const done = (async () => {
        while (!stopping) {
          const ids = await chain.registerLoans(2, `${tag}-${rounds}`);
          await chain.repay(older[rounds % older.length], 10_000_000n);
          await chain.recordActions([ids[0], older[(rounds * 7) % older.length]], 1, `${tag}-${rounds}`);
          await chain.increaseTime(2n * DAY);
          rounds++;
          await new Promise((r) => setTimeout(r, pauseMs));
        }
        return rounds;
      })();
      return {
        /** Stops after the current round; resolves with the number of rounds mined. */
        stop: async () => {
          stopping = true;
          return done;
        },
        done,
      };
    },

    /**
     * One of each remaining kind of event on ten distinct Active loans: off-chain repayments by a
     * servicer (one dated before the borrower's last on-chain payment), charge-off and a recovery, write-off, payoff (LoanClosed), restructuring
     * (proposed, accepted), unassignment, channel restrictions, disputes filed and resolved, a
     * promise, a batch anchor, pause/unpause, the rate cap.
     */
    /**
     * One of every kind of event on 10 loans; with 12, also a payment holiday (the 11th) and a
     * settlement (the 12th); with 14, arrears plans (time moves on until both are late): the 13th
     * keeps its first part and has a second part to come, the 14th completes its only part.
     */
    async everyKindOfEvent(ids: bigint[]) {
      if (ids.length < 10) throw new Error("everyKindOfEvent needs 10 loans");
      const [offChain, chargedOff, writtenOff, paidOff, restructured, unassigned, restricted, disputed, resolved, promised, holiday, settled, planned, completed] = ids;
      await send(ledger.connect(lender).setServicer(admin.address, true));
      const received = (await latest()).timestamp;
      await send(ledger.connect(admin).recordRepayment(offChain, 50_000_000n, received, ethers.id("bank-ref-1")));
      // An attestation dated before a later on-chain payment (applied at that payment's time).
      await send(ledger.connect(borrower).repay(offChain, 1n));
      await send(ledger.connect(admin).recordRepayment(offChain, 10_000_000n, received, ethers.id("bank-ref-2")));
      await send(ledger.connect(lender).chargeOff(chargedOff));
      await send(ledger.connect(borrower).repay(chargedOff, 30_000_000n));
      await send(ledger.connect(lender).writeOff(writtenOff));
      const s = await ledger.loanState(paidOff);
      await send(ledger.connect(borrower).repay(paidOff, s.outstandingPrincipal + s.outstandingInterest + s.penaltyOutstanding));
      const r = await ledger.loanState(restructured);
      const now = (await latest()).timestamp;
      const parts = 4n;
      const schedule = Array.from({ length: Number(parts) }, (_, k) => ({
        dueDate: now + 15n * DAY + BigInt(k) * 30n * DAY,
        principal: r.outstandingPrincipal / parts + (BigInt(k) === parts - 1n ? r.outstandingPrincipal % parts : 0n),
        interest: 2_000_000n,
      }));
      await send(ledger.connect(lender).proposeRestructure(restructured, schedule));
      await send(ledger.connect(borrower).acceptRestructure(restructured, schedule));
      await send(log.connect(lender).unassignCollector(unassigned, collector.address));
      await send(log.connect(borrower).restrictChannel(restricted, 1));
      await send(log.connect(borrower).restrictChannel(restricted, 2));
      await send(log.connect(borrower).releaseChannel(restricted, 1));
      await send(log.connect(borrower).fileDispute(disputed, ethers.id("dispute-1")));
      await send(log.connect(borrower).fileDispute(resolved, ethers.id("dispute-2")));
      await send(log.connect(lender).resolveDispute(resolved, ethers.id("validation-2")));
      await send(log.connect(collector).recordPromise(promised, 25_000_000n, (await latest()).timestamp + 7n * DAY, ethers.id("promise-1")));
      await send(log.connect(collector).anchorBatch(ethers.id("root-1"), 3, "ipfs://duetrail-test-batch"));
      if (holiday !== undefined) await chain.grantHoliday(holiday, { installments: 2, interest: 2, placement: 0 });
      if (settled !== undefined) {
        const st = await ledger.loanState(settled);
        const deadline = (await latest()).timestamp + 7n * DAY;
        await send(relief.connect(lender).offerSettlement(settled, (st.outstandingPrincipal + st.outstandingInterest) / 2n, deadline));
        await send(relief.connect(borrower).settle(settled));
      }
      if (planned !== undefined && completed !== undefined) {
        await chain.lateBy(2n, [planned, completed]);
        const [first] = await chain.createArrearsPlan(planned, [10n, 40n]);
        await chain.repay(planned, first!.amount);
        const [only] = await chain.createArrearsPlan(completed, [5n]);
        await chain.repay(completed, only!.amount);
        await chain.increaseTime(11n * DAY);
        // Part 0 of the 13th kept (its part 1 is still to come); the 14th's only part kept, completing it.
        await chain.poke([planned, completed]);
      }
      await chain.placeWithAgency(promised, disputed);
      await send(ledger.connect(admin).pause());
      await send(ledger.connect(admin).unpause());
      await send(ledger.connect(admin).setMaxAnnualRate(1600));
    },

    /**
     * Agency events: `a` and `b` placed with the agency (account 5) at 1,500 bps; once active, the
     * agency lets its collector (account 6) work `a`, the collector records on it, the borrower pays
     * `a` (a recovery of the placement), the agency unassigns and reassigns the collector, and the
     * lender recalls the placement. Returns the placement id.
     */
    async placeWithAgency(a: bigint, b: bigint) {
      const [agency, agencyCollector] = await Promise.all([provider.getSigner(5), provider.getSigner(6)]);
      const start = (await latest()).timestamp + 60n;
      await send(log.connect(lender).placeLoans([a, b], agency.address, 1_500, start, start + 90n * DAY));
      const id = await log.placementCount();
      await chain.increaseTime(61n);
      await chain.mineEmpty(1);
      await send(log.connect(agency).assignAgencyCollector(id, [a], agencyCollector.address));
      await send(log.connect(agencyCollector).recordAction(a, 1, 0, 300, (await latest()).timestamp, ethers.id(`agency-${id}`)));
      await chain.repay(a, 7_000_001n);
      await send(log.connect(agency).unassignAgencyCollector(id, a, agencyCollector.address));
      await send(log.connect(agency).assignAgencyCollector(id, [a], agencyCollector.address));
      await send(log.connect(lender).recallPlacement(id));
      return id;
    },

    /** Moves time on until each of `ids` is at least `days` days past due (an unpaid installment that late). */
    async lateBy(days: bigint, ids: bigint[]) {
      const now = (await latest()).timestamp;
      let until = now;
      for (const id of ids) {
        const st = await ledger.loanState(id);
        const target = st.nextDueDate + days * DAY + 60n;
        if (target > until) until = target;
      }
      if (until > now) await chain.increaseTime(until - now);
      await chain.mineEmpty(1);
    },

    /**
     * An arrears plan on `loanId` with the borrower's EIP-712 promise, created by the lender in the
     * next block: its arrears now in parts due `daysOut` days from now (equal, the last with the residue).
     */
    async createArrearsPlan(loanId: bigint, daysOut: bigint[]) {
      const now = (await latest()).timestamp;
      const st = await ledger.loanState(loanId);
      const arrears = st.amountOverdue + st.penaltyOutstanding;
      const n = BigInt(daysOut.length);
      const parts = daysOut.map((d, i) => ({ dueDate: now + d * DAY, amount: arrears / n + (i === daysOut.length - 1 ? arrears % n : 0n) }));
      const deadline = now + DAY;
      const td = arrearsPlanTypedData({
        chainId: (await provider.getNetwork()).chainId,
        loanLedger: dep.loanLedger.address,
        loanId,
        parts,
        nonce: await ledger["nonces(address,uint192)"](borrower.address, loanId),
        deadline,
      });
      const signature = await borrower.signTypedData(td.domain as Record<string, unknown>, plainTypes(td.types), td.message);
      await send(relief.connect(lender).createArrearsPlan(loanId, parts, deadline, signature));
      return parts;
    },

    /** A payment holiday on `loanId` with the borrower's EIP-712 consent, granted by the lender. */
    async grantHoliday(loanId: bigint, terms: { installments: number; interest: number; placement: number }) {
      const deadline = (await latest()).timestamp + DAY;
      const td = paymentHolidayTypedData({
        chainId: (await provider.getNetwork()).chainId,
        loanLedger: dep.loanLedger.address,
        loanId,
        version: Number((await ledger.loanTerms(loanId)).version) + 1,
        ...terms,
        to: await (async () => {
          const [st, t] = await Promise.all([ledger.loanState(loanId), ledger.loanTerms(loanId)]);
          return (await ledger.scheduleOf(loanId, t.version))[Number(st.cursor) + terms.installments - 1]!.dueDate;
        })(),
        nonce: await ledger["nonces(address,uint192)"](borrower.address, loanId),
        deadline,
      });
      const signature = await borrower.signTypedData(td.domain as Record<string, unknown>, plainTypes(td.types), td.message);
      return send(relief.connect(lender).grantPaymentHoliday(loanId, terms, deadline, signature));
    },
  };
  return chain;
}
