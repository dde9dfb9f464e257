/**
 * The collection evidence vocabulary shared by the trail, the Merkle batches and the
 * compliance model: the {@link Action} record and the Channel and Kind enums of
 * ICollectionLog (contracts/interfaces/ICollectionLog.sol), with the same numbers.
 */
import type { Address, Hex } from "viem";

/** ICollectionLog.Channel: how the borrower was (or was to be) reached. */
export const Channel = {
  Call: 0,
  Sms: 1,
  Email: 2,
  Letter: 3,
  LawyerLetter: 4,
  Visit: 5,
  AppPush: 6,
  Other: 7,
} as const;
/** A channel number, 0..7. */
export type Channel = (typeof Channel)[keyof typeof Channel];

/** ICollectionLog.Kind: what the action was. */
export const Kind = {
  ContactAttempt: 0,
  ContactMade: 1,
  PromiseToPay: 2,
  Dispute: 3,
  PlanOffer: 4,
  LegalNotice: 5,
  Note: 6,
} as const;
/** A kind number, 0..6. */
export type Kind = (typeof Kind)[keyof typeof Kind];

/** Largest valid channel number (the contract refuses anything above). */
export const MAX_CHANNEL = 7;
/** Largest valid kind number (the contract refuses anything above). */
export const MAX_KIND = 6;

/**
 * One collection action, exactly the eight fields hashed into the trail (and into a
 * batch leaf), in the order of ICollectionLog's `actionHash`.
 */
export interface Action {
  /** uint256 */
  loanId: bigint;
  /** uint64, 1-based position in the loan's trail. */
  seq: bigint;
  /** The assigned collector that recorded it (msg.sender). */
  collector: Address;
  /** uint8, a {@link Channel}. */
  channel: number;
  /** uint8, a {@link Kind}. */
  kind: number;
  /** uint16, free outcome code of the lender's own taxonomy. */
  outcome: number;
  /** uint64, chain-time seconds when the contact happened. */
  occurredAt: bigint;
  /** bytes32, SHA-256 of the artifact (or a promise commitment). */
  evidenceHash: Hex;
}

/**
 * The ABI types of the eight action fields, in order: the one statement of the encoding that the
 * trail's actionHash (keccak256(abi.encode(...))) and a batch leaf (StandardMerkleTree over the
 * same values) both use, as CollectionLog does (ICollectionLog's header).
 */
export const ACTION_ENCODING = ["uint256", "uint64", "address", "uint8", "uint8", "uint16", "uint64", "bytes32"] as const;

/** An action's fields as values, in {@link ACTION_ENCODING} order. */
export type ActionFields = [bigint, bigint, Address, number, number, number, bigint, Hex];

/** The field values of `a`, in {@link ACTION_ENCODING} order. */
export function actionFields(a: Action): ActionFields {
  return [a.loanId, a.seq, a.collector, a.channel, a.kind, a.outcome, a.occurredAt, a.evidenceHash];
}
