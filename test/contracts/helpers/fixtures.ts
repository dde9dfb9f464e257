import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { LoanLedger, MockERC20 } from "../../../typechain-types";
import type { ILoanLedgerTypes } from "../../../typechain-types/contracts/LoanLedger";
import { AUDITOR_ROLE, LENDER_ROLE } from "../../../src/chain/roles";
import { DAY, encodeJurisdiction } from "../../../src/domain";

export { DAY };
export const MAX_RATE_BPS = 2_400; // the admin's legal cap in these tests
export { AUDITOR_ROLE, LENDER_ROLE } from "../../../src/chain/roles";

export type InstallmentStruct = ILoanLedgerTypes.InstallmentStruct;
export type LoanParamsStruct = ILoanLedgerTypes.LoanParamsStruct;
export type PolicyStruct = ILoanLedgerTypes.PolicyStruct;

/** A lender policy used across the contract tests: 18% default interest, a 5.00 late fee. */
export const TEST_POLICY: PolicyStruct = {
  graceDays: 3,
  penaltyRateBps: 1_800,
  lateFee: 5_000_000n, // 5.00 in a 6-decimal token
  substandardAfterDays: 90,
  doubtfulAfterDays: 270,
  lossAfterDays: 360,
  defaultAfterDays: 90,
  reminderOffsetsDays: [-3, 1, 7, 15, 30, 60, 90],
};

/**
 * `count` monthly-ish installments (every 30 days from `firstDue`), principal split evenly
 * with the residue on the last, a flat `interestEach`.
 */
export function evenSchedule(principal: bigint, count: number, firstDue: bigint, interestEach: bigint, periodDays = 30n): InstallmentStruct[] {
  const part = principal / BigInt(count);
  return Array.from({ length: count }, (_, i) => ({
    dueDate: firstDue + BigInt(i) * periodDays * DAY,
    principal: i === count - 1 ? principal - part * BigInt(count - 1) : part,
    interest: interestEach,
  }));
}

/** Loan params for `borrower` settled in `token`, principal 12,000.00, 12 installments from 30 days out. */
export async function tokenLoanParams(
  borrower: string,
  token: string,
  opts: { principal?: bigint; count?: number; rateBps?: number; interestEach?: bigint; firstDueIn?: bigint } = {},
): Promise<LoanParamsStruct> {
  const now = BigInt(await time.latest());
  const principal = opts.principal ?? 12_000_000_000n;
  const count = opts.count ?? 12;
  return {
    borrower,
    borrowerRef: ethers.id(`borrower:${borrower}`),
    token,
    currency: "0x000000",
    principal,
    contractRateBps: opts.rateBps ?? 600,
    utcOffsetMinutes: 480,
    jurisdiction: encodeJurisdiction("CN"),
    schedule: evenSchedule(principal, count, now + (opts.firstDueIn ?? 30n * DAY), opts.interestEach ?? 60_000_000n),
  };
}

/** The same as tokenLoanParams but settled off chain in CNY. */
export async function fiatLoanParams(borrower: string, opts: Parameters<typeof tokenLoanParams>[2] = {}): Promise<LoanParamsStruct> {
  return { ...(await tokenLoanParams(borrower, ethers.ZeroAddress, opts)), token: ethers.ZeroAddress, currency: ethers.hexlify(ethers.toUtf8Bytes("CNY")) };
}

/** Deploys the ledger (cap 24%), two lenders with TEST_POLICY, a servicer, and a 6-decimal token the borrower holds and has approved. */
export async function deployLedgerFixture() {
  const [admin, lender, otherLender, servicer, borrower, stranger, keeper, auditor] = await ethers.getSigners();
  const ledger = (await ethers.deployContract("LoanLedger", [admin.address, MAX_RATE_BPS])) as unknown as LoanLedger;
  const token = (await ethers.deployContract("MockERC20", ["Test USD", "TUSD", 6])) as unknown as MockERC20;
  await ledger.grantRole(LENDER_ROLE, lender.address);
  await ledger.grantRole(LENDER_ROLE, otherLender.address);
  await ledger.grantRole(AUDITOR_ROLE, auditor.address);
  await ledger.connect(lender).setPolicy(TEST_POLICY);
  await ledger.connect(otherLender).setPolicy(TEST_POLICY);
  await ledger.connect(lender).setServicer(servicer.address, true);
  await token.mint(borrower.address, 10n ** 15n);
  await token.connect(borrower).approve(await ledger.getAddress(), ethers.MaxUint256);
  await token.mint(stranger.address, 10n ** 15n);
  await token.connect(stranger).approve(await ledger.getAddress(), ethers.MaxUint256);
  return { ledger, token, admin, lender, otherLender, servicer, borrower, stranger, keeper, auditor };
}

