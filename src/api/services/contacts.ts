/**
 * Who may see and change a borrower's contact record (issue 15), and the two forms it is shown in.
 *
 *  - the lender and its servicers (`scope.lenders`): the record in full, and they may write and
 *    erase it;
 *  - a collector assigned now to one of the lender's loans with that borrowerRef: a masked form
 *    (email `j***@e***.com`, the phone's last four digits, no postal address; language, time
 *    zone, jurisdiction and consent as they are), enough to pick a channel and to recognise the
 *    borrower, not to reach them outside Duetrail;
 *  - auditors: nothing. They verify evidence (hashes on chain, notices and their status), which
 *    needs no contact point; least privilege, so no masked form either;
 *  - anyone else: nothing.
 *
 * Refusals are decided from the caller's relation to (lender, borrowerRef) alone, before the
 * directory is read, so a 403 says nothing about whether a record exists. Contact data goes only
 * into the response: never into a log line or an error message (errors name lender and ref).
 */
import type { Kysely } from "kysely";
import type { Address } from "viem";
import type { Database } from "../../db/schema";
import { getContact, type StoredContact } from "../../db/contacts";
import type { PiiKeyring } from "../../pii/crypto";
import { PiiKeyUnknownError } from "../../pii/errors";
import { maskEmail, maskPhone } from "../../pii/mask";
import type { Scope } from "../auth/scope";
import { ContactKeyUnavailableError, ForbiddenError, NotFoundError } from "./errors";

export type ContactViewName = "full" | "masked";

const WHO = "a borrower's contact data is for its lender and the lender's servicers (collectors assigned to the borrower's loans, and agencies working them, see a masked form)";

/** Whether the caller acts for `lender` (is it, or services it). */
const actsFor = (scope: Scope, lender: Address) => scope.lenders.some((l) => l.toLowerCase() === lender.toLowerCase());

/**
 * The form of `lender`'s contact record for `borrowerRef` the caller may see.
 * @throws ForbiddenError for auditors and callers with no relation to the borrower.
 */
export async function contactViewFor(db: Kysely<Database>, scope: Scope, lender: Address, borrowerRef: string): Promise<ContactViewName> {
  if (actsFor(scope, lender)) return "full";
  // A collector of one of the borrower's loans: assigned by the lender, or working it for an agency.
  const works = await db
    .selectFrom("loans")
    .select("loans.loan_id")
    .where("loans.lender", "=", lender)
    .where("loans.borrower_ref", "=", borrowerRef.toLowerCase())
    .where((eb) => {
      const ors = [
        eb.exists(eb.selectFrom("current_collectors").select("current_collectors.loan_id").whereRef("current_collectors.loan_id", "=", "loans.loan_id").where("current_collectors.collector", "=", scope.address)),
      ];
      if (scope.agencyLoans.length) ors.push(eb("loans.loan_id", "in", scope.agencyLoans));
      return eb.or(ors);
    })
    .limit(1)
    .executeTakeFirst();
  if (works) return "masked";
  if (scope.auditor) throw new ForbiddenError(`auditors verify evidence and notices, not contact points: ${WHO}`);
  throw new ForbiddenError(WHO);
}

/**
 * Requires that the caller may write or erase `lender`'s contact records (the lender, its servicers).
 * @throws ForbiddenError otherwise.
 */
export function requireContactWriter(scope: Scope, lender: Address): void {
  if (!actsFor(scope, lender)) throw new ForbiddenError(`only the lender and its servicers may change or erase its borrowers' contact data (not a lender you act for: ${lender})`);
}

/**
 * The keyring, or 503 naming PII_KEY.
 * @throws ContactKeyUnavailableError when the API runs without PII_KEY.
 */
export function keyringOf(pii: PiiKeyring | undefined): PiiKeyring {
  if (!pii) throw new ContactKeyUnavailableError("borrower contact data is encrypted at rest and this server has no PII_KEY: set PII_KEY=<key id>:<32-byte key> in its environment");
  return pii;
}

/**
 * `lender`'s record for `borrowerRef`, opened.
 * @throws NotFoundError when there is none; ContactKeyUnavailableError when it is sealed under a
 *   key this server does not hold (the message names the key id and the row, never its content).
 */
export async function readContact(db: Kysely<Database>, pii: PiiKeyring | undefined, lender: Address, borrowerRef: string): Promise<StoredContact> {
  const keyring = keyringOf(pii);
  let stored: StoredContact | undefined;
  try {
    stored = await getContact(db, keyring, lender, borrowerRef);
  } catch (err) {
    if (err instanceof PiiKeyUnknownError) throw new ContactKeyUnavailableError(`${err.message}: set PII_KEY_PREVIOUS to that key, or run borrowers rekey`, { cause: err });
    throw err;
  }
  if (!stored) throw new NotFoundError(`no contact record for borrowerRef ${borrowerRef} of lender ${lender}`);
  return stored;
}

const commonOf = (c: StoredContact) => ({
  lender: c.lender,
  borrowerRef: c.borrowerRef,
  language: c.language,
  timeZone: c.timeZone,
  jurisdiction: c.jurisdiction,
  consent: c.consent,
  updatedAt: c.updatedAt,
});

/** The record as its lender and servicers see it. */
export function fullContact(c: StoredContact) {
  return { view: "full" as const, ...commonOf(c), email: c.email ?? null, phone: c.phone ?? null, postalAddress: c.postalAddress ?? null, keyId: c.keyId };
}

/** The record as an assigned collector sees it: no contact point in the clear. */
export function maskedContact(c: StoredContact) {
  return {
    view: "masked" as const,
    ...commonOf(c),
    email: c.email !== undefined ? maskEmail(c.email) : null,
    phone: c.phone !== undefined ? maskPhone(c.phone) : null,
    hasPostalAddress: c.postalAddress !== undefined,
  };
}
