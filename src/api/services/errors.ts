/**
 * What the API's services (and route handlers) throw: semantic errors that know nothing of HTTP.
 * src/api/errors.ts maps each class to a status and title in one table; a service never names a
 * status code. `fields` carries the values that explain the failure (sent beside `detail`).
 */
import type { Hex } from "viem";
import { DuetrailError, type DuetrailErrorOptions } from "../../errors";

/** Options of a {@link ServiceError}: the base options and the explaining values. */
export interface ServiceErrorOptions extends DuetrailErrorOptions {
  /** Values that explain the failure (the quota, the offending fields, ...). */
  fields?: Record<string, unknown>;
}

/** Base class of the errors the API's services throw. */
export class ServiceError extends DuetrailError {
  override name = "ServiceError";
  /** Values that explain the failure, for the caller (problem+json members beside `detail`). */
  readonly fields: Readonly<Record<string, unknown>>;

  constructor(shortMessage: string, options: ServiceErrorOptions = {}) {
    const { fields, ...base } = options;
    super(shortMessage, base);
    this.fields = fields ?? {};
  }
}

/** One failing input: its path (`query.limit`, `body.actions.3`) and what is wrong with it. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** The request is malformed or fails validation; `errors` lists the failing fields when known. */
export class InvalidRequestError extends ServiceError {
  override name = "InvalidRequestError";
  constructor(detail: string, errors?: FieldProblem[]) {
    super(detail, errors ? { fields: { errors } } : {});
  }
}

/** No valid credentials: a token is missing, invalid, expired or revoked, or a sign-in failed. */
export class UnauthenticatedError extends ServiceError {
  override name = "UnauthenticatedError";
  constructor(detail = "a bearer token is required (POST /v1/auth/verify)") {
    super(detail);
  }
}

/** The caller is known but may not do this. */
export class ForbiddenError extends ServiceError {
  override name = "ForbiddenError";
}

/** The thing does not exist, or the caller may not see it. */
export class NotFoundError extends ServiceError {
  override name = "NotFoundError";
}

/** The request clashes with the current state (a used key, a stale nonce, an unassigned relayer). */
export class ConflictError extends ServiceError {
  override name = "ConflictError";
}

/** The request body is larger than allowed. */
export class TooLargeError extends ServiceError {
  override name = "TooLargeError";
}

/**
 * A per-caller, per-client or server-wide limit was reached; retryable (the limit frees up).
 * `retryAfterSec`, when known, is how long until it does.
 */
export class QuotaExceededError extends ServiceError {
  override name = "QuotaExceededError";
  constructor(
    detail: string,
    readonly retryAfterSec?: number,
    fields?: Record<string, unknown>,
  ) {
    super(detail, { retryable: true, fields });
  }
}

/** The caller's evidence uploads of the last 24 hours and this one exceed its daily quota. */
export class EvidenceQuotaError extends QuotaExceededError {
  override name = "EvidenceQuotaError";
  constructor(quotaBytes: number, usedBytes: number) {
    super(`this upload would exceed the evidence quota of ${quotaBytes} bytes per caller per 24 hours (${usedBytes} used)`, undefined, {
      quota: "EVIDENCE_QUOTA_BYTES_PER_DAY",
      quotaBytes,
      usedBytes,
    });
  }
}

/** A stream cannot open: `cap` names the setting that refused it. */
export class StreamLimitError extends QuotaExceededError {
  override name = "StreamLimitError";
  constructor(cap: "STREAM_MAX_PER_CALLER" | "STREAM_MAX_TOTAL", limit: number) {
    super(
      cap === "STREAM_MAX_PER_CALLER" ? `this caller already has ${limit} open streams (STREAM_MAX_PER_CALLER): close one first` : `the server has ${limit} open streams (STREAM_MAX_TOTAL): try again later`,
      undefined,
      { cap, limit },
    );
  }
}

/** Something the request needs is not there now (the chain, the indexer, a configured key); retryable. */
export class UnavailableError extends ServiceError {
  override name = "UnavailableError";
  constructor(detail: string, options: Omit<ServiceErrorOptions, "retryable" | "fields"> = {}) {
    super(detail, { ...options, retryable: true });
  }
}

/**
 * Borrower contact data cannot be read or written: no PII_KEY is configured, or a row is sealed
 * under a key id this process does not hold (a rotation without PII_KEY_PREVIOUS). Retryable: the
 * operator can supply the key. `setting` names what to set.
 */
export class ContactKeyUnavailableError extends ServiceError {
  override name = "ContactKeyUnavailableError";
  constructor(detail: string, options: Omit<ServiceErrorOptions, "retryable" | "fields"> = {}) {
    super(detail, { ...options, retryable: true, fields: { setting: "PII_KEY" } });
  }
}

/** Free disk space is below the configured floor; retryable (space may be freed). */
export class InsufficientStorageError extends ServiceError {
  override name = "InsufficientStorageError";
  constructor(detail: string) {
    super(detail, { retryable: true });
  }
}

/** The uploaded leaves do not rebuild the anchored batch. */
export class BatchMismatchError extends ServiceError {
  override name = "BatchMismatchError";
  constructor(detail: string, fields: Record<string, unknown>) {
    super(detail, { fields });
  }
}

/** The contract refused the action (a stale or future occurredAt, ...): the custom error and its arguments. */
export class ActionRefusedError extends ServiceError {
  override name = "ActionRefusedError";
  constructor(
    readonly errorName: string,
    args: readonly unknown[],
  ) {
    super(`CollectionLog refused the action: ${errorName}`, {
      fields: { revert: { error: errorName, args: args.map((v) => (typeof v === "bigint" ? v.toString() : v)) } },
    });
  }
}

/** The relayed transaction was included but reverted (the chain changed since the simulation). */
export class RelayRevertedError extends ServiceError {
  override name = "RelayRevertedError";
  constructor(txHash: Hex, blockNumber: number | null) {
    super(`the relayed transaction ${txHash} reverted on chain (the loan changed after the check); nothing was recorded`, { fields: { txHash, blockNumber } });
  }
}
