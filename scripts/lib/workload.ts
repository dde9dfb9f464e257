import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { CollectionLog, LoanLedger, MockERC20 } from "../../typechain-types";
import { loadDeployment } from "../../src/chain/deployments";
import { LENDER_ROLE } from "../../src/chain/roles";
import { DAY, encodeJurisdiction } from "../../src/domain";

const TX_GAS_CAP = 16_777_216n;

export interface WorkloadOptions {
  /** Loans registered per round (batches of 25). */
  loans: number;
  /** Rounds of: register, advance time, repay some, poke all, record actions. */
  rounds: number;
  /** Actions recorded per loan per round. */
  actionsPerLoan: number;
  onProgress?: (done: number, total: number) => void;
  /** The deployments folder (default ./deployments). */
  deploymentsDir?: string;
  /** Loans per registerLoans transaction (default 25). */
  registerBatch?: number;
  /** Loans per assignCollector transaction (default 200). */
  assignBatch?: number;
  /** Loans per poke transaction (default 100). */
  pokeBatch?: number;
  /** Actions per recordActions transaction (default 150). */
  actionBatch?: number;
  /**
   * For big runs (bench:indexer): each batch size above is an upper bound, shrunk to what fits
   * under the 16,777,216 gas transaction cap (from one estimate of a small slice per kind and
   * round); batches carry that cap as their gas limit instead of an estimate each; repayments go
   * out as plain eth_sendTransaction calls with explicit nonces (automine reports a revert as an
   * error). Default false: every transaction estimated and awaited, batch sizes as given.
   */
  fast?: boolean;
  /** A line of progress per transaction batch (e.g. for long runs). */
  onDetail?: (message: string) => void;
}

/**
 * A deterministic, realistic workload against deployments/<network>/: loans in the test
 * stablecoin, repayments on time and late, pokes (reminders, penalties, classification changes),
 * collector assignments and contact actions. Used by the indexer tests and bench:indexer.
 */
