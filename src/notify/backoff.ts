/**
 * The retry schedule of a notice whose channel failed with a retryable error (a refused
 * connection, a 5xx, a 429): exponential, capped, without jitter so that the schedule is the same
 * on every run and in every test (the dispatcher's leases already spread retries across
 * dispatchers). After NOTIFY_MAX_ATTEMPTS tries the notice fails for good (a webhook's dead-letter
 * state; the replay endpoint starts it again).
 */
import { NotifyError } from "./errors";

/** first × factor^(attempt − 1), at most cap. */
export interface BackoffSchedule {
  /** Wait after the first failed try. */
  firstMs: number;
  factor: number;
  capMs: number;
}

/**
 * 5 s, 20 s, 80 s, 5 min 20 s, 21 min 20 s, then hourly: with the default 8 tries a receiver may be
 * down about 2.5 hours before a notice fails, the order of Standard Webhooks' suggested schedule.
 */
export const DEFAULT_BACKOFF: BackoffSchedule = { firstMs: 5_000, factor: 4, capMs: 3_600_000 };

/**
 * How long to wait before the next try, after `attempt` failed tries (1 after the first failure).
 * Pure: the same attempt always gives the same wait.
 */
export function backoffMs(attempt: number, schedule: BackoffSchedule = DEFAULT_BACKOFF): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new NotifyError(`backoff: attempt must be an integer of at least 1, got ${attempt}`);
  // Stop multiplying once past the cap: factor^attempt overflows to Infinity for large attempts anyway, but the loop stays short.
  let wait = schedule.firstMs;
  for (let i = 1; i < attempt && wait < schedule.capMs; i++) wait *= schedule.factor;
  return Math.min(wait, schedule.capMs);
}
