import type { Kysely } from "kysely";

/**
 * `borrower_contacts`: the borrower contact directory (issue 15), off chain and personal data, one
 * row per (lender, borrower_ref). Loaded by `borrowers import`, removed by `borrowers erase` (an
 * erasure deletes the row: nothing of it is kept). Not an event table: nothing here comes from the
 * chain, and a rollback never touches it.
 *
 * Encrypted (`payload`, sealed by src/pii/crypto.ts under the key named by `key_id`): the contact
 * points that identify or reach a person — email, phone and postal address.
 *
 * Plain: preferred language, IANA time zone, jurisdiction and the per-channel consent flags. The
 * dispatcher needs them to pick the template and apply the contact rules (local hours, consent) for
 * many rows in SQL, without decrypting anything; alone they do not identify or reach anyone (a
 * language, a zone and a country are shared by millions), and the row is keyed by the loan's
 * borrower_ref, already a salted hash. They are still personal data in law (pseudonymous): the
 * erasure deletes them with the rest of the row.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("borrower_contacts")
    .addColumn("lender", "text", (c) => c.notNull())
    .addColumn("borrower_ref", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("language", "text", (c) => c.notNull())
    .addColumn("time_zone", "text", (c) => c.notNull())
    .addColumn("jurisdiction", "text", (c) => c.notNull())
    .addColumn("consent_sms", "integer", (c) => c.notNull())
    .addColumn("consent_email", "integer", (c) => c.notNull())
    .addColumn("consent_letter", "integer", (c) => c.notNull())
    .addColumn("consent_webhook", "integer", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("borrower_contacts_pk", ["lender", "borrower_ref"])
    .execute();
  // `borrowers rekey`: the rows not yet under the current key.
  await db.schema.createIndex("borrower_contacts_key_idx").on("borrower_contacts").column("key_id").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("borrower_contacts").ifExists().execute();
}
