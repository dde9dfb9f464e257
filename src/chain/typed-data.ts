/**
 * The EIP-712 typed data the contracts verify, as viem `TypedDataDefinition`s: the one TypeScript
 * source of these type strings (the seed, the tests, the API and the CLI build signatures with it).
 *
 * - LoanLedger `Restructure`: a borrower consents to a new schedule version. The message carries
 *   the installments themselves, so a wallet shows what is being signed; `nonce` is the borrower's
 *   per-loan nonce `nonces(borrower, uint192(loanId))` (OpenZeppelin NoncesKeyed: the key in the
 *   high 192 bits), so offers on two loans never invalidate each other.
 * - LoanLedger `PaymentHoliday`: a borrower consents to a payment holiday (LoanRelief, run at the
 *   ledger's address, so the same domain) ending at `to`; the same per-loan nonce as `Restructure`.
 * - LoanLedger `ArrearsPlan`: a borrower promises the parts of an arrears plan (LoanRelief, the same
 *   domain and per-loan nonce).
 * - CollectionLog `RecordAction`: a collector signs an action for anyone to submit with
 *   `recordActionBySig`; `nonce` is the collector's `nonces(collector)`.
 *
 * The type strings must equal the contracts' RESTRUCTURE_TYPEHASH, INSTALLMENT_TYPEHASH and
 * RECORD_ACTION_TYPEHASH (test/chain/typed-data.test.ts checks them against viem's hashStruct).
 */
import type { Address, Hex, TypedDataDefinition } from "viem";
import type { Action } from "../domain/collection-types";
import type { Installment } from "../domain/types";

/** EIP712("Duetrail LoanLedger", "1") of LoanLedger's constructor. */
export const LOAN_LEDGER_EIP712 = { name: "Duetrail LoanLedger", version: "1" } as const;
/** EIP712("Duetrail CollectionLog", "1") of CollectionLog's constructor. */
export const COLLECTION_LOG_EIP712 = { name: "Duetrail CollectionLog", version: "1" } as const;

