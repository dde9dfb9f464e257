/**
 * Errors of the chain layer (deployments, RPC, contract calls). {@link ChainError} is the base;
 * a missing or malformed deployment is fatal, an RPC endpoint that does not answer is retryable.
 */
import { DuetrailError, type DuetrailErrorOptions } from "../errors";

/** Base class of every error thrown by `src/chain`. */
export class ChainError extends DuetrailError {
  override name = "ChainError";
}

/** A deployment that is missing or malformed; the message names the file. Fatal. */
export class DeploymentError extends ChainError {
  override name = "DeploymentError";
  constructor(shortMessage: string, options: Omit<DuetrailErrorOptions, "retryable"> = {}) {
    super(shortMessage, { ...options, retryable: false });
  }
}

/**
 * An RPC call failed for a reason that may pass (the node is down, slow or rate limiting): the
 * viem error is the `cause`. Retryable.
 */
export class RpcError extends ChainError {
  override name = "RpcError";
  constructor(shortMessage: string, options: Omit<DuetrailErrorOptions, "retryable"> = {}) {
    super(shortMessage, { ...options, retryable: true });
  }
}
