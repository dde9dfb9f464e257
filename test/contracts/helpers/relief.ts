import { ethers } from "hardhat";
import type { Signer } from "ethers";
import type { Address } from "viem";
import type { LoanLedger, LoanRelief } from "../../../typechain-types";
import { arrearsPlanTypedData, paymentHolidayTypedData, plainTypes } from "../../../src/chain/typed-data";
import { restructureNonce } from "./restructure";

/** The relief functions (ILoanRelief) at the ledger's address, where they run. */
export async function reliefOf(ledger: LoanLedger): Promise<LoanRelief> {
  return (await ethers.getContractAt("LoanRelief", await ledger.getAddress())) as unknown as LoanRelief;
}

export interface HolidayMessage {
  loanId: bigint;
  /** The version the holiday creates: the current one + 1. */
  version: number;
  installments: number;
  interest: number;
  placement: number;
  deadline: bigint;
  /** Defaults to the borrower's current per-loan nonce. */
  nonce?: bigint;
  /** The holiday's end; defaults to the due date of the last installment it defers now. */
  to?: bigint;
}

/** The end of a holiday deferring `installments` from the loan's cursor now (what the consent names). */
export async function holidayTo(ledger: LoanLedger, loanId: bigint, installments: number): Promise<bigint> {
  const [state, terms] = await Promise.all([ledger.loanState(loanId), ledger.loanTerms(loanId)]);
  const schedule = await ledger.scheduleOf(loanId, terms.version);
  const k = Number(state.cursor) + installments - 1;
  // Out of range (a test of the refusal): any value, the contract refuses before checking the signature.
  return k >= 0 && k < schedule.length ? schedule[k]!.dueDate : 0n;
}

/** The borrower's EIP-712 `PaymentHoliday` consent, as grantPaymentHoliday verifies it. */
export async function signHoliday(signer: Signer, ledger: LoanLedger, m: HolidayMessage): Promise<string> {
  const { chainId } = await ethers.provider.getNetwork();
  const td = paymentHolidayTypedData({
    chainId,
    loanLedger: (await ledger.getAddress()) as Address,
    loanId: m.loanId,
    version: m.version,
    installments: m.installments,
    interest: m.interest,
    placement: m.placement,
    to: m.to ?? (await holidayTo(ledger, m.loanId, m.installments)),
    nonce: m.nonce ?? (await restructureNonce(ledger, await signer.getAddress(), m.loanId)),
    deadline: m.deadline,
  });
  return signer.signTypedData(td.domain as Record<string, unknown>, plainTypes(td.types), td.message);
}

export interface ArrearsPlanMessage {
  loanId: bigint;
  parts: readonly { dueDate: bigint; amount: bigint }[];
  deadline: bigint;
  /** Defaults to the borrower's current per-loan nonce. */
  nonce?: bigint;
}

/** The borrower's EIP-712 `ArrearsPlan` promise, as createArrearsPlan verifies it. */
export async function signArrearsPlan(signer: Signer, ledger: LoanLedger, m: ArrearsPlanMessage): Promise<string> {
  const { chainId } = await ethers.provider.getNetwork();
  const td = arrearsPlanTypedData({
    chainId,
    loanLedger: (await ledger.getAddress()) as Address,
    loanId: m.loanId,
    parts: m.parts,
    nonce: m.nonce ?? (await restructureNonce(ledger, await signer.getAddress(), m.loanId)),
    deadline: m.deadline,
  });
  return signer.signTypedData(td.domain as Record<string, unknown>, plainTypes(td.types), td.message);
}
