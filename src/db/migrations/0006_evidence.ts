import type { Kysely } from "kysely";

/**
 * `evidence_uploads`: who uploaded which artifact for which loan, and when (POST
 * /v1/evidence?loanId=). Access to an artifact follows these rows (an artifact is readable by its
 * uploader, and by those who may see a loan it was uploaded for and is cited on), the per-caller
 * daily byte quota sums them, and the retention sweep removes never-cited artifacts by their
 * newest row. One row per (artifact, loan, uploader): uploading the same bytes again for the same
 * loan moves `uploaded_at`. Not an event table: nothing here comes from the chain.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("evidence_uploads")
    .addColumn("sha256", "text", (c) => c.notNull())
    .addColumn("loan_id", "bigint", (c) => c.notNull())
    .addColumn("uploader", "text", (c) => c.notNull())
    .addColumn("size", "bigint", (c) => c.notNull())
    .addColumn("uploaded_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("evidence_uploads_pk", ["sha256", "loan_id", "uploader"])
    .execute();
  // The quota: a caller's uploads of the last 24 hours.
  await db.schema.createIndex("evidence_uploads_uploader_idx").on("evidence_uploads").columns(["uploader", "uploaded_at"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("evidence_uploads").ifExists().execute();
}
