import { BaseError, HttpRequestError, ResponseBodyTooLargeError, RpcRequestError, TimeoutError } from "viem";
import { DuetrailError, walkCauses } from "../errors";
import { ChainError } from "./errors";

/**
 * How the sync loop treats an RPC failure (Ponder's split): a range that is too big is split;
 * everything else is retried with backoff. Nothing is ever skipped.
 */
export type RpcFailure = "range-too-large" | "retryable";

const TOO_LARGE = /too many|limit exceeded|query returned more than|response size|too large|exceed|block range|range is too/i;

export function classifyRpcError(err: unknown): RpcFailure {
  if (err instanceof ResponseBodyTooLargeError) return "range-too-large";
  if (err instanceof BaseError) {
    // Rate limiting says nothing about the range ("Too Many Requests" is not "too many results").
    if (httpErrorOf(err)?.status === 429) return "retryable";
    const text = `${err.shortMessage} ${err.details ?? ""}`;
    const rpc = err.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null;
    if (rpc && (rpc.code === -32005 || TOO_LARGE.test(rpc.details ?? ""))) return "range-too-large";
    if (err.walk((e) => e instanceof ResponseBodyTooLargeError)) return "range-too-large";
    if (err.walk((e) => e instanceof TimeoutError)) return "range-too-large"; // big ranges time out first
    if (err.walk((e) => e instanceof HttpRequestError) && TOO_LARGE.test(text) && !/429/.test(text)) return "range-too-large";
  }
  return "retryable";
}

function httpErrorOf(err: unknown): HttpRequestError | undefined {
  if (!(err instanceof BaseError)) return undefined;
  return (err.walk((e) => e instanceof HttpRequestError) as HttpRequestError | null) ?? undefined;
}

/** Longest Retry-After honoured; a server asking for more gets asked again sooner. */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The wait an HTTP error response asks for with Retry-After (delay-seconds or an HTTP date),
 * capped at a minute; undefined without one.
 */
export function retryAfterMs(err: unknown, now = Date.now()): number | undefined {
  const value = httpErrorOf(err)?.headers?.get("retry-after")?.trim();
  if (!value) return undefined;
  const ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)) : undefined;
}

export interface RetryOptions extends BackoffOptions {
  /** Called before each wait, with the attempt number (1-based) and the delay. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Stop retrying when this returns true (e.g. the indexer is stopping). */
  aborted?: () => boolean;
}

/** The caller asked to stop (while a call was retried or waited for): nothing to retry. */
export class AbortedError extends ChainError {
  override name = "AbortedError";
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface BackoffOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * The wait before retry number `attempt` (1-based): exponential from `baseDelayMs`, capped at
 * `maxDelayMs`, with jitter (half to all of it, so clients that failed together do not retry
 * together).
 */
export function backoffMs(attempt: number, { baseDelayMs = 100, maxDelayMs = 10_000 }: BackoffOptions = {}): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 16)) * (0.5 + Math.random() / 2);
}

/** The wait before retry number `attempt` after `err`: the backoff, or longer if Retry-After asks for it. */
export function retryDelayMs(err: unknown, attempt: number, opts: BackoffOptions = {}): number {
  return Math.max(backoffMs(attempt, opts), retryAfterMs(err) ?? 0);
}

/**
 * Retries `fn` forever with exponential backoff and jitter (capped), waiting at least what a
 * Retry-After header asks for, until it succeeds, is aborted, or fails with an error marked fatal.
 */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (opts.aborted?.()) throw new AbortedError("stopped while retrying");
      if (isFatal(err)) throw err;
      const delay = retryDelayMs(err, attempt, opts);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}

/**
 * Whether `err` is marked fatal by a Duetrail error class (the first along its cause chain decides):
 * {@link withRetry} gives up on those at once. Errors nobody classified (viem's transport errors
 * among them) are retried: they are what a flaky node throws.
 */
function isFatal(err: unknown): boolean {
  const classified = walkCauses(err, (e) => e instanceof DuetrailError) as DuetrailError | undefined;
  return classified !== undefined && !classified.retryable;
}

/** One line about an error for the logs. */
export function errorSummary(err: unknown): string {
  if (err instanceof BaseError) return err.shortMessage;
  return err instanceof Error ? err.message : String(err);
}
