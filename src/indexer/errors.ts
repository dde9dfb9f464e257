/** A reorg reached below the kept window: stop rather than guess (the data would be wrong). */
export class ReorgTooDeepError extends Error {
  override name = "ReorgTooDeepError";
}

/** The RPC serves a different chain than deployments/<network>/ was made for. */
export class ChainMismatchError extends Error {
  override name = "ChainMismatchError";
}

/**
 * A block the node reported is gone (the chain got shorter, or a node behind a load balancer lags):
 * the loop reads the head again instead of asking for the block forever.
 */
export class BlockGoneError extends Error {
  override name = "BlockGoneError";
}
