import { ethers, network } from "hardhat";
import type { LoanLedger, MockERC20 } from "../../typechain-types";
import type { ILoanLedgerTypes } from "../../typechain-types/contracts/LoanLedger";
import { DAY, encodeJurisdiction } from "../../src/domain";

/**
 * The chain clock at the start, 2030-01-01T00:00:00Z: every date in the calldata is fixed, so
 * each figure is reproducible (a zero byte of calldata costs 4 gas, any other 16).
 */
const START = BigInt(Date.UTC(2030, 0, 1) / 1000);

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> {
  const rc = await (await tx).wait();
  return Number(rc!.gasUsed);
}

/** Mines the next block at `t` (a fixed time, so the scenario does not depend on the wall clock). */
async function setTime(t: bigint): Promise<void> {
  const latest = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  if (t <= latest) throw new Error(`bench:gas: the chain clock (${latest}) is past ${t}; move the scenario's fixed dates on`);
  await network.provider.send("evm_setNextBlockTimestamp", [Number(t)]);
  await network.provider.send("evm_mine", []);
}

/** A 6-decimal stablecoin annuity-like schedule: 12,000.00 over `count` months at 6%. */
function schedule(count: number, firstDue: bigint): ILoanLedgerTypes.InstallmentStruct[] {
  const principal = 12_000_000_000n;
  const part = principal / BigInt(count);
  return Array.from({ length: count }, (_, i) => ({
    dueDate: firstDue + BigInt(i) * 30n * DAY,
    principal: i === count - 1 ? principal - part * BigInt(count - 1) : part,
    interest: 60_000_000n - BigInt(i) * 1_000n,
  }));
}

/** LoanLedger: registration, repayments and pokes, as a lender and keeper would run them. */
export async function ledgerScenarios(): Promise<Record<string, number>> {
  const [admin, lender, borrower, keeper] = await ethers.getSigners();
  await setTime(START);
  const ledger = (await ethers.deployContract("LoanLedger", [admin.address, 2_400])) as unknown as LoanLedger;
  const token = (await ethers.deployContract("MockERC20", ["Test USD", "TUSD", 6])) as unknown as MockERC20;
  await ledger.grantRole(await ledger.LENDER_ROLE(), lender.address);
  await ledger.connect(lender).setPolicy({
    graceDays: 3,
    penaltyRateBps: 1_800,
    lateFee: 5_000_000n,
    substandardAfterDays: 90,
    doubtfulAfterDays: 270,
    lossAfterDays: 360,
    defaultAfterDays: 90,
    reminderOffsetsDays: [-3, 1, 7, 15, 30, 60, 90],
  });
  await token.mint(borrower.address, 10n ** 15n);
  await token.connect(borrower).approve(await ledger.getAddress(), ethers.MaxUint256);
  const L = ledger.connect(lender);

  let refs = 0;
  const params = (count: number, tokenAddress: string, currency = "0x000000") => ({
    borrower: borrower.address,
    borrowerRef: ethers.id(`ref-${count}-${++refs}`),
    token: tokenAddress,
    currency,
    principal: 12_000_000_000n,
    contractRateBps: 600,
    utcOffsetMinutes: 480,
    jurisdiction: encodeJurisdiction("CN"),
    schedule: schedule(count, START + 30n * DAY),
  });
  const tokenAddress = await token.getAddress();
  const out: Record<string, number> = {};

  // Warm-up registration so the measured ones are not the lender's first (loan counter non-zero).
  await L.registerLoan(params(12, tokenAddress));
  out["registerLoan/12"] = await gasOf(L.registerLoan(params(12, tokenAddress)));
  out["registerLoan/120"] = await gasOf(L.registerLoan(params(120, tokenAddress)));

  // Repayments settle exactly one installment on time. The lender already holds the token
  // (it has been paid before), as it does in practice after its first receipt.
  const first = (await ledger.scheduleOf(1, 1))[0];
  await ledger.connect(borrower).repay(1, first.principal + first.interest);
  const second = (await ledger.scheduleOf(2, 1))[0];
  out["repay/erc20"] = await gasOf(ledger.connect(borrower).repay(2, second.principal + second.interest));

  // The money arrived when the loan was registered and is recorded an hour later.
  const fiat = params(12, ethers.ZeroAddress, ethers.hexlify(ethers.toUtf8Bytes("CNY")));
  const fiatId = (await ledger.loanCount()) + 1n;
  await network.provider.send("evm_setNextBlockTimestamp", [Number(START + DAY)]);
  await L.registerLoan(fiat);
  const f0 = fiat.schedule[0];
  await network.provider.send("evm_setNextBlockTimestamp", [Number(START + DAY + 3_600n)]);
  out.recordRepayment = await gasOf(
    L.recordRepayment(fiatId, BigInt(f0.principal) + BigInt(f0.interest), START + DAY, ethers.id("bank-ref-1")),
  );

  // Pokes: 100 fresh loans sharing a first due date; 3 days before it, each has one reminder due.
  const batch = [];
  const firstDue = START + 60n * DAY;
  for (let i = 0; i < 100; i++) batch.push({ ...params(12, tokenAddress), schedule: schedule(12, firstDue) });
  const firstBatchId = (await ledger.loanCount()) + 1n;
  for (let i = 0; i < 100; i += 25) await L.registerLoans(batch.slice(i, i + 25));
  await setTime(firstDue - 3n * DAY);
  out["poke/1"] = await gasOf(ledger.connect(keeper).poke([firstBatchId]));
  const ids = Array.from({ length: 100 }, (_, i) => firstBatchId + 1n + BigInt(i)).slice(0, 99);
  // poke/100: the 99 remaining loans plus one more fresh loan due the same day.
  await L.registerLoan({ ...params(12, tokenAddress), schedule: schedule(12, firstDue) });
  ids.push(await ledger.loanCount());
  out["poke/100"] = await gasOf(ledger.connect(keeper).poke(ids));
  // checkUpkeep scanning those 100 loans, none due after their pokes (a view: what Chainlink
  // Automation's simulation spends, within its check gas limit).
  const range = ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [firstBatchId, firstBatchId + 99n]);
  out["checkUpkeep/100"] = Number(await ledger.checkUpkeep.estimateGas(range));
  return out;
}
