import { ethers } from "hardhat";
import type { Signer } from "ethers";
import type { Address } from "viem";
import type { LoanLedger } from "../../../typechain-types";
import { plainTypes, restructureTypedData, type RestructureTypedData } from "../../../src/chain/typed-data";
import type { InstallmentStruct } from "./fixtures";

/** Installments as ABI tuples (uint64 dueDate, uint256 principal, uint256 interest). */
export function scheduleTuples(schedule: InstallmentStruct[]): [bigint, bigint, bigint][] {
  return schedule.map((i) => [BigInt(i.dueDate), BigInt(i.principal), BigInt(i.interest)]);
}

/** keccak256(abi.encode(Installment[])), the hash events and pendingRestructure carry. */
export function scheduleHash(schedule: InstallmentStruct[]): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["tuple(uint64,uint256,uint256)[]"], [scheduleTuples(schedule)]));
}

/** The borrower's per-loan consent nonce: nonces(borrower, uint192(loanId)), key prefix included. */
export async function restructureNonce(ledger: LoanLedger, borrower: string, loanId: bigint): Promise<bigint> {
  return ledger["nonces(address,uint192)"](borrower, loanId);
}

export interface RestructureMessage {
  loanId: bigint;
  version: bigint;
  schedule: InstallmentStruct[];
  nonce: bigint;
  deadline: bigint;
}

/** The `Restructure` typed data of src/chain/typed-data.ts for this ledger and chain. */
export async function restructureData(ledger: LoanLedger, m: RestructureMessage): Promise<RestructureTypedData> {
  const { chainId } = await ethers.provider.getNetwork();
  return restructureTypedData({
    chainId,
    loanLedger: (await ledger.getAddress()) as Address,
    loanId: m.loanId,
    version: Number(m.version),
    schedule: m.schedule.map((i) => ({ dueDate: BigInt(i.dueDate), principal: BigInt(i.principal), interest: BigInt(i.interest) })),
    nonce: m.nonce,
    deadline: m.deadline,
  });
}

/** The borrower's EIP-712 `Restructure` signature, as restructureWithSignature verifies it. */
export async function signRestructure(signer: Signer, ledger: LoanLedger, m: RestructureMessage): Promise<string> {
  const td = await restructureData(ledger, m);
  return signer.signTypedData(td.domain as Record<string, unknown>, plainTypes(td.types), td.message);
}
