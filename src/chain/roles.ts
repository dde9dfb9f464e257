import { keccak256, toBytes, zeroHash, type Hex } from "viem";

/**
 * The AccessControl role ids of LoanLedger and CollectionLog (keccak256 of the role's name, as
 * the contracts declare them): the one place TypeScript computes them.
 */
export const LENDER_ROLE: Hex = keccak256(toBytes("LENDER_ROLE"));
/** Read-everything role of auditors and regulators (LoanLedger). */
export const AUDITOR_ROLE: Hex = keccak256(toBytes("AUDITOR_ROLE"));
/** OpenZeppelin's DEFAULT_ADMIN_ROLE: zero. */
export const DEFAULT_ADMIN_ROLE: Hex = zeroHash;
