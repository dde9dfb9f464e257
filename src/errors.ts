/**
 * The base of every error Duetrail throws, viem style (`BaseError` in viem's src/errors/base.ts):
 * a one-line `shortMessage`, optional `details`, the standard ES `cause`, and a `name` per class.
 * Each layer has its own base on top of it (src/domain/errors.ts, src/chain/errors.ts,
 * src/db/errors.ts, src/config/errors.ts, src/pii/errors.ts, src/notify/errors.ts,
 * src/evidence/errors.ts, src/files/errors.ts, src/cli/lib/errors.ts, src/api/services/errors.ts).
 *
 * `retryable` is the mark a loop acts on (Ponder's split into retryable and `NonRetryableError`):
 * true when the same call may succeed later unchanged (an RPC node or a database that does not
 * answer, a limit that resets), false (the default) when retrying cannot help (invalid input, a
 * refused operation, a broken deployment or migration). The indexer backs off on a retryable error
 * and stops on a fatal one.
 */

/** Options accepted by every {@link DuetrailError}. */
export interface DuetrailErrorOptions {
  /** Extra explanation appended to `message` (not to `shortMessage`). */
  details?: string;
  /** The underlying error, if any (the standard ES `cause`). */
  cause?: unknown;
  /** Whether the same operation may succeed if tried again later; default false (fatal). */
  retryable?: boolean;
}

/** Base class of every error thrown by `src/`. */
export class DuetrailError extends Error {
  override name = "DuetrailError";
  /** One line, suitable for a CLI or a problem+json `detail`. */
  readonly shortMessage: string;
  /** Optional longer explanation. */
  readonly details: string | undefined;
  /** True when trying the same thing again later may succeed; false for a fatal error. */
  readonly retryable: boolean;

  constructor(shortMessage: string, options: DuetrailErrorOptions = {}) {
    super(options.details ? `${shortMessage}\n\nDetails: ${options.details}` : shortMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }

  /** The first error along the `cause` chain (this one included) that `predicate` accepts. */
  walk(predicate: (err: unknown) => boolean): unknown {
    return walkCauses(this, predicate);
  }
}

/** The first error along `err`'s `cause` chain (`err` included) that `predicate` accepts. */
export function walkCauses(err: unknown, predicate: (err: unknown) => boolean): unknown {
  const seen = new Set<unknown>();
  for (let e = err; e !== undefined && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    if (predicate(e)) return e;
    seen.add(e);
    if (typeof e !== "object") break;
  }
  return undefined;
}

/**
 * Whether `err` may succeed if tried again: the mark of the first {@link DuetrailError} along its
 * `cause` chain (an outer error decides for the ones it wraps). Anything else is fatal: an error
 * that nobody classified is not retried blindly.
 */
export function isRetryable(err: unknown): boolean {
  const found = walkCauses(err, (e) => e instanceof DuetrailError) as DuetrailError | undefined;
  return found?.retryable ?? false;
}
