/**
 * Errors of the indexer. {@link IndexerError} is the base; each class says whether the run loop
 * may try again (`retryable`) or must stop because going on would write wrong data (fatal).
 */
import { DuetrailError, type DuetrailErrorOptions } from "../errors";

type Options = Omit<DuetrailErrorOptions, "retryable">;

/** Base class of every error thrown by `src/indexer`. */
export class IndexerError extends DuetrailError {
  override name = "IndexerError";
}

/** A reorg reached below the kept window: stop rather than guess (the data would be wrong). Fatal. */
export class ReorgTooDeepError extends IndexerError {
  override name = "ReorgTooDeepError";
  constructor(shortMessage: string, options: Options = {}) {
    super(shortMessage, { ...options, retryable: false });
  }
}

/** The RPC serves a different chain than deployments/<network>/ was made for. Fatal. */
export class ChainMismatchError extends IndexerError {
  override name = "ChainMismatchError";
  constructor(shortMessage: string, options: Options = {}) {
    super(shortMessage, { ...options, retryable: false });
  }
}

/**
 * A block the node reported is gone (the chain got shorter, or a node behind a load balancer lags):
 * the loop reads the head again instead of asking for the block forever. Retryable.
 */
export class BlockGoneError extends IndexerError {
  override name = "BlockGoneError";
  constructor(shortMessage: string, options: Options = {}) {
    super(shortMessage, { ...options, retryable: true });
  }
}

/**
 * The events contradict what is indexed (an event for a loan never registered, a loan on a policy
 * never published, a log without its block's timestamp): the database or the chain is not what this
 * indexer wrote or reads. Fatal.
 */
export class InconsistentEventError extends IndexerError {
  override name = "InconsistentEventError";
  constructor(shortMessage: string, options: Options = {}) {
    super(shortMessage, { ...options, retryable: false });
  }
}

/** A projection drifted from what the contract emitted: the domain and the contract disagree. Fatal. */
export class ProjectionMismatchError extends IndexerError {
  override name = "ProjectionMismatchError";
  constructor(shortMessage: string, options: Options = {}) {
    super(shortMessage, { ...options, retryable: false });
  }
}

/** The cursor is not where this writer left it: another indexer wrote to the database. Fatal. */
export class CursorMovedError extends IndexerError {
  override name = "CursorMovedError";
  constructor(shortMessage: string, options: Options = {}) {
    super(shortMessage, { ...options, retryable: false });
  }
}

/** The process was asked to stop while it stood by for the writer lock. Fatal (nothing to retry). */
export class StandbyStoppedError extends IndexerError {
  override name = "StandbyStoppedError";
  constructor(shortMessage = "stopped while standing by", options: Options = {}) {
    super(shortMessage, { ...options, retryable: false });
  }
}
