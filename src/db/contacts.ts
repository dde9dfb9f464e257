/**
 * The borrower contact directory (`borrower_contacts`, migration 0007): the one place that reads
 * and writes it, sealing the contact points (email, phone, postal address) with src/pii/crypto.ts
 * on the way in and opening them on the way out. Each sealed payload is bound to its row (lender
 * and borrower ref), so a payload copied onto another borrower does not open.
 *
 * Nothing here logs or returns personal data except {@link getContact}, whose caller decides.
 */
import type { Kysely, Transaction } from "kysely";
import { getAddress, type Address, type Hex } from "viem";
import { open, seal, type PiiKeyring } from "../pii/crypto";
import type { BorrowerContact, ContactPoints } from "../pii/contact";
import { chunk } from "./chunk";
import type { BorrowerContactsTable, Database } from "./schema";

/** Rows per insert statement: 13 parameters each, far below SQLite's and PostgreSQL's limits. */
const INSERT_ROWS = 500;

/** The additional authenticated data binding a sealed payload to its row. */
function rowBinding(lender: Address, ref: string): string {
  return `borrower_contacts:${lender}:${ref}`;
}

/** How a row is named in errors: lender and ref, never contact data. */
function rowName(lender: string, ref: string): string {
  return `borrower contact (lender ${lender}, borrowerRef ${ref})`;
}

function toRow(keyring: PiiKeyring, lender: Address, c: BorrowerContact, now: number): BorrowerContactsTable {
  const points: ContactPoints = { email: c.email, phone: c.phone, postalAddress: c.postalAddress };
  const sealed = seal(keyring, JSON.stringify(points), rowBinding(lender, c.borrowerRef));
  return {
    lender,
    borrower_ref: c.borrowerRef,
    key_id: sealed.keyId,
    payload: sealed.payload,
    language: c.language,
    time_zone: c.timeZone,
    jurisdiction: c.jurisdiction,
    consent_sms: c.consent.sms ? 1 : 0,
    consent_email: c.consent.email ? 1 : 0,
    consent_letter: c.consent.letter ? 1 : 0,
    consent_webhook: c.consent.webhook ? 1 : 0,
    updated_at: now,
  };
}

/** What an upsert did: rows new to the directory and rows replaced. */
export interface UpsertContactsResult {
  inserted: number;
  updated: number;
}

/**
 * Writes `contacts` for `lender` in ONE transaction (all or nothing), each sealed under the
 * keyring's current key; an existing (lender, borrowerRef) row is replaced whole.
 * @param now server clock, unix seconds (`updated_at`).
 */
export async function upsertContacts(db: Kysely<Database>, keyring: PiiKeyring, lender: Address, contacts: readonly BorrowerContact[], now: number): Promise<UpsertContactsResult> {
  const owner = getAddress(lender);
  const rows = contacts.map((c) => toRow(keyring, owner, c, now));
  return db.transaction().execute(async (tx) => {
    let updated = 0;
    for (const part of chunk(rows, INSERT_ROWS)) {
      const existing = await tx
        .selectFrom("borrower_contacts")
        .select("borrower_ref")
        .where("lender", "=", owner)
        .where("borrower_ref", "in", part.map((r) => r.borrower_ref))
        .execute();
      updated += existing.length;
      await tx
        .insertInto("borrower_contacts")
        .values(part)
        .onConflict((oc) =>
          oc.columns(["lender", "borrower_ref"]).doUpdateSet((eb) => ({
            key_id: eb.ref("excluded.key_id"),
            payload: eb.ref("excluded.payload"),
            language: eb.ref("excluded.language"),
            time_zone: eb.ref("excluded.time_zone"),
            jurisdiction: eb.ref("excluded.jurisdiction"),
            consent_sms: eb.ref("excluded.consent_sms"),
            consent_email: eb.ref("excluded.consent_email"),
            consent_letter: eb.ref("excluded.consent_letter"),
            consent_webhook: eb.ref("excluded.consent_webhook"),
            updated_at: eb.ref("excluded.updated_at"),
          })),
        )
        .execute();
    }
    return { inserted: rows.length - updated, updated };
  });
}

/** A stored contact: the record, opened, with the key id that sealed it and when it was written. */
export interface StoredContact extends BorrowerContact {
  lender: Address;
  keyId: string;
  updatedAt: number;
}

function fromRow(keyring: PiiKeyring, row: BorrowerContactsTable): StoredContact {
  const lender = row.lender as Address;
  const points = JSON.parse(open(keyring, { keyId: row.key_id, payload: row.payload }, rowBinding(lender, row.borrower_ref), rowName(lender, row.borrower_ref))) as ContactPoints;
  return {
    lender,
    borrowerRef: row.borrower_ref as Hex,
    ...(points.email !== undefined ? { email: points.email } : {}),
    ...(points.phone !== undefined ? { phone: points.phone } : {}),
    ...(points.postalAddress !== undefined ? { postalAddress: points.postalAddress } : {}),
    language: row.language,
    timeZone: row.time_zone,
    jurisdiction: row.jurisdiction,
    consent: { sms: row.consent_sms === 1, email: row.consent_email === 1, letter: row.consent_letter === 1, webhook: row.consent_webhook === 1 },
    keyId: row.key_id,
    updatedAt: Number(row.updated_at),
  };
}

/**
 * `lender`'s contact record for `borrowerRef`, opened; undefined when there is none.
 * @throws PiiKeyUnknownError, PiiDecryptError (src/pii/errors.ts) when the row does not open.
 */
export async function getContact(db: Kysely<Database>, keyring: PiiKeyring, lender: Address, borrowerRef: string): Promise<StoredContact | undefined> {
  const row = await db
    .selectFrom("borrower_contacts")
    .selectAll()
    .where("lender", "=", getAddress(lender))
    .where("borrower_ref", "=", borrowerRef.toLowerCase())
    .executeTakeFirst();
  return row ? fromRow(keyring, row) : undefined;
}