/** `Restructure(...)Installment(...)`; Installment's fields are ILoanLedgerTypes.Installment's. */
export const restructureTypes = {
  Restructure: [
    { name: "loanId", type: "uint256" },
    { name: "version", type: "uint16" },
    { name: "schedule", type: "Installment[]" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
  Installment: [
    { name: "dueDate", type: "uint64" },
    { name: "principal", type: "uint256" },
    { name: "interest", type: "uint256" },
  ],
} as const;

/** `PaymentHoliday(...)`: ILoanReliefEvents.HolidayTerms' fields between the loan's and the nonce. */
export const paymentHolidayTypes = {
  PaymentHoliday: [
    { name: "loanId", type: "uint256" },
    { name: "version", type: "uint16" },
    { name: "installments", type: "uint16" },
    { name: "interest", type: "uint8" },
    { name: "placement", type: "uint8" },
    { name: "to", type: "uint64" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** `ArrearsPlan(...)ArrearsPart(...)`; ArrearsPart's fields are ILoanReliefEvents.ArrearsPart's. */
export const arrearsPlanTypes = {
  ArrearsPlan: [
    { name: "loanId", type: "uint256" },
    { name: "parts", type: "ArrearsPart[]" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
  ArrearsPart: [
    { name: "dueDate", type: "uint64" },
    { name: "amount", type: "uint256" },
  ],
} as const;

/** `RecordAction(...)`: ICollectionLog.ActionInput's fields, then the collector, its nonce and a deadline. */
export const recordActionTypes = {
  RecordAction: [
    { name: "loanId", type: "uint256" },
    { name: "channel", type: "uint8" },
    { name: "kind", type: "uint8" },
    { name: "outcome", type: "uint16" },
    { name: "occurredAt", type: "uint64" },
    { name: "evidenceHash", type: "bytes32" },
    { name: "collector", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** The typed data of a borrower's consent to a restructuring. */
export type RestructureTypedData = TypedDataDefinition<typeof restructureTypes, "Restructure">;
/** The typed data of a borrower's consent to a payment holiday. */
export type PaymentHolidayTypedData = TypedDataDefinition<typeof paymentHolidayTypes, "PaymentHoliday">;
/** The typed data of a borrower's promise of an arrears plan. */
export type ArrearsPlanTypedData = TypedDataDefinition<typeof arrearsPlanTypes, "ArrearsPlan">;
/** The typed data of a collector's signed action. */
export type RecordActionTypedData = TypedDataDefinition<typeof recordActionTypes, "RecordAction">;

/** Parameters of {@link restructureTypedData}. */
export interface RestructureTypedDataParameters {
  chainId: number | bigint;
  /** The LoanLedger (EIP-712 verifying contract). */
  loanLedger: Address;
  loanId: bigint;
  /** The schedule version it creates: the loan's current version + 1. */
  version: number;
  /** The new installments, exactly as passed to restructureWithSignature. */
  schedule: readonly Installment[];
  /** `nonces(borrower, uint192(loanId))`, key prefix included. */
  nonce: bigint;
  /** Last block time (unix seconds) at which the signature is accepted. */
  deadline: bigint;
}

/** The `Restructure` typed data a borrower signs for LoanLedger.restructureWithSignature. */
export function restructureTypedData(p: RestructureTypedDataParameters): RestructureTypedData {
  return {
    domain: { ...LOAN_LEDGER_EIP712, chainId: Number(p.chainId), verifyingContract: p.loanLedger },
    types: restructureTypes,
    primaryType: "Restructure",
    message: {
      loanId: p.loanId,
      version: p.version,
      schedule: p.schedule.map((i) => ({ dueDate: i.dueDate, principal: i.principal, interest: i.interest })),
      nonce: p.nonce,
      deadline: p.deadline,
    },
  };
}

/** Parameters of {@link paymentHolidayTypedData}. */
export interface PaymentHolidayTypedDataParameters {
  chainId: number | bigint;
  /** The LoanLedger (EIP-712 verifying contract; relief runs at its address). */
  loanLedger: Address;
  loanId: bigint;
  /** The schedule version the holiday creates: the loan's current version + 1. */
  version: number;
  /** Installments deferred, from the oldest unpaid. */
  installments: number;
  /** ILoanReliefEvents.HolidayInterest: 0 accrued, 1 capitalised, 2 waived. */
  interest: number;
  /** ILoanReliefEvents.HolidayPlacement: 0 at the end, 1 spread. */
  placement: number;
  /** The holiday's end: the due date of the last deferred installment (the cursor's + installments - 1), so the borrower sees it. */
  to: bigint;
  /** `nonces(borrower, uint192(loanId))`, key prefix included. */
  nonce: bigint;
  /** Last block time (unix seconds) at which the signature is accepted. */
  deadline: bigint;
}

/** The `PaymentHoliday` typed data a borrower signs for LoanRelief.grantPaymentHoliday. */
export function paymentHolidayTypedData(p: PaymentHolidayTypedDataParameters): PaymentHolidayTypedData {
  return {
    domain: { ...LOAN_LEDGER_EIP712, chainId: Number(p.chainId), verifyingContract: p.loanLedger },
    types: paymentHolidayTypes,
    primaryType: "PaymentHoliday",
    message: {
      loanId: p.loanId,
      version: p.version,
      installments: p.installments,
      interest: p.interest,
      placement: p.placement,
      to: p.to,
      nonce: p.nonce,
      deadline: p.deadline,
    },
  };
}

/** Parameters of {@link arrearsPlanTypedData}. */
export interface ArrearsPlanTypedDataParameters {
  chainId: number | bigint;
  /** The LoanLedger (EIP-712 verifying contract; relief runs at its address). */
  loanLedger: Address;
  loanId: bigint;
  /** The parts, exactly as passed to createArrearsPlan: they add up to the arrears at the creation. */
  parts: readonly { readonly dueDate: bigint; readonly amount: bigint }[];
  /** `nonces(borrower, uint192(loanId))`, key prefix included. */
  nonce: bigint;
  /** Last block time (unix seconds) at which the signature is accepted. */
  deadline: bigint;
}

/** The `ArrearsPlan` typed data a borrower signs for LoanRelief.createArrearsPlan. */
export function arrearsPlanTypedData(p: ArrearsPlanTypedDataParameters): ArrearsPlanTypedData {
  return {
    domain: { ...LOAN_LEDGER_EIP712, chainId: Number(p.chainId), verifyingContract: p.loanLedger },
    types: arrearsPlanTypes,
    primaryType: "ArrearsPlan",
    message: {
      loanId: p.loanId,
      parts: p.parts.map((x) => ({ dueDate: x.dueDate, amount: x.amount })),
      nonce: p.nonce,
      deadline: p.deadline,
    },
  };
}

/** The fields of an action a collector signs: ICollectionLog.ActionInput. */
export type ActionInput = Pick<Action, "loanId" | "channel" | "kind" | "outcome" | "occurredAt" | "evidenceHash">;

/** Parameters of {@link recordActionTypedData}. */
export interface RecordActionTypedDataParameters {
  chainId: number | bigint;
  /** The CollectionLog (EIP-712 verifying contract). */
  collectionLog: Address;
  action: ActionInput;
  /** The signer: the assigned collector the trail will name. */
  collector: Address;
  /** `nonces(collector)` on the CollectionLog. */
  nonce: bigint;
  /** Last block time (unix seconds) at which the signature is accepted. */
  deadline: bigint;
}

/** The `RecordAction` typed data a collector signs for CollectionLog.recordActionBySig. */
export function recordActionTypedData(p: RecordActionTypedDataParameters): RecordActionTypedData {
  const a = p.action;
  return {
    domain: { ...COLLECTION_LOG_EIP712, chainId: Number(p.chainId), verifyingContract: p.collectionLog },
    types: recordActionTypes,
    primaryType: "RecordAction",
    message: {
      loanId: a.loanId,
      channel: a.channel,
      kind: a.kind,
      outcome: a.outcome,
      occurredAt: a.occurredAt,
      evidenceHash: a.evidenceHash as Hex,
      collector: p.collector,
      nonce: p.nonce,
      deadline: p.deadline,
    },
  };
}

/**
 * A definition's `types` as plain mutable arrays (no EIP712Domain), the shape other EIP-712
 * signers take (ethers' `signTypedData(domain, types, message)`).
 */
export function plainTypes(types: Record<string, readonly { name: string; type: string }[]>): Record<string, { name: string; type: string }[]> {
  return Object.fromEntries(Object.entries(types).map(([k, fields]) => [k, fields.map((f) => ({ name: f.name, type: f.type }))]));
}
