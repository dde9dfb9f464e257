/**
 * Who may upload and read evidence artifacts, from the upload records (`evidence_uploads`) and the
 * indexed chain. An artifact is uploaded FOR a loan by someone who produces evidence on it (its
 * lender, a servicer of the lender, or a collector assigned to it). It is readable by its uploader,
 * and by those who may see a loan it was uploaded for AND that cites it. Hashes are public in events,
 * so citing a hash on one's own loan grants nothing: the copy must have been uploaded for that loan.
 */
import { sql, type ExpressionBuilder, type Kysely } from "kysely";
import { EVIDENCE_KEY } from "../../db/migrations/0020_actions_evidence_key";
import type { Database } from "../../db/schema";
import type { Scope } from "../auth/scope";
import { EvidenceQuotaError, ForbiddenError, NotFoundError } from "./errors";
import { visibleTo } from "./loans";
import { DAY_SECONDS } from "../../domain";

/**
 * The loan may be seen by the caller (404 otherwise, as for a loan that does not exist), and the
 * caller produces evidence on it: its lender, a servicer of its lender, or a collector assigned to it
 * now (403 otherwise: auditors read evidence, they do not add to it).
 */
export async function assertMayUpload(db: Kysely<Database>, scope: Scope, loanId: number): Promise<void> {
  const visible = await visibleTo(db.selectFrom("loans").select("loans.loan_id"), scope).where("loans.loan_id", "=", loanId).executeTakeFirst();
  if (!visible) throw new NotFoundError(`loan ${loanId} not found`);
  if (!scope.auditor) return; // visibility without the auditor's is exactly the producers' set
  const producer = await visibleTo(db.selectFrom("loans").select("loans.loan_id"), { ...scope, auditor: false }).where("loans.loan_id", "=", loanId).executeTakeFirst();
  if (!producer) throw new ForbiddenError(`only loan ${loanId}'s lender, its servicers and its assigned collectors may upload evidence for it`);
}

/** Bytes `uploader` uploaded since `since` (server clock, seconds), leaving out one (artifact, loan) row if given. */
export async function bytesUploadedSince(db: Kysely<Database>, uploader: string, since: number, except?: { sha256: string; loanId: number }): Promise<number> {
  let q = db
    .selectFrom("evidence_uploads")
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>("size"), eb.lit(0)).as("total"))
    .where("uploader", "=", uploader)
    .where("uploaded_at", ">", since);
  if (except) q = q.where((eb) => eb.not(eb.and([eb("sha256", "=", except.sha256), eb("loan_id", "=", except.loanId)])));
  const row = await q.executeTakeFirst();
  return Number(row?.total ?? 0);
}

export interface UploadRecord {
  sha256: string;
  loanId: number;
  uploader: string;
  size: number;
  /** Server clock, seconds. */
  at: number;
}

/**
 * Records an upload, after checking again (with the rows committed meanwhile) that the uploader's
 * bytes of the last 24 hours stay within `quotaBytes`. The same bytes uploaded again by the same
 * caller for the same loan replace the earlier row (its time moves), so they count once.
 */
export async function recordUpload(db: Kysely<Database>, u: UploadRecord, quotaBytes: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const used = await bytesUploadedSince(trx, u.uploader, u.at - DAY_SECONDS, { sha256: u.sha256, loanId: u.loanId });
    if (used + u.size > quotaBytes) throw new EvidenceQuotaError(quotaBytes, used);
    await trx
      .insertInto("evidence_uploads")
      .values({ sha256: u.sha256, loan_id: u.loanId, uploader: u.uploader, size: u.size, uploaded_at: u.at })
      .onConflict((oc) => oc.columns(["sha256", "loan_id", "uploader"]).doUpdateSet({ size: u.size, uploaded_at: u.at }))
      .execute();
  });
}