/** The key of a (lender, borrowerRef) pair in {@link contactRows}' map. */
export function contactKey(lender: string, borrowerRef: string): string {
  return `${getAddress(lender)}|${borrowerRef.toLowerCase()}`;
}

/**
 * The stored rows of many (lender, borrowerRef) pairs at once, still sealed, by {@link contactKey};
 * open each with {@link openContact} (a row that does not open then fails alone).
 */
export async function contactRows(db: Kysely<Database>, pairs: readonly { lender: string; borrowerRef: string }[]): Promise<Map<string, BorrowerContactsTable>> {
  const out = new Map<string, BorrowerContactsTable>();
  const wanted = new Set(pairs.map((p) => contactKey(p.lender, p.borrowerRef)));
  const lenders = [...new Set(pairs.map((p) => getAddress(p.lender)))];
  for (const refs of chunk([...new Set(pairs.map((p) => p.borrowerRef.toLowerCase()))], INSERT_ROWS)) {
    const rows = await db.selectFrom("borrower_contacts").selectAll().where("lender", "in", lenders).where("borrower_ref", "in", refs).execute();
    for (const r of rows) {
      const key = contactKey(r.lender, r.borrower_ref);
      if (wanted.has(key)) out.set(key, r);
    }
  }
  return out;
}

/**
 * A row of {@link contactRows}, opened.
 * @throws PiiKeyUnknownError, PiiDecryptError (src/pii/errors.ts) when the row does not open.
 */
export function openContact(keyring: PiiKeyring, row: BorrowerContactsTable): StoredContact {
  return fromRow(keyring, row);
}

/** `lender`'s borrower refs with a contact record, in order, `limit` after `after` (keyset). */
export async function listContactRefs(db: Kysely<Database>, lender: Address, page: { after?: string; limit: number }): Promise<Hex[]> {
  let q = db.selectFrom("borrower_contacts").select("borrower_ref").where("lender", "=", getAddress(lender));
  if (page.after !== undefined) q = q.where("borrower_ref", ">", page.after.toLowerCase());
  const rows = await q.orderBy("borrower_ref").limit(page.limit).execute();
  return rows.map((r) => r.borrower_ref as Hex);
}

/**
 * Erases `lender`'s contact record for `borrowerRef` (PIPL/GDPR erasure): the row is deleted,
 * nothing of it is kept. Hashes already anchored on chain stay; the plain data is gone.
 * @returns whether there was a row.
 */
export async function eraseContact(db: Kysely<Database>, lender: Address, borrowerRef: string): Promise<boolean> {
  const r = await db.deleteFrom("borrower_contacts").where("lender", "=", getAddress(lender)).where("borrower_ref", "=", borrowerRef.toLowerCase()).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Progress of {@link rekeyContacts} after each batch. */
export interface RekeyProgress {
  /** Rows moved to the current key so far. */
  rekeyed: number;
  /** Rows under another key left when the batch committed. */
  remaining: number;
}

/**
 * Re-seals every row not under the keyring's current key (opening it with the previous key), in
 * batches of `batchSize`, ONE transaction per batch: a crash leaves every row under one key or the
 * other, and a second run finishes the job. A row rewritten meanwhile (by an import) is left as the
 * import wrote it.
 * @throws PiiKeyUnknownError naming the first row under a key the keyring lacks (batches before it
 *   are committed); PiiDecryptError for an altered row.
 */
export async function rekeyContacts(
  db: Kysely<Database>,
  keyring: PiiKeyring,
  opts: { batchSize: number; onBatch?: (p: RekeyProgress) => void },
): Promise<RekeyProgress> {
  const current = keyring.current.id;
  let rekeyed = 0;
  let after: { lender: string; ref: string } | undefined;
  for (;;) {
    const batch = await db.transaction().execute(async (tx: Transaction<Database>) => {
      let q = tx.selectFrom("borrower_contacts").selectAll().where("key_id", "<>", current);
      if (after) {
        const a = after;
        q = q.where((eb) => eb.or([eb("lender", ">", a.lender), eb.and([eb("lender", "=", a.lender), eb("borrower_ref", ">", a.ref)])]));
      }
      const rows = await q.orderBy("lender").orderBy("borrower_ref").limit(opts.batchSize).execute();
      let done = 0;
      for (const row of rows) {
        const lender = row.lender as Address;
        const binding = rowBinding(lender, row.borrower_ref);
        const plain = open(keyring, { keyId: row.key_id, payload: row.payload }, binding, rowName(lender, row.borrower_ref));
        const sealed = seal(keyring, plain, binding);
        const r = await tx
          .updateTable("borrower_contacts")
          .set({ key_id: sealed.keyId, payload: sealed.payload })
          .where("lender", "=", row.lender)
          .where("borrower_ref", "=", row.borrower_ref)
          .where("key_id", "=", row.key_id)
          .where("payload", "=", row.payload)
          .executeTakeFirst();
        done += Number(r.numUpdatedRows);
      }
      const left = await tx.selectFrom("borrower_contacts").select((eb) => eb.fn.countAll<number>().as("n")).where("key_id", "<>", current).executeTakeFirstOrThrow();
      const last = rows[rows.length - 1];
      return { count: rows.length, done, remaining: Number(left.n), last: last ? { lender: last.lender, ref: last.borrower_ref } : undefined };
    });
    if (batch.count === 0) return { rekeyed, remaining: batch.remaining };
    rekeyed += batch.done;
    after = batch.last;
    opts.onBatch?.({ rekeyed, remaining: batch.remaining });
  }
}