/** deployLedgerFixture plus one registered token loan (id 1) and one fiat loan (id 2) of `lender`. */
export async function registeredLoansFixture() {
  const f = await deployLedgerFixture();
  const tokenParams = await tokenLoanParams(f.borrower.address, await f.token.getAddress());
  await f.ledger.connect(f.lender).registerLoan(tokenParams);
  const fiatParams = await fiatLoanParams(f.borrower.address);
  await f.ledger.connect(f.lender).registerLoan(fiatParams);
  return { ...f, tokenParams, fiatParams, tokenLoanId: 1n, fiatLoanId: 2n };
}

// ---------------------------------------------------------------------------------------------
// Fixtures added for the capability tests (LoanLedger.<capability>.test.ts).

/** Legal cap used by the waterfall fixture: 4,380 bps = 12 bps a day on ACT/365. */
export const WATERFALL_MAX_RATE_BPS = 4_380;
/** Contract rate of the waterfall loans: 730 bps = 2 bps a day, so the cap room is 3,650 bps = 10 bps a day. */
export const WATERFALL_RATE_BPS = 730;
/**
 * A policy whose figures are easy to check by hand: 1,825 bps = 5 bps a day, so the default
 * interest on an accumulator U is halfUp(U / 2,000); a 1.00 late fee; the cap term is floor(U / 1,000).
 */
export const WATERFALL_POLICY: PolicyStruct = {
  graceDays: 3,
  penaltyRateBps: 1_825,
  lateFee: 1_000_000n,
  substandardAfterDays: 90,
  doubtfulAfterDays: 270,
  lossAfterDays: 360,
  defaultAfterDays: 90,
  reminderOffsetsDays: [-3, 1, 7, 15, 30, 60, 90],
};
/** Each waterfall installment: 1,000.00 principal + 20.00 interest = 1,020.00. */
export const WATERFALL_PRINCIPAL_PART = 1_000_000_000n;
export const WATERFALL_INTEREST_PART = 20_000_000n;
export const WATERFALL_INSTALLMENT = WATERFALL_PRINCIPAL_PART + WATERFALL_INTEREST_PART;

/**
 * deployLedgerFixture with the cap raised to 43.80% and `lender` on WATERFALL_POLICY, plus two
 * identical 3,000.00 loans of three 1,020.00 installments due every 30 days from 30 days out:
 * a token loan (id 1) and a CNY loan (id 2). `due[k]` is installment k's due date.
 */
export async function waterfallLoansFixture() {
  const f = await deployLedgerFixture();
  await f.ledger.connect(f.admin).setMaxAnnualRate(WATERFALL_MAX_RATE_BPS);
  await f.ledger.connect(f.lender).setPolicy(WATERFALL_POLICY);
  const now = BigInt(await time.latest());
  const due = [now + 30n * DAY, now + 60n * DAY, now + 90n * DAY];
  const schedule: InstallmentStruct[] = due.map((dueDate) => ({
    dueDate,
    principal: WATERFALL_PRINCIPAL_PART,
    interest: WATERFALL_INTEREST_PART,
  }));
  const base = {
    borrower: f.borrower.address,
    borrowerRef: ethers.id("borrower:waterfall"),
    principal: 3n * WATERFALL_PRINCIPAL_PART,
    contractRateBps: WATERFALL_RATE_BPS,
    utcOffsetMinutes: 480,
    jurisdiction: encodeJurisdiction("CN"),
    schedule,
  };
  const tokenParams: LoanParamsStruct = { ...base, token: await f.token.getAddress(), currency: "0x000000" };
  const fiatParams: LoanParamsStruct = { ...base, token: ethers.ZeroAddress, currency: ethers.hexlify(ethers.toUtf8Bytes("CNY")) };
  await f.ledger.connect(f.lender).registerLoan(tokenParams);
  await f.ledger.connect(f.lender).registerLoan(fiatParams);
  return { ...f, due, schedule, tokenParams, fiatParams, tokenLoanId: 1n, fiatLoanId: 2n };
}

export type WaterfallFixture = Awaited<ReturnType<typeof waterfallLoansFixture>>;
