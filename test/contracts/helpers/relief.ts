import { ethers } from "hardhat";
import type { Signer } from "ethers";
import type { Address } from "viem";
import type { LoanLedger, LoanRelief } from "../../../typechain-types";
import { paymentHolidayTypedData, plainTypes } from "../../../src/chain/typed-data";
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
    nonce: m.nonce ?? (await restructureNonce(ledger, await signer.getAddress(), m.loanId)),
    deadline: m.deadline,
  });
  return signer.signTypedData(td.domain as Record<string, unknown>, plainTypes(td.types), td.message);
}