/**
 * Whether `hash` is cited on the loan of the outer `loans` row: an indexed action's evidence, a
 * promise's artifact, a dispute's evidence, or the evidence of a stored batch leaf whose batch is
 * still anchored with the same root (a reorg that removed the anchor removes the citation).
 */
export function citedOnLoan(eb: ExpressionBuilder<Database, "loans">, hash: string) {
  return eb.or([
    eb.exists(eb.selectFrom("actions").select("actions.loan_id").whereRef("actions.loan_id", "=", "loans.loan_id").where("actions.evidence_hash", "=", hash)),
    eb.exists(eb.selectFrom("promises").select("promises.loan_id").whereRef("promises.loan_id", "=", "loans.loan_id").where("promises.artifact_hash", "=", hash)),
    eb.exists(eb.selectFrom("disputes").select("disputes.loan_id").whereRef("disputes.loan_id", "=", "loans.loan_id").where("disputes.evidence_hash", "=", hash)),
    eb.exists(
      eb
        .selectFrom("batch_leaves")
        .innerJoin("batch_anchors", (j) => j.onRef("batch_anchors.batch_id", "=", "batch_leaves.batch_id").onRef("batch_anchors.merkle_root", "=", "batch_leaves.merkle_root"))
        .select("batch_leaves.loan_id")
        .whereRef("batch_leaves.loan_id", "=", "loans.loan_id")
        .where("batch_leaves.evidence_hash", "=", hash),
    ),
  ]);
}

/** Whether any indexed record cites `hash` on any loan (same sources as {@link citedOnLoan}). */
export async function citedAnywhere(db: Kysely<Database>, hash: string): Promise<boolean> {
  const [a, p, d, b, n] = await Promise.all([
    // The key first: SQLite's index is on it (migration 0020); on PostgreSQL it is a filter after the hash index.
    db.selectFrom("actions").select("loan_id").where(sql.raw(EVIDENCE_KEY), "=", hash.slice(2, 14)).where("evidence_hash", "=", hash).limit(1).executeTakeFirst(),
    db.selectFrom("promises").select("loan_id").where("artifact_hash", "=", hash).limit(1).executeTakeFirst(),
    db.selectFrom("disputes").select("loan_id").where("evidence_hash", "=", hash).limit(1).executeTakeFirst(),
    db
      .selectFrom("batch_leaves")
      .innerJoin("batch_anchors", (j) => j.onRef("batch_anchors.batch_id", "=", "batch_leaves.batch_id").onRef("batch_anchors.merkle_root", "=", "batch_leaves.merkle_root"))
      .select("batch_leaves.loan_id")
      .where("batch_leaves.evidence_hash", "=", hash)
      .limit(1)
      .executeTakeFirst(),
    // A rendered notice is kept from its rendering on: the bytes sent (or about to be) are evidence before the chain cites them.
    db.selectFrom("notices").select("loan_id").where("evidence_hash", "=", hash).limit(1).executeTakeFirst(),
  ]);
  return a !== undefined || p !== undefined || d !== undefined || b !== undefined || n !== undefined;
}

/**
 * Whether the caller may read the artifact `hash` (0x lowercase): it uploaded it, or it may see a
 * loan the artifact was uploaded for and that cites it. Auditors see every loan, so they read every
 * cited artifact that was uploaded for a loan citing it.
 */
export async function mayRead(db: Kysely<Database>, scope: Scope, hash: string): Promise<boolean> {
  const own = await db.selectFrom("evidence_uploads").select("loan_id").where("sha256", "=", hash).where("uploader", "=", scope.address).limit(1).executeTakeFirst();
  if (own) return true;
  const loan = await visibleTo(db.selectFrom("loans").select("loans.loan_id"), scope)
    .where("loans.loan_id", "in", db.selectFrom("evidence_uploads").select("evidence_uploads.loan_id").where("evidence_uploads.sha256", "=", hash))
    .where((eb) => citedOnLoan(eb, hash))
    .limit(1)
    .executeTakeFirst();
  return loan !== undefined;
}