export async function runWorkload(hre: HardhatRuntimeEnvironment, opts: WorkloadOptions) {
  const { ethers, network } = hre;
  const dep = loadDeployment(network.name, opts.deploymentsDir);
  const [admin, lender, borrower, collector] = await ethers.getSigners();
  const ledger = (await ethers.getContractAt("LoanLedger", dep.loanLedger.address)) as unknown as LoanLedger;
  const log = (await ethers.getContractAt("CollectionLog", dep.collectionLog.address)) as unknown as CollectionLog;
  const token = (await ethers.getContractAt("MockERC20", dep.testToken!.address)) as unknown as MockERC20;
  const LENDER = LENDER_ROLE;
  if (!(await ledger.hasRole(LENDER, lender.address))) {
    await (await ledger.connect(admin).grantRole(LENDER, lender.address)).wait();
    await (
      await ledger.connect(lender).setPolicy({
        graceDays: 3,
        penaltyRateBps: 500,
        lateFee: 1_000_000n,
        substandardAfterDays: 90,
        doubtfulAfterDays: 270,
        lossAfterDays: 360,
        defaultAfterDays: 90,
        reminderOffsetsDays: [-3, 1, 7, 15, 30, 60, 90],
      })
    ).wait();
    await (await token.mint(borrower.address, 10n ** 18n)).wait();
    await (await token.connect(borrower).approve(dep.loanLedger.address, ethers.MaxUint256)).wait();
  }
  const tokenAddress = dep.testToken!.address;
  const now = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const registerBatchMax = opts.registerBatch ?? 25;
  const assignBatchMax = opts.assignBatch ?? 200;
  const pokeBatchMax = opts.pokeBatch ?? 100;
  const actionBatchMax = opts.actionBatch ?? 150;
  // The Hardhat network's per-transaction cap; a batch that would exceed it fails loudly.
  const overrides = opts.fast ? { gasLimit: TX_GAS_CAP } : {};
  /** In fast mode, the largest batch (up to `requested`) that fits the cap, from a slice's estimate. */
  const fit = async (requested: number, estimate: (n: number) => Promise<bigint>): Promise<number> => {
    if (!opts.fast) return requested;
    const n = Math.min(requested, 20);
    const perItem = Number(await estimate(n)) / n; // includes the transaction's base cost: errs low
    return Math.max(1, Math.min(requested, Math.floor((Number(TX_GAS_CAP) * 0.92) / perItem)));
  };
  let steps = 0;
  const total = opts.rounds * 4;
  for (let round = 0; round < opts.rounds; round++) {
    const t0 = await now();
    const firstDue = t0 + 10n * DAY;
    const first = (await ledger.loanCount()) + 1n;
    const params = Array.from({ length: opts.loans }, (_, i) => ({
      borrower: borrower.address,
      borrowerRef: ethers.id(`workload-${round}-${i}`),
      token: tokenAddress,
      currency: "0x000000",
      principal: 1_200_000_000n,
      contractRateBps: 800,
      utcOffsetMinutes: 480,
      jurisdiction: encodeJurisdiction("CN"),
      schedule: Array.from({ length: 12 }, (_, k) => ({
        dueDate: firstDue + BigInt(k) * 30n * DAY,
        principal: 100_000_000n,
        interest: 8_000_000n,
      })),
    }));
    const registerBatch = await fit(registerBatchMax, (n) => ledger.connect(lender).registerLoans.estimateGas(params.slice(0, n)));
    for (let i = 0; i < params.length; i += registerBatch) await (await ledger.connect(lender).registerLoans(params.slice(i, i + registerBatch), overrides)).wait();
    opts.onDetail?.(`round ${round + 1}/${opts.rounds}: registered ${params.length} loans (${registerBatch} a transaction)`);
    const ids = Array.from({ length: opts.loans }, (_, i) => first + BigInt(i));
    const assignBatch = await fit(assignBatchMax, (n) => log.connect(lender).assignCollector.estimateGas(ids.slice(0, n), collector.address));
    for (let i = 0; i < ids.length; i += assignBatch) await (await log.connect(lender).assignCollector(ids.slice(i, i + assignBatch), collector.address, overrides)).wait();
    opts.onDetail?.(`round ${round + 1}/${opts.rounds}: assigned a collector to ${ids.length} loans (${assignBatch} a transaction)`);
    opts.onProgress?.(++steps, total);
    // 20 days later: the first installment is 10 days late; half the loans pay it.
    await network.provider.send("evm_setNextBlockTimestamp", [Number(firstDue + 10n * DAY + 3_600n * 2n)]);
    await network.provider.send("evm_mine", []);
    const payers = ids.filter((_, i) => i % 2 === 0);
    if (!opts.fast) {
      for (const id of payers) await (await ledger.connect(borrower).repay(id, 120_000_000n)).wait();
    } else {
      let nonce = await ethers.provider.getTransactionCount(borrower.address, "pending");
      for (const id of payers) {
        const data = ledger.interface.encodeFunctionData("repay", [id, 120_000_000n]);
        await network.provider.send("eth_sendTransaction", [
          { from: borrower.address, to: dep.loanLedger.address, data, gas: "0x7a120", nonce: `0x${(nonce++).toString(16)}` },
        ]);
      }
    }
    opts.onDetail?.(`round ${round + 1}/${opts.rounds}: ${payers.length} repayments`);
    opts.onProgress?.(++steps, total);
    const pokeBatch = await fit(pokeBatchMax, (n) => ledger.poke.estimateGas(ids.slice(0, n)));
    for (let i = 0; i < ids.length; i += pokeBatch) await (await ledger.poke(ids.slice(i, i + pokeBatch), overrides)).wait();
    opts.onDetail?.(`round ${round + 1}/${opts.rounds}: poked ${ids.length} loans (${pokeBatch} a transaction)`);
    opts.onProgress?.(++steps, total);
    const at = await now();
    const actions = ids.flatMap((id, i) =>
      Array.from({ length: opts.actionsPerLoan }, (_, k) => ({
        loanId: id,
        channel: k % 3 === 0 ? 0 : 1,
        kind: k % 2,
        outcome: 100 + k,
        occurredAt: at - BigInt(k) * 600n,
        evidenceHash: ethers.id(`evidence-${round}-${i}-${k}`),
      })),
    );
    const actionBatch = await fit(actionBatchMax, (n) => log.connect(collector).recordActions.estimateGas(actions.slice(0, n)));
    for (let i = 0; i < actions.length; i += actionBatch) await (await log.connect(collector).recordActions(actions.slice(i, i + actionBatch), overrides)).wait();
    opts.onDetail?.(`round ${round + 1}/${opts.rounds}: recorded ${actions.length} actions (${actionBatch} a transaction)`);
    opts.onProgress?.(++steps, total);
  }
  return { ledger, log, token };
}
