/**
 * Errors of the personal-data layer (src/pii). {@link PiiError} is the base. Messages name the row
 * (lender and borrower ref) and the key id, never the plaintext nor the ciphertext. Fatal: the
 * same row fails the same way until someone supplies the right key or repairs the row.
 */
import { DuetrailError } from "../errors";

/** Base class of every error thrown by `src/pii`. */
export class PiiError extends DuetrailError {
  override name = "PiiError";
}

/** A row is sealed under a key id that neither PII_KEY nor PII_KEY_PREVIOUS carries. Fatal. */
export class PiiKeyUnknownError extends PiiError {
  override name = "PiiKeyUnknownError";
  constructor(
    readonly keyId: string,
    readonly row: string,
    known: readonly string[],
  ) {
    super(`${row}: sealed under key id "${keyId}", which is neither PII_KEY nor PII_KEY_PREVIOUS (known: ${known.map((k) => `"${k}"`).join(", ")})`);
  }
}

/**
 * A sealed value does not open: it was altered (or moved to another row), or the key with its id
 * is not the one that sealed it. Fatal.
 */
export class PiiDecryptError extends PiiError {
  override name = "PiiDecryptError";
  constructor(
    readonly keyId: string,
    readonly row: string,
    cause?: unknown,
  ) {
    super(`${row}: contact data does not decrypt under key id "${keyId}" (altered, moved from another row, or a different key with the same id)`, { cause });
  }
}
