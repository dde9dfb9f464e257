/**
 * Errors of the evidence readers (src/evidence/verify.ts, src/evidence/bundle.ts): why a loan's
 * trail or evidence bundle could not be read from the chain. {@link EvidenceError} is the base.
 * Messages name no CLI flag: each class carries the values, so the CLI prints its own lines
 * (`evidenceUsageError` in src/cli/lib/errors.ts) and the API its own detail (503).
 */
import type { Address } from "viem";
import { BaseError } from "viem";
import { DuetrailError } from "../errors";

/** Base class of every error thrown by `src/evidence`'s chain readers. */
export class EvidenceError extends DuetrailError {
  override name = "EvidenceError";
}

/** The first line of an error's short message (viem's `shortMessage` when it has one). */
function firstLine(err: unknown): string {
  const text = err instanceof BaseError ? err.shortMessage : err instanceof Error ? err.message : String(err);
  return text.split("\n")[0]!;
}

/** The node did not answer the first reads (block number, chain id): `cause` is the RPC error. Retryable. */
export class NodeUnreachableError extends EvidenceError {
  override name = "NodeUnreachableError";
  /** The first line of the cause's message: why the node could not be reached. */
  readonly reason: string;

  constructor(cause: unknown) {
    const reason = firstLine(cause);
    super(`cannot reach the node: ${reason}`, { cause, retryable: true });
    this.reason = reason;
  }
}

/** The node serves another chain than the deployment was made on. Fatal. */
export class WrongChainError extends EvidenceError {
  override name = "WrongChainError";

  constructor(
    /** The node's chain id. */
    readonly chainId: number,
    /** The deployment's name (deployments/<network>). */
    readonly network: string,
    /** The deployment's chain id. */
    readonly expectedChainId: number,
  ) {
    super(`the node is chain ${chainId}, but deployment ${network} is chain ${expectedChainId}`);
  }
}

/** No CollectionLog code at the deployment's address at the block read: a stale deployment. Fatal. */
export class NoCollectionLogError extends EvidenceError {
  override name = "NoCollectionLogError";

  constructor(
    readonly address: Address,
    /** The deployment's name (deployments/<network>). */
    readonly network: string,
  ) {
    super(`no CollectionLog at ${address} on the node (stale deployment ${network}?)`);
  }
}

/** The loan is not registered on the LoanLedger at the block read (LoanLedgerUnknownLoan). Fatal. */
export class LoanNotRegisteredError extends EvidenceError {
  override name = "LoanNotRegisteredError";

  constructor(
    readonly loanId: bigint,
    /** The deployment's name (deployments/<network>). */
    readonly network: string,
    /** The block the loan was looked up at. */
    readonly block: bigint,
    cause?: unknown,
  ) {
    super(`loan ${loanId} is not registered on ${network} (as of block ${block})`, { cause });
  }
}
