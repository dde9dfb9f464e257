/**
 * The borrower contact directory on SQLite and PostgreSQL: an upsert of many rows in one
 * transaction (all or nothing), the contact points sealed in the table (the raw row holds no
 * email, phone or address), get, keyset listing, erasure, and rekey from the previous key in
 * batches.
 */
import crypto from "node:crypto";
import { expect } from "chai";
import { sql } from "kysely";
import type { Address, Hex } from "viem";
import type { DatabaseHandle } from "../../src/db/connect";
import { eraseContact, getContact, listContactRefs, rekeyContacts, upsertContacts, type RekeyProgress } from "../../src/db/contacts";
import type { BorrowerContact } from "../../src/pii/contact";
import { PiiKey, type PiiKeyring } from "../../src/pii/crypto";
import { PiiDecryptError, PiiKeyUnknownError } from "../../src/pii/errors";
import { createTestDatabase, describeEachDialect, removeTempDirs, type TestDatabase } from "../indexer/helpers/harness";

const LENDER = "0x00000000000000000000000000000000000000A1" as Address;
const OTHER = "0x00000000000000000000000000000000000000B2" as Address;
const k1 = new PiiKey("k1", crypto.randomBytes(32));
const k2 = new PiiKey("k2", crypto.randomBytes(32));
const ref = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

function contact(n: number): BorrowerContact {
  return {
    borrowerRef: ref(n),
    email: `borrower${n}@example.cn`,
    phone: `+86138${String(n).padStart(8, "0")}`,
    postalAddress: `${n} Renmin Road\nGuangzhou`,
    language: n % 2 ? "zh-CN" : "en",
    timeZone: "Asia/Shanghai",
    jurisdiction: "CN",
    consent: { sms: true, email: n % 2 === 0, letter: true, webhook: false },
  };
}

