/**
 * `borrowers import | rekey | erase` end to end: the CLI as a child process against a temporary
 * SQLite file, the table read back raw. A bad file exits 2 with every `line N, field X` problem and
 * writes nothing; an import seals the contact points (the raw table holds none of them); rekey
 * moves every row to the new key in batches; erase deletes one row. No command ever prints a
 * fixture's email, phone or address, on stdout or stderr.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { expect } from "chai";
import type { Address } from "viem";
import { openDatabase } from "../../src/db/connect";
import { getContact } from "../../src/db/contacts";
import { PiiKey } from "../../src/pii/crypto";
import { cli, type CliResult } from "./helpers/operator";

const FIXTURES = path.join(__dirname, "fixtures");
const fixture = (name: string) => path.join(FIXTURES, name);
const LENDER = "0x00000000000000000000000000000000000000A1" as Address;
const ref = (d: string) => `0x${d.repeat(64)}`;

/** Every contact point in the fixtures: none may appear in any output, nor raw in the table. */
const PERSONAL = [
  "wang.fang@example.cn", "+8613800138000", "Renmin", "li.na@example.cn", "+8613900139000", "li.na.example.cn", "13900139000",
  "jane.doe@example.com", "+14155550123", "Market St", "+4915112345678",
];

describe("cli borrowers (contact directory)", function () {
  this.timeout(120_000);

  const k1 = crypto.randomBytes(32);
  const k2 = crypto.randomBytes(32);
  const withK1 = { PII_KEY: `k1:${k1.toString("base64")}`, PII_KEY_PREVIOUS: undefined };
  const withK2 = { PII_KEY: `k2:${k2.toString("hex")}`, PII_KEY_PREVIOUS: `k1:${k1.toString("base64")}` };
  let dir = "";
  let db = "";
  const outputs: CliResult[] = [];

  async function run(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
    const r = await cli(["borrowers", ...args, "--db", db], { DATABASE_URL: undefined, ...env });
    outputs.push(r);
    return r;
  }
  const rows = () => {
    const sqlite = new BetterSqlite3(db, { readonly: true });
    try {
      return sqlite.prepare("select * from borrower_contacts order by borrower_ref").all() as Record<string, unknown>[];
    } finally {
      sqlite.close();
    }
  };

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-borrowers-"));
    db = path.join(dir, "contacts.db");
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("is closed by default: without PII_KEY, import exits 2 naming it and writes nothing", async function () {
    const r = await run(["import", "--file", fixture("borrower-contacts.csv"), "--lender", LENDER], { PII_KEY: undefined });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^error: PII_KEY is not set/);
    const bad = await run(["import", "--file", fixture("borrower-contacts.csv"), "--lender", LENDER], { PII_KEY: "k1:tooshort" });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/^error: PII_KEY must carry a 32-byte key/);
    expect(fs.existsSync(db)).to.equal(false);
  });

  it("a bad CSV file: exit 2, every problem as line N, field X, nothing written", async function () {
    const r = await run(["import", "--file", fixture("bad-borrower-contacts.csv"), "--lender", LENDER], withK1);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split("\n")).to.deep.equal([
      "line 2, field consentLetter: is true but postalAddress is missing",
      "line 3, field borrowerRef: must be 0x followed by 64 hex digits (the loan's borrowerRef)",
      "line 3, field email: must be an email address (local@domain.tld)",
      "line 3, field phone: must be a phone number in E.164 (+ country code and number, digits only: +8613912345678)",
      "line 3, field language: must be a language tag such as zh-CN or en (BCP 47)",
      "line 3, field timeZone: must be an IANA time zone such as Asia/Shanghai or Europe/Berlin",
      "line 3, field jurisdiction: must be an ISO 3166 country code, optionally with a subdivision (CN, CN-GD, US-CA)",
      "line 3, field consentSms: must be true or false",
      "line 4, field borrowerRef: repeats the borrowerRef of line 2",
      `error: 9 problems in ${fixture("bad-borrower-contacts.csv")}; nothing was written`,
    ]);
    expect(r.stdout).to.equal("");
    expect(fs.existsSync(db)).to.equal(false);
  });

  it("a bad JSON file: the line of each value, unknown fields named", async function () {
    const r = await run(["import", "--file", fixture("bad-borrower-contacts.json"), "--lender", LENDER], withK1);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split("\n").slice(0, 3)).to.deep.equal([
      "line 7, field timeZone: must be an IANA time zone such as Asia/Shanghai or Europe/Berlin",
      "line 9, field consentEmail: must be true or false",
      "line 10, field nickname: is not a contact field",
    ]);
    expect(fs.existsSync(db)).to.equal(false);
  });

  it("bad flags exit 2 before anything is read", async function () {
    const r = await run(["import", "--file", fixture("borrower-contacts.csv"), "--lender", "0x12"], withK1);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^error: --lender must be a 0x-prefixed 20-byte hex address/);
    const e = await run(["erase", "--ref", "0x1234", "--lender", LENDER], {});
    expect(e.code).to.equal(2);
    expect(e.stderr).to.match(/^error: --ref must be 0x followed by 64 hex digits/);
  });

  it("imports a CSV in one go: a summary without personal data, rows sealed under k1", async function () {
    const r = await run(["import", "--file", fixture("borrower-contacts.csv"), "--lender", LENDER.toLowerCase()], withK1);
    expect(r.stderr).to.equal("");
    expect(r.code).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({ lender: LENDER, file: fixture("borrower-contacts.csv"), contacts: 3, inserted: 3, updated: 0, keyId: "k1" });
    const raw = rows();
    expect(raw.map((x) => [x.borrower_ref, x.key_id, x.language, x.time_zone, x.jurisdiction, x.consent_sms, x.consent_email, x.consent_letter, x.consent_webhook])).to.deep.equal([
      [ref("1"), "k1", "zh-CN", "Asia/Shanghai", "CN-GD", 1, 1, 1, 0],
      [ref("2"), "k1", "zh-CN", "Asia/Shanghai", "CN", 1, 0, 0, 1],
      [ref("3"), "k1", "en", "America/Los_Angeles", "US-CA", 0, 1, 1, 0],
    ]);
    const text = JSON.stringify(raw);
    for (const p of PERSONAL) expect(text, p).not.to.include(p);
    // And they open with the key: the sealed data is the file's.
    const h = await openDatabase(db);
    try {
      const one = await getContact(h.db, { current: new PiiKey("k1", k1) }, LENDER, ref("1"));
      expect(one).to.include({ email: "wang.fang@example.cn", phone: "+8613800138000", postalAddress: "88 Renmin Road, Tianhe\nGuangzhou 510000" });
      const two = await getContact(h.db, { current: new PiiKey("k1", k1) }, LENDER, ref("2"));
      expect(two).not.to.have.property("postalAddress");
    } finally {
      await h.close();
    }
  });

  it("a second import (JSON) replaces and adds rows", async function () {
    const r = await run(["import", "--file", fixture("borrower-contacts.json"), "--lender", LENDER], withK1);
    expect(r.code).to.equal(0);
    expect(JSON.parse(r.stdout)).to.include({ contacts: 2, inserted: 1, updated: 1 });
    expect(rows().map((x) => [x.borrower_ref, x.jurisdiction])).to.deep.equal([
      [ref("1"), "CN-GD"],
      [ref("2"), "HK"],
      [ref("3"), "US-CA"],
      [ref("4"), "DE"],
    ]);
  });

  it("rekey without the previous key stops at the first row it cannot open (exit 1, the row named, no data)", async function () {
    const r = await run(["rekey"], { PII_KEY: withK2.PII_KEY, PII_KEY_PREVIOUS: undefined });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include(`borrowerRef ${ref("1")}`).and.include('sealed under key id "k1"');
    expect(rows().every((x) => x.key_id === "k1")).to.equal(true);
  });

  it("rekey moves every row to PII_KEY in batches, printing progress; a second run has nothing to do", async function () {
    const before = rows();
    const r = await run(["rekey", "--batch-size", "3"], withK2);
    expect(r.code).to.equal(0);
    expect(r.stderr.trim().split("\n")).to.deep.equal(["rekeyed 3, remaining 1", "rekeyed 4, remaining 0"]);
    expect(JSON.parse(r.stdout)).to.deep.equal({ keyId: "k2", rekeyed: 4, remaining: 0 });
    const after = rows();
    expect(after.map((x) => x.key_id)).to.deep.equal(["k2", "k2", "k2", "k2"]);
    after.forEach((x, i) => expect(x.payload).not.to.equal(before[i]!.payload));
    const h = await openDatabase(db);
    try {
      expect((await getContact(h.db, { current: new PiiKey("k2", k2) }, LENDER, ref("4")))?.phone).to.equal("+4915112345678");
    } finally {
      await h.close();
    }
    const again = await run(["rekey"], withK2);
    expect(JSON.parse(again.stdout)).to.deep.equal({ keyId: "k2", rekeyed: 0, remaining: 0 });
  });

  it("erase deletes one borrower's row (no key needed) and says so by ref only; again: nothing to erase", async function () {
    const r = await run(["erase", "--ref", ref("2"), "--lender", LENDER], { PII_KEY: undefined, PII_KEY_PREVIOUS: undefined });
    expect(r.code).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({ lender: LENDER, borrowerRef: ref("2"), erased: true });
    expect(rows().map((x) => x.borrower_ref)).to.deep.equal([ref("1"), ref("3"), ref("4")]);
    const again = await run(["erase", "--ref", ref("2"), "--lender", LENDER], {});
    expect(JSON.parse(again.stdout)).to.include({ erased: false });
  });

  it("no command printed any contact point of the fixtures, on stdout or stderr", function () {
    expect(outputs.length).to.be.greaterThan(8);
    for (const o of outputs) {
      for (const p of PERSONAL) {
        expect(o.stdout, p).not.to.include(p);
        expect(o.stderr, p).not.to.include(p);
      }
    }
  });
});
