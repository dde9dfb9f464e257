import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { CollectionLog, LoanLedger, MockERC20 } from "../../typechain-types";
import { loadDeployment } from "../../src/chain/deployments";

const DAY = 86_400n;

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
  const LENDER = ethers.id("LENDER_ROLE");
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
      schedule: Array.from({ length: 12 }, (_, k) => ({
        dueDate: firstDue + BigInt(k) * 30n * DAY,
        principal: 100_000_000n,
        interest: 8_000_000n,
      })),
    }));
    for (let i = 0; i < params.length; i += 25) await (await ledger.connect(lender).registerLoans(params.slice(i, i + 25))).wait();
    const ids = Array.from({ length: opts.loans }, (_, i) => first + BigInt(i));
    for (let i = 0; i < ids.length; i += 200) await (await log.connect(lender).assignCollector(ids.slice(i, i + 200), collector.address)).wait();
    opts.onProgress?.(++steps, total);
    // 20 days later: the first installment is 10 days late; half the loans pay it.
    await network.provider.send("evm_setNextBlockTimestamp", [Number(firstDue + 10n * DAY + 3_600n * 2n)]);
    await network.provider.send("evm_mine", []);
    for (let i = 0; i < ids.length; i += 2) await (await ledger.connect(borrower).repay(ids[i], 120_000_000n)).wait();
    opts.onProgress?.(++steps, total);
    for (let i = 0; i < ids.length; i += 100) await (await ledger.poke(ids.slice(i, i + 100))).wait();
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
    for (let i = 0; i < actions.length; i += 150) await (await log.connect(collector).recordActions(actions.slice(i, i + 150))).wait();
    opts.onProgress?.(++steps, total);
  }
  return { ledger, log, token };
}
