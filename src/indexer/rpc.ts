import { BaseError, HttpRequestError, ResponseBodyTooLargeError, RpcRequestError, TimeoutError } from "viem";

/**
 * How the sync loop treats an RPC failure (Ponder's split): a range that is too big is split;
 * everything else is retried with backoff. Nothing is ever skipped.
 */
export type RpcFailure = "range-too-large" | "retryable";

const TOO_LARGE = /too many|limit exceeded|query returned more than|response size|too large|exceed|block range|range is too/i;

export function classifyRpcError(err: unknown): RpcFailure {
  if (err instanceof ResponseBodyTooLargeError) return "range-too-large";
  if (err instanceof BaseError) {
    const text = `${err.shortMessage} ${err.details ?? ""}`;
    const rpc = err.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null;
    if (rpc && (rpc.code === -32005 || TOO_LARGE.test(rpc.details ?? ""))) return "range-too-large";
    if (err.walk((e) => e instanceof ResponseBodyTooLargeError)) return "range-too-large";
    if (err.walk((e) => e instanceof TimeoutError)) return "range-too-large"; // big ranges time out first
    if (err.walk((e) => e instanceof HttpRequestError) && TOO_LARGE.test(text) && !/429/.test(text)) return "range-too-large";
  }
  return "retryable";
}

export interface RetryOptions {
  /** Called before each wait, with the attempt number (1-based) and the delay. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Stop retrying when this returns true (e.g. the indexer is stopping). */
  aborted?: () => boolean;
}

export class AbortedError extends Error {
  override name = "AbortedError";
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Retries `fn` forever with exponential backoff and jitter (capped), until it succeeds or is aborted. */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const base = opts.baseDelayMs ?? 100;
  const max = opts.maxDelayMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (opts.aborted?.()) throw new AbortedError("stopped while retrying");
      const delay = Math.min(max, base * 2 ** Math.min(attempt - 1, 16)) * (0.5 + Math.random() / 2);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}

/** One line about an error for the logs. */
export function errorSummary(err: unknown): string {
  if (err instanceof BaseError) return err.shortMessage;
  return err instanceof Error ? err.message : String(err);
}
