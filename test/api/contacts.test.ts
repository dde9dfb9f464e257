/**
 * The borrower contact routes (GET/PUT/DELETE /v1/borrowers/{borrowerRef}/contact) on SQLite and
 * PostgreSQL: the lender and its servicers read the record in full and write and erase it; a
 * collector assigned to the borrower's loan gets a masked form with no contact point in it;
 * auditors and everyone else 403 whether or not a record exists; bad input is a 400 naming the
 * field without quoting it; no PII_KEY is a 503 naming it. Contact data never reaches a log line
 * (the app's pino output is captured) nor an answer other than the lender's and servicers'.
 */
import { Writable } from "node:stream";
import { expect } from "chai";
import pino from "pino";
import { Registry } from "prom-client";
import type http from "node:http";
import type { Hex } from "viem";
import { createApp } from "../../src/api/app";
import type { BorrowerContact } from "../../src/pii/contact";
import { apiFixture, describeEachDialect, type ApiFixture, type Role } from "./fixture";
import { borrowerRefOf, contactOf, storeContact } from "./helpers/notices";
import { sendTx } from "./helpers/tx";

/** The plain strings of a contact that must not appear where it may not be shown: whole points, parts and address lines. */
function plainStrings(c: BorrowerContact): string[] {
  const [local, domain] = c.email!.split("@");
  return [c.email!, local!, domain!, c.phone!, c.phone!.slice(1), c.phone!.slice(0, -4), c.postalAddress!, ...c.postalAddress!.split("\n")];
}