describeEachDialect("db/contacts", (dialect) => {
  let tdb: TestDatabase;
  let h: DatabaseHandle;
  const ring1: PiiKeyring = { current: k1 };

  beforeEach(async function () {
    tdb = createTestDatabase(dialect, "contacts");
    h = await tdb.open();
  });
  afterEach(async function () {
    await h.close();
    await tdb.drop();
    removeTempDirs();
  });

  it("upserts many rows in one transaction, sealed: the raw table holds no contact point", async function () {
    const r = await upsertContacts(h.db, ring1, LENDER, [contact(1), contact(2), contact(3)], 1_000);
    expect(r).to.deep.equal({ inserted: 3, updated: 0 });
    const raw = await h.db.selectFrom("borrower_contacts").selectAll().orderBy("borrower_ref").execute();
    expect(raw).to.have.length(3);
    const text = JSON.stringify(raw);
    for (const n of [1, 2, 3]) {
      expect(text).not.to.include(`borrower${n}@example.cn`);
      expect(text).not.to.include(`+86138${String(n).padStart(8, "0")}`);
    }
    expect(text).not.to.include("Renmin");
    expect(raw[0]).to.include({ lender: LENDER, borrower_ref: ref(1), key_id: "k1", language: "zh-CN", time_zone: "Asia/Shanghai", jurisdiction: "CN", consent_sms: 1, consent_email: 0 });
    expect(Number(raw[0]!.updated_at)).to.equal(1_000);
  });

  it("gets a record back opened, and replaces a row whole on a second import", async function () {
    await upsertContacts(h.db, ring1, LENDER, [contact(1), contact(2)], 1_000);
    const got = await getContact(h.db, ring1, LENDER, ref(1));
    expect(got).to.deep.equal({ ...contact(1), lender: LENDER, keyId: "k1", updatedAt: 1_000 });
    const changed: BorrowerContact = { ...contact(1), email: undefined, consent: { sms: false, email: false, letter: false, webhook: true } };
    delete changed.email;
    expect(await upsertContacts(h.db, ring1, LENDER, [changed, contact(4)], 2_000)).to.deep.equal({ inserted: 1, updated: 1 });
    expect(await getContact(h.db, ring1, LENDER, ref(1))).to.deep.equal({ ...changed, lender: LENDER, keyId: "k1", updatedAt: 2_000 });
    expect(await getContact(h.db, ring1, OTHER, ref(1))).to.equal(undefined);
  });

  it("is all or nothing: a row failing in the second statement (rows 501+) leaves none of the first 500", async function () {
    await upsertContacts(h.db, ring1, LENDER, [contact(1)], 1_000);
    // A NOT NULL violation on the 501st row: the statement for rows 1-500 has already run in the transaction.
    const broken = { ...contact(1_000), language: null as unknown as string };
    const many = Array.from({ length: 500 }, (_, k) => contact(k + 2));
    let failed = false;
    try {
      await upsertContacts(h.db, ring1, LENDER, [...many, broken], 2_000);
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
    expect(await listContactRefs(h.db, LENDER, { limit: 1_000 })).to.deep.equal([ref(1)]);
  });

  it("lists a lender's refs in keyset pages, and erases one row (and only it)", async function () {
    await upsertContacts(h.db, ring1, LENDER, [3, 1, 2, 5, 4].map(contact), 1_000);
    await upsertContacts(h.db, ring1, OTHER, [contact(1)], 1_000);
    expect(await listContactRefs(h.db, LENDER, { limit: 2 })).to.deep.equal([ref(1), ref(2)]);
    expect(await listContactRefs(h.db, LENDER, { after: ref(2), limit: 10 })).to.deep.equal([ref(3), ref(4), ref(5)]);
    expect(await eraseContact(h.db, LENDER, ref(1))).to.equal(true);
    expect(await eraseContact(h.db, LENDER, ref(1))).to.equal(false);
    expect(await getContact(h.db, ring1, LENDER, ref(1))).to.equal(undefined);
    expect(await listContactRefs(h.db, LENDER, { limit: 10 })).to.deep.equal([ref(2), ref(3), ref(4), ref(5)]);
    expect(await listContactRefs(h.db, OTHER, { limit: 10 })).to.deep.equal([ref(1)]);
  });

  it("a payload moved onto another row, or altered, does not open; the error names the row", async function () {
    await upsertContacts(h.db, ring1, LENDER, [contact(1), contact(2)], 1_000);
    const one = await h.db.selectFrom("borrower_contacts").select("payload").where("borrower_ref", "=", ref(1)).executeTakeFirstOrThrow();
    await h.db.updateTable("borrower_contacts").set({ payload: one.payload }).where("borrower_ref", "=", ref(2)).execute();
    let err: unknown;
    try {
      await getContact(h.db, ring1, LENDER, ref(2));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(PiiDecryptError);
    expect((err as Error).message).to.include(ref(2)).and.not.include("example.cn");
  });

  it("rekeys every row under the previous key in batches, one transaction each; then all open under the new key alone", async function () {
    await upsertContacts(h.db, ring1, LENDER, [1, 2, 3, 4, 5].map(contact), 1_000);
    await upsertContacts(h.db, ring1, OTHER, [6, 7].map(contact), 1_000);
    const ring2: PiiKeyring = { current: k2, previous: k1 };
    // One row already under k2 (written after the rotation): left alone.
    await upsertContacts(h.db, ring2, OTHER, [contact(8)], 1_500);
    const before = await h.db.selectFrom("borrower_contacts").select(["borrower_ref", "payload"]).where("borrower_ref", "=", ref(8)).executeTakeFirstOrThrow();
    const progress: RekeyProgress[] = [];
    const result = await rekeyContacts(h.db, ring2, { batchSize: 3, onBatch: (p) => progress.push(p) });
    expect(progress).to.deep.equal([
      { rekeyed: 3, remaining: 4 },
      { rekeyed: 6, remaining: 1 },
      { rekeyed: 7, remaining: 0 },
    ]);
    expect(result).to.deep.equal({ rekeyed: 7, remaining: 0 });
    const ids = await h.db.selectFrom("borrower_contacts").select(sql<string>`distinct key_id`.as("k")).execute();
    expect(ids.map((r) => r.k)).to.deep.equal(["k2"]);
    const after = await h.db.selectFrom("borrower_contacts").select("payload").where("borrower_ref", "=", ref(8)).executeTakeFirstOrThrow();
    expect(after.payload).to.equal(before.payload);
    const only2: PiiKeyring = { current: k2 };
    for (const n of [1, 2, 3, 4, 5]) expect((await getContact(h.db, only2, LENDER, ref(n)))?.email).to.equal(`borrower${n}@example.cn`);
    expect((await getContact(h.db, only2, OTHER, ref(7)))?.phone).to.equal(contact(7).phone);
    expect(await rekeyContacts(h.db, ring2, { batchSize: 3 })).to.deep.equal({ rekeyed: 0, remaining: 0 });
  });

  it("rekey stops at a row under a key it lacks, naming the row; the batches before it stay committed", async function () {
    await upsertContacts(h.db, ring1, LENDER, [1, 2].map(contact), 1_000);
    await upsertContacts(h.db, { current: new PiiKey("k0", crypto.randomBytes(32)) }, LENDER, [contact(3)], 1_000);
    let err: unknown;
    try {
      await rekeyContacts(h.db, { current: k2, previous: k1 }, { batchSize: 2 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(PiiKeyUnknownError);
    expect((err as Error).message).to.include(ref(3)).and.include('"k0"');
    const rows = await h.db.selectFrom("borrower_contacts").select(["borrower_ref", "key_id"]).orderBy("borrower_ref").execute();
    expect(rows.map((r) => r.key_id)).to.deep.equal(["k2", "k2", "k0"]);
  });
});
