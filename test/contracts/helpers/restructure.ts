import { ethers } from "hardhat";
import type { Signer } from "ethers";
import type { LoanLedger } from "../../../typechain-types";
import type { InstallmentStruct } from "./fixtures";

/** Installments as ABI tuples (uint64 dueDate, uint256 principal, uint256 interest). */
export function scheduleTuples(schedule: InstallmentStruct[]): [bigint, bigint, bigint][] {
  return schedule.map((i) => [BigInt(i.dueDate), BigInt(i.principal), BigInt(i.interest)]);
}

/** keccak256(abi.encode(Installment[])), the hash a restructuring is signed and proposed under. */
export function scheduleHash(schedule: InstallmentStruct[]): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["tuple(uint64,uint256,uint256)[]"], [scheduleTuples(schedule)]));
}

export interface RestructureMessage {
  loanId: bigint;
  version: bigint;
  schedule: InstallmentStruct[];
  nonce: bigint;
  deadline: bigint;
}

/** The borrower's EIP-712 `Restructure` signature, as restructureWithSignature verifies it. */
export async function signRestructure(signer: Signer, ledger: LoanLedger, m: RestructureMessage): Promise<string> {
  const { chainId } = await ethers.provider.getNetwork();
  const domain = { name: "Duetrail LoanLedger", version: "1", chainId, verifyingContract: await ledger.getAddress() };
  const types = {
    Restructure: [
      { name: "loanId", type: "uint256" },
      { name: "version", type: "uint16" },
      { name: "scheduleHash", type: "bytes32" },
      { name: "nonce", type: "uint256" },
      { name: "deadline", type: "uint256" },
    ],
  };
  const value = { loanId: m.loanId, version: m.version, scheduleHash: scheduleHash(m.schedule), nonce: m.nonce, deadline: m.deadline };
  return signer.signTypedData(domain, types, value);
}
