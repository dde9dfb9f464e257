/**
 * An evidence upload from start to finish: who may upload for the loan, the size limit, the free
 * disk floor, the caller's daily quota, streaming to disk while hashing, and recording the upload.
 */
import type { Readable } from "node:stream";
import type { Kysely } from "kysely";
import type { Database } from "../../db/schema";
import type { ApiOptions } from "../context";
import type { Scope } from "../auth/scope";
import { EvidenceQuotaError, InsufficientStorageError, InvalidRequestError, ServiceError, TooLargeError } from "./errors";
import { assertMayUpload, bytesUploadedSince, recordUpload } from "./evidence-access";
import { freeBytes, receiveArtifact, type ReceiveLimit } from "../../evidence/store";
import { DAY_SECONDS as DAY_SEC } from "../../domain";


export interface UploadEvidenceParameters {
  db: Kysely<Database>;
  options: Pick<ApiOptions, "evidenceDir" | "maxEvidenceBytes" | "evidenceQuotaBytesPerDay" | "evidenceMinFreeBytes">;
  scope: Scope;
  loanId: number;
  /** The body; left readable on failure (the caller discards what remains). */
  body: Readable;
  /** The declared length (Content-Length), if any: refusals come before a byte is read. */
  declaredLength?: number;
  /** Server clock, seconds (the quota is an operational limit, not a ledger figure). */
  now: number;
}

export interface UploadEvidenceReturnType {
  sha256: `0x${string}`;
  size: number;
  /** False when identical content was already stored. */
  created: boolean;
}

/**
 * Checks, streams and records one upload. Throws NotFoundError/ForbiddenError (who), 413 (size),
 * 507 (disk), 429 (quota, checked from the declared length, while streaming and when recording)
 * and 400 (empty body, or the client went away); nothing stays on disk after a refusal.
 */
export async function uploadEvidence(p: UploadEvidenceParameters): Promise<UploadEvidenceReturnType> {
  const { db, options, scope, loanId, declaredLength: declared } = p;
  const dir = options.evidenceDir;
  const tooLarge = () => new TooLargeError(`an evidence artifact may hold at most ${options.maxEvidenceBytes} bytes`);
  await assertMayUpload(db, scope, loanId);
  if (declared !== undefined && declared > options.maxEvidenceBytes) throw tooLarge();
  if ((await freeBytes(dir)) - (declared ?? 0) < options.evidenceMinFreeBytes) {
    throw new InsufficientStorageError("the evidence store is below its free disk space floor; try again later");
  }
  const quota = options.evidenceQuotaBytesPerDay;
  const used = await bytesUploadedSince(db, scope.address, p.now - DAY_SEC);
  const remaining = Math.max(0, quota - used);
  if (declared !== undefined && declared > remaining) throw new EvidenceQuotaError(quota, used);
  const limit: ReceiveLimit = remaining < options.maxEvidenceBytes ? { bytes: remaining, error: () => new EvidenceQuotaError(quota, used) } : { bytes: options.maxEvidenceBytes, error: tooLarge };

  const received = await receiveArtifact(dir, p.body, limit).catch((err: unknown) => {
    // The client went away mid-body: nobody reads the answer, and it is no server failure to log.
    if (!(err instanceof ServiceError) && (p.body.errored || ["ECONNRESET", "ERR_STREAM_PREMATURE_CLOSE"].includes((err as NodeJS.ErrnoException).code ?? ""))) {
      throw new InvalidRequestError("the request body ended early (the client went away)");
    }
    throw err;
  });
  try {
    if (received.size === 0) throw new InvalidRequestError("the request body (the artifact's bytes) is empty", [{ path: "body", message: "must not be empty" }]);
    // The row first, then the file: the retention sweep puts back a file whose row appeared meanwhile.
    await recordUpload(db, { sha256: received.sha256, loanId, uploader: scope.address, size: received.size, at: p.now }, quota);
    const created = await received.place();
    return { sha256: received.sha256, size: received.size, created };
  } catch (err) {
    await received.discard();
    throw err;
  }
}
