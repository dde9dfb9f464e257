import { ethers, network } from "hardhat";
import type { Address } from "viem";
import type { LoanLedger, LoanRelief, MockERC20 } from "../../typechain-types";
import type { ILoanLedgerTypes } from "../../typechain-types/contracts/LoanLedger";
import { DAY, encodeJurisdiction } from "../../src/domain";
import { arrearsPlanTypedData, paymentHolidayTypedData, plainTypes } from "../../src/chain/typed-data";

/** Relief runs on its own ledger from 2031-01-01T00:00:00Z, after the other scenarios' dates. */
const START = BigInt(Date.UTC(2031, 0, 1) / 1000);

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> {
  const rc = await (await tx).wait();
  return Number(rc!.gasUsed);
}

async function nextBlockAt(t: bigint): Promise<void> {
  await network.provider.send("evm_setNextBlockTimestamp", [Number(t)]);
}

/** 12,000.00 over 12 monthly installments, as in the ledger scenarios. */
function schedule(firstDue: bigint): ILoanLedgerTypes.InstallmentStruct[] {
  const part = 1_000_000_000n;
  return Array.from({ length: 12 }, (_, i) => ({ dueDate: firstDue + BigInt(i) * 30n * DAY, principal: part, interest: 60_000_000n - BigInt(i) * 1_000n }));
}

/**
 * LoanRelief through the ledger's fallback: a payment holiday the borrower signed (3 of 12
 * installments moved to the end, interest accrued), a settlement offer, settlements paid in the
 * token and attested off chain, and an arrears plan of three parts (created, paid into, a part kept
 * by a poke, the next missed). Each measured call is the loan's first of its kind, as in practice.
 */
export async function reliefScenarios(): Promise<Record<string, number>> {
  const [admin, lender, borrower] = await ethers.getSigners();
  await nextBlockAt(START);
  const ledger = (await ethers.deployContract("LoanLedger", [admin.address, 2_400])) as unknown as LoanLedger;
  const relief = (await ethers.getContractAt("LoanRelief", await ledger.getAddress())) as unknown as LoanRelief;
  const token = (await ethers.deployContract("MockERC20", ["Test USD", "TUSD", 6])) as unknown as MockERC20;
  await ledger.grantRole(await ledger.LENDER_ROLE(), lender.address);
  await token.mint(borrower.address, 10n ** 15n);
  await token.connect(borrower).approve(await ledger.getAddress(), ethers.MaxUint256);
  await token.mint(lender.address, 1n); // the lender already holds the token, as after its first receipt
  const L = ledger.connect(lender);
  const firstDue = START + 30n * DAY;
  const params = (tokenAddress: string, currency = "0x000000", ref = 0) => ({
    borrower: borrower.address,
    borrowerRef: ethers.id(`relief-${ref}`),
    token: tokenAddress,
    currency,
    principal: 12_000_000_000n,
    contractRateBps: 600,
    utcOffsetMinutes: 480,
    jurisdiction: encodeJurisdiction("CN"),
    schedule: schedule(firstDue),
  });
  const tokenAddress = await token.getAddress();
  await L.registerLoans([params(tokenAddress, "0x000000", 1), params(tokenAddress, "0x000000", 2), params(ethers.ZeroAddress, ethers.hexlify(ethers.toUtf8Bytes("CNY")), 3)]);
  await L.registerLoan(params(tokenAddress, "0x000000", 4));
  const out: Record<string, number> = {};

  const at = START + 10n * DAY;
  const terms = { installments: 3, interest: 0, placement: 0 };
  const td = paymentHolidayTypedData({
    chainId: (await ethers.provider.getNetwork()).chainId,
    loanLedger: (await ledger.getAddress()) as Address,
    loanId: 1n,
    version: 2,
    ...terms,
    to: firstDue + 60n * DAY, // the third installment's due date
    nonce: await ledger["nonces(address,uint192)"](borrower.address, 1n),
    deadline: at + DAY,
  });
  const signature = await borrower.signTypedData(td.domain as Record<string, unknown>, plainTypes(td.types), td.message);
  await nextBlockAt(at);
  out["holiday/grant"] = await gasOf(relief.connect(lender).grantPaymentHoliday(1n, terms, at + DAY, signature));

  out["settlement/offer"] = await gasOf(relief.connect(lender).offerSettlement(2n, 8_000_000_000n, at + 30n * DAY));
  out["settlement/accept"] = await gasOf(relief.connect(borrower).settle(2n));
  await relief.connect(lender).offerSettlement(3n, 8_000_000_000n, at + 30n * DAY);
  const recordAt = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  out["settlement/record"] = await gasOf(relief.connect(lender).recordSettlement(3n, recordAt, ethers.id("bank-ref-settlement")));

  // Loan 4, ten days behind and poked that day by the keeper: its arrears in three parts, 30 days apart.
  const late = firstDue + 10n * DAY;
  await nextBlockAt(late);
  await ledger.poke([4n]);
  const state = await ledger.loanState(4n);
  const arrears = state.amountOverdue + state.penaltyOutstanding;
  const third = arrears / 3n;
  const parts = [1n, 2n, 3n].map((k) => ({ dueDate: late + k * 30n * DAY, amount: k === 3n ? arrears - 2n * third : third }));
  const plan = arrearsPlanTypedData({
    chainId: (await ethers.provider.getNetwork()).chainId,
    loanLedger: (await ledger.getAddress()) as Address,
    loanId: 4n,
    parts,
    nonce: await ledger["nonces(address,uint192)"](borrower.address, 4n),
    deadline: late + DAY,
  });
  const planSignature = await borrower.signTypedData(plan.domain as Record<string, unknown>, plainTypes(plan.types), plan.message);
  await nextBlockAt(late + 60n);
  out["arrearsPlan/create"] = await gasOf(relief.connect(lender).createArrearsPlan(4n, parts, late + DAY, planSignature));
  // A repayment under the plan also adds to what the plan has been paid.
  out["arrearsPlan/repay"] = await gasOf(ledger.connect(borrower).repay(4n, third + 1_020_000_000n));
  await nextBlockAt(parts[0]!.dueDate);
  out["arrearsPlan/keep"] = await gasOf(ledger.poke([4n]));
  await nextBlockAt(parts[1]!.dueDate);
  out["arrearsPlan/break"] = await gasOf(ledger.poke([4n]));
  return out;
}