describeEachDialect("api/contacts: the borrower contact directory over HTTP", (dialect) => {
  let f: ApiFixture;
  const lines: string[] = [];
  let ref1: Hex;
  let contact1: BorrowerContact;

  before(async function () {
    this.timeout(300_000);
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    f = await apiFixture(dialect, { logger: pino({ level: "trace" }, sink) });
    ref1 = await borrowerRefOf(f, 1);
    contact1 = contactOf(ref1);
  });
  after(() => f?.close());

  const path = (ref: string, lender: string = f.addresses.lender) => `/v1/borrowers/${ref}/contact?lender=${lender}`;
  const call = async (role: Role | undefined, method: string, p: string, body?: unknown) => {
    const res = await f.call(role, p, { method, ...(body !== undefined ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, cacheControl: res.headers.get("cache-control"), text, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
  const input = (c: BorrowerContact) => ({
    email: c.email,
    phone: c.phone,
    postalAddress: c.postalAddress,
    language: c.language,
    timeZone: c.timeZone,
    jurisdiction: c.jurisdiction,
    consentSms: c.consent.sms,
    consentEmail: c.consent.email,
    consentLetter: c.consent.letter,
    consentWebhook: c.consent.webhook,
  });

  it("the lender creates a record (201), replaces it (200) and reads it in full; the answers to writes do not echo it; no-store everywhere", async function () {
    const created = await call("lender", "PUT", path(ref1), input({ ...contact1, phone: "+8613800000000" }));
    expect(created.status, created.text).to.equal(201);
    expect(created.json).to.deep.include({ lender: f.addresses.lender, borrowerRef: ref1, created: true, keyId: "api-test" });
    expect(created.text).not.to.include(contact1.email!);
    const replaced = await call("lender", "PUT", path(ref1.toUpperCase().replace("0X", "0x")), input(contact1));
    expect(replaced.status, replaced.text).to.equal(200);
    expect(replaced.json).to.include({ created: false });
    const got = await call("lender", "GET", path(ref1));
    expect(got.status, got.text).to.equal(200);
    expect(got.json).to.deep.equal({
      view: "full",
      lender: f.addresses.lender,
      borrowerRef: ref1,
      email: contact1.email,
      phone: contact1.phone,
      postalAddress: contact1.postalAddress,
      language: "zh-CN",
      timeZone: "Asia/Shanghai",
      jurisdiction: "CN-GD",
      consent: contact1.consent,
      keyId: "api-test",
      updatedAt: (got.json as { updatedAt: number }).updatedAt,
    });
    for (const r of [created, replaced, got]) expect(r.cacheControl).to.equal("no-store");
    // The table holds it sealed.
    const raw = JSON.stringify(await f.db.selectFrom("borrower_contacts").selectAll().execute());
    for (const s of [contact1.email!, contact1.phone!, "Renmin Road"]) expect(raw).not.to.include(s);
  });

  it("a collector assigned to the borrower's loan sees a masked form: none of the plain email, phone or address strings", async function () {
    const got = await call("collector", "GET", path(ref1));
    expect(got.status, got.text).to.equal(200);
    expect(got.json).to.deep.equal({
      view: "masked",
      lender: f.addresses.lender,
      borrowerRef: ref1,
      email: "w***@e***.cn",
      phone: "***5678",
      hasPostalAddress: true,
      language: "zh-CN",
      timeZone: "Asia/Shanghai",
      jurisdiction: "CN-GD",
      consent: contact1.consent,
      updatedAt: (got.json as { updatedAt: number }).updatedAt,
    });
    for (const s of plainStrings(contact1)) expect(got.text, s).not.to.include(s);
    expect(got.cacheControl).to.equal("no-store");
  });

  it("a servicer of the lender reads in full and may write; once revoked, 403", async function () {
    await sendTx(f, "lender", "ledger", "setServicer", [f.addresses.stranger, true]);
    await f.reindex();
    const got = await call("stranger", "GET", path(ref1));
    expect(got.status, got.text).to.equal(200);
    expect(got.json).to.include({ view: "full", email: contact1.email });
    expect((await call("stranger", "PUT", path(ref1), input(contact1))).status).to.equal(200);
    await sendTx(f, "lender", "ledger", "setServicer", [f.addresses.stranger, false]);
    await f.reindex();
    expect((await call("stranger", "GET", path(ref1))).status).to.equal(403);
  });

  it("auditors, the other lender and the other collector: 403, the same with and without a record; nobody may read under another lender", async function () {
    const none = `0x${"77".repeat(32)}`;
    for (const role of ["auditor", "otherLender", "otherCollector"] as const) {
      for (const ref of [ref1, none]) {
        const r = await call(role, "GET", path(ref));
        expect(r.status, `${role} ${ref}: ${r.text}`).to.equal(403);
        expect(r.cacheControl).to.equal("no-store");
        for (const s of plainStrings(contact1)) expect(r.text).not.to.include(s);
      }
    }
    const auditor = await call("auditor", "GET", path(ref1));
    expect(auditor.json!.detail).to.match(/^auditors verify evidence/);
    // The collector is assigned to the lender's loans: under the other lender the borrower is not theirs.
    expect((await call("collector", "GET", path(ref1, f.addresses.otherLender))).status).to.equal(403);
    expect((await call("collector", "GET", path(none))).status).to.equal(403);
    // The lender asking for a borrower without a record: 404.
    expect((await call("lender", "GET", path(none))).status).to.equal(404);
    expect((await call(undefined, "GET", path(ref1))).status).to.equal(401);
  });

  it("writes and erasure: only the lender and its servicers", async function () {
    for (const role of ["collector", "auditor", "otherLender", "otherCollector"] as const) {
      expect((await call(role, "PUT", path(ref1), input(contact1))).status, `${role} PUT`).to.equal(403);
      expect((await call(role, "DELETE", path(ref1))).status, `${role} DELETE`).to.equal(403);
    }
    expect((await call("lender", "GET", path(ref1))).json).to.include({ email: contact1.email });
  });

  it("bad input: 400 with the field paths, never quoting the values; nothing written", async function () {
    const ref = await borrowerRefOf(f, 2);
    const bad = await call("lender", "PUT", path(ref), { ...input(contact1), email: "wang.fang.private-at-example", phone: "+86 139 1234 5678", timeZone: "+08:00" });
    expect(bad.status).to.equal(400);
    const paths = (bad.json!.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).to.deep.equal(["body.email", "body.phone", "body.timeZone"]);
    expect(bad.text).not.to.include("wang.fang.private");
    expect(bad.text).not.to.include("1234 5678");
    const consent = await call("lender", "PUT", path(ref), { language: "en", timeZone: "UTC", jurisdiction: "CN", consentSms: true });
    expect(consent.status).to.equal(400);
    expect(consent.json!.errors).to.deep.equal([{ path: "body.consentSms", message: "is true but phone is missing" }]);
    const extra = await call("lender", "PUT", path(ref), { ...input(contact1), borrowerRef: ref });
    expect(extra.status).to.equal(400);
    expect((extra.json!.errors as { path: string }[])[0]!.path).to.equal("body");
    expect((await call("lender", "PUT", `/v1/borrowers/0x1234/contact?lender=${f.addresses.lender}`, input(contact1))).status).to.equal(400);
    expect((await call("lender", "GET", `/v1/borrowers/${ref}/contact`)).json!.errors).to.deep.equal([{ path: "query.lender", message: "Invalid input: expected string, received undefined" }]);
    expect((await call("lender", "GET", path(ref))).status).to.equal(404);
  });

  it("erasure: the row is gone (404 after), erasing again says erased: false", async function () {
    const ref = await borrowerRefOf(f, 6);
    await storeContact(f, 6, contactOf(ref, "zhao"));
    expect((await call("lender", "GET", path(ref))).status).to.equal(200);
    const erased = await call("lender", "DELETE", path(ref));
    expect(erased.status, erased.text).to.equal(200);
    expect(erased.json).to.deep.equal({ lender: f.addresses.lender, borrowerRef: ref, erased: true });
    expect(erased.cacheControl).to.equal("no-store");
    expect(await f.db.selectFrom("borrower_contacts").select("borrower_ref").where("borrower_ref", "=", ref).execute()).to.deep.equal([]);
    expect((await call("lender", "GET", path(ref))).status).to.equal(404);
    expect((await call("collector", "GET", path(ref))).status).to.equal(404);
    expect((await call("lender", "DELETE", path(ref))).json).to.include({ erased: false });
  });

  it("a record sealed under a key the server lacks: 503 naming the key id and PII_KEY; one that does not open: 500, logged without contact data", async function () {
    const ref3 = await borrowerRefOf(f, 3);
    const ref5 = await borrowerRefOf(f, 5);
    const c3 = contactOf(ref3, "li");
    const c5 = contactOf(ref5, "chen");
    await storeContact(f, 3, c3);
    await storeContact(f, 5, c5);
    await f.db.updateTable("borrower_contacts").set({ key_id: "retired-key" }).where("borrower_ref", "=", ref5).execute();
    const unknown = await call("lender", "GET", path(ref5));
    expect(unknown.status, unknown.text).to.equal(503);
    expect(unknown.json).to.include({ setting: "PII_KEY" });
    expect(unknown.json!.detail).to.include('"retired-key"');
    // A payload moved onto another row does not open there (it is bound to its row).
    const moved = await f.db.selectFrom("borrower_contacts").select("payload").where("borrower_ref", "=", ref1).executeTakeFirstOrThrow();
    await f.db.updateTable("borrower_contacts").set({ payload: moved.payload }).where("borrower_ref", "=", ref3).execute();
    const before = lines.length;
    const broken = await call("lender", "GET", path(ref3));
    expect(broken.status).to.equal(500);
    expect(broken.json!.detail).to.equal("the server failed to handle the request; it has been logged");
    const logged = lines.slice(before).join("");
    expect(logged, "the failure is logged").to.include("request failed");
    expect(logged).to.include(ref3);
    for (const s of [...plainStrings(c3), ...plainStrings(contact1)]) expect(logged).not.to.include(s);
  });

  it("without PII_KEY: reads and writes are 503 naming PII_KEY; erasure still works", async function () {
    const app = createApp({ ...f.services, registry: new Registry(), pii: undefined });
    const server = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const req = (method: string, body?: unknown) =>
        fetch(`${base}${path(ref1)}`, { method, headers: { authorization: `Bearer ${f.tokens.lender}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      for (const r of [await req("GET"), await req("PUT", input(contact1))]) {
        expect(r.status).to.equal(503);
        const p = (await r.json()) as { detail: string; setting: string };
        expect(p.setting).to.equal("PII_KEY");
        expect(p.detail).to.include("PII_KEY");
      }
      const erased = await req("DELETE");
      expect(erased.status).to.equal(200);
      expect(await erased.json()).to.include({ erased: true });
    } finally {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
    }
  });

  it("after the lender's reads, no log line holds a contact point, and no other caller's answer does (loans, timeline, notices)", async function () {
    const ref4 = await borrowerRefOf(f, 4);
    const c4 = contactOf(ref4, "sun");
    await storeContact(f, 4, c4);
    const before = lines.length;
    const full = await call("lender", "GET", path(ref4));
    expect(full.text, "the lender's own answer has it (control)").to.include(c4.email!);
    const others = [
      await call("collector", "GET", path(ref4)),
      await call("lender", "GET", "/v1/loans/4"),
      await call("auditor", "GET", "/v1/loans/4/timeline"),
      await call("lender", "GET", "/v1/notices?loanId=4"),
      await call("collector", "GET", "/v1/loans/4/notices"),
      await call("lender", "GET", "/v1/portfolio/notices"),
    ];
    for (const o of others) {
      expect(o.status, o.text).to.equal(200);
      for (const s of plainStrings(c4)) expect(o.text).not.to.include(s);
    }
    // A request that fails validation and one that is refused are logged (if at all) without it too.
    await call("lender", "PUT", path(ref4), { ...input(c4), timeZone: "nowhere" });
    await call("auditor", "GET", path(ref4));
    const logged = lines.slice(before).join("");
    for (const s of plainStrings(c4)) expect(logged).not.to.include(s);
    expect(lines.join("")).not.to.include(c4.email!);
  });
});
