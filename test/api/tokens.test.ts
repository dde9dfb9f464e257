/**
 * Bearer tokens carry an id and a bounded lifetime, and can be revoked (`token revoke`): the API
 * checks revocations on every request, so a leaked service token stops working at once.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { getAddress } from "viem";
import { newTokenId, revocationAndCursor, revokeSubject, revokeToken, serviceToken, signToken, verifyToken, type TokenClaims } from "../../src/api/auth/tokens";
import type { DatabaseHandle } from "../../src/db/connect";
import { createTestDatabase, type TestDatabase } from "../indexer/helpers/harness";
import { apiFixture, describeEachDialect, TOKEN_SECRET, type ApiFixture } from "./fixture";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");

describeEachDialect("bearer tokens: ids, lifetimes, revocation", (dialect) => {
  let f: ApiFixture;
  const get = (token: string) => fetch(`${f.url}/v1/loans?limit=1`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
  const now = () => Math.floor(Date.now() / 1000);

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    await run(process.execPath, [path.join(ROOT, "scripts", "build-js.js"), "--quiet"], { cwd: ROOT });
  });
  after(() => f?.close());

  it("a token revoked by id is refused from the next request; others of the same account still work", async () => {
    const a = serviceToken(f.addresses.auditor, TOKEN_SECRET, 3_600);
    const b = serviceToken(f.addresses.auditor, TOKEN_SECRET, 3_600);
    expect([await get(a.token), await get(b.token)]).to.deep.equal([200, 200]);
    await revokeToken(f.db, { jti: a.id, subject: f.addresses.auditor, expiresAt: a.expiresAt }, now());
    expect([await get(a.token), await get(b.token)]).to.deep.equal([401, 200]);
  });

  it("revoking an account revokes every token it was issued up to then, sessions included", async () => {
    const t = now();
    const service = serviceToken(f.addresses.otherLender, TOKEN_SECRET, 3_600, t - 10);
    const session = signToken({ sub: f.addresses.otherLender, kind: "session", iat: t - 5, exp: t + 600, jti: newTokenId() }, TOKEN_SECRET);
    expect([await get(service.token), await get(session)]).to.deep.equal([200, 200]);
    await revokeSubject(f.db, f.addresses.otherLender, t - 1);
    expect([await get(service.token), await get(session)]).to.deep.equal([401, 401]);
    const later = serviceToken(f.addresses.otherLender, TOKEN_SECRET, 3_600, t);
    expect(await get(later.token)).to.equal(200);
  });

  it("`token revoke --token` writes the revocation the API reads", async function () {
    this.timeout(60_000);
    const victim = serviceToken(f.addresses.otherCollector, TOKEN_SECRET, 3_600);
    expect(await get(victim.token)).to.equal(200);
    const { stdout } = await run(process.execPath, [path.join(ROOT, "dist", "cli", "index.js"), "token", "revoke", "--token", victim.token, "--db", f.dbUrl], {
      cwd: ROOT,
      env: { ...process.env, API_TOKEN_SECRET: TOKEN_SECRET },
    });
    expect(JSON.parse(stdout)).to.include({ revoked: "token", id: victim.id });
    expect(await get(victim.token)).to.equal(401);
  });

  it("a token without an id, or a service token living longer than allowed, is refused", async () => {
    const t = now();
    const noId = signToken({ sub: f.addresses.auditor, kind: "service", iat: t, exp: t + 600 } as never, TOKEN_SECRET);
    expect(await get(noId)).to.equal(401);
    const tenYears = serviceToken(f.addresses.auditor, TOKEN_SECRET, 3_650 * 86_400);
    expect(await get(tenYears.token)).to.equal(401);
    const oneYear = serviceToken(f.addresses.auditor, TOKEN_SECRET, 365 * 86_400);
    expect(await get(oneYear.token)).to.equal(200);
  });
});

describeEachDialect("revocationAndCursor", (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  const claims = (jti: string, iat: number): TokenClaims => ({ sub: getAddress("0x00000000000000000000000000000000000000aa"), kind: "service", iat, exp: iat + 3_600, jti });

  before(async function () {
    database = createTestDatabase(dialect, "revocation-cursor");
    handle = await database.open();
  });
  after(async () => {
    await handle?.close();
    await database?.drop();
  });

  it("reads revocations by id and by subject with the cursor, which is undefined before the first block", async function () {
    const a = claims(newTokenId(), 1_000);
    expect(await revocationAndCursor(handle.db, a)).to.deep.equal({ revoked: false, cursor: undefined });
    await handle.db.insertInto("cursor").values({ id: 1, chain_id: 31337, block_number: 7, block_hash: "0xab", block_timestamp: 1_700 }).execute();
    expect(await revocationAndCursor(handle.db, a)).to.deep.equal({ revoked: false, cursor: { block_number: 7, block_hash: "0xab", block_timestamp: 1_700, scopes: 0, history: 0 } });
    await revokeToken(handle.db, { jti: a.jti, subject: a.sub, expiresAt: a.exp }, 1_100);
    expect((await revocationAndCursor(handle.db, a)).revoked).to.equal(true);
    const b = claims(newTokenId(), 1_000);
    expect((await revocationAndCursor(handle.db, b)).revoked).to.equal(false);
    await revokeSubject(handle.db, b.sub, 1_000);
    expect((await revocationAndCursor(handle.db, b)).revoked).to.equal(true);
    // Issued after the subject's revocation: not revoked.
    expect((await revocationAndCursor(handle.db, claims(newTokenId(), 1_001))).revoked).to.equal(false);
  });

  it("answers checks made together each for its own token (read together in one statement on PostgreSQL)", async function () {
    const other = getAddress("0x00000000000000000000000000000000000000bb");
    const fine = claims(newTokenId(), 3_000);
    const byId = claims(newTokenId(), 3_000);
    const before = { ...claims(newTokenId(), 3_000), sub: other };
    const after = { ...claims(newTokenId(), 3_002), sub: other };
    await revokeToken(handle.db, { jti: byId.jti, subject: byId.sub, expiresAt: byId.exp }, 3_100);
    await revokeSubject(handle.db, other, 3_001);
    const all = [fine, byId, before, after, fine, byId, after, before];
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(all.map((c) => revocationAndCursor(handle.db, c)));
      expect(answers.map((a) => a.revoked)).to.deep.equal([false, true, true, false, false, true, false, true]);
      expect(new Set(answers.map((a) => a.cursor?.block_number))).to.deep.equal(new Set([7]));
    }
    // A revocation made after a check was answered counts from the next check.
    await revokeToken(handle.db, { jti: fine.jti, subject: fine.sub, expiresAt: fine.exp }, 3_200);
    expect((await Promise.all([fine, after].map((c) => revocationAndCursor(handle.db, c)))).map((a) => a.revoked)).to.deep.equal([true, false]);
  });

  it("counts every token as revoked if cache_epochs has lost its row (closed)", async function () {
    await handle.db.deleteFrom("cache_epochs").execute();
    expect(await revocationAndCursor(handle.db, claims(newTokenId(), 2_000))).to.deep.equal({ revoked: true, cursor: undefined });
  });
});

/** verifyToken keeps tokens whose signature checked out (an HMAC a request saved); what it answers must not change. */
describe("bearer tokens: the verified-token memory", () => {
  const SECRET = "a-test-secret-of-enough-length-0001";
  const sub = "0x1000000000000000000000000000000000000001";
  const claims = (exp: number, kind: "session" | "service" = "session") => ({ sub: getAddress(sub), kind, iat: 1_000, exp, jti: newTokenId() });

  it("a kept token still expires: refused once the clock reaches its expiry", () => {
    const token = signToken(claims(2_000), SECRET);
    expect(verifyToken(token, SECRET, 1_500)?.exp).to.equal(2_000);
    expect(verifyToken(token, SECRET, 1_999)?.exp, "kept, before expiry").to.equal(2_000);
    expect(verifyToken(token, SECRET, 2_000), "kept, at expiry").to.equal(undefined);
  });

  it("a kept token is checked again under another secret, and refused there", () => {
    const token = signToken(claims(2_000), SECRET);
    expect(verifyToken(token, SECRET, 1_500)).to.not.equal(undefined);
    expect(verifyToken(token, `${SECRET}-rotated`, 1_500)).to.equal(undefined);
    expect(verifyToken(token, SECRET, 1_500), "the first secret still verifies it").to.not.equal(undefined);
  });

  it("a token altered after a verified one was kept is refused (its text differs)", () => {
    const token = signToken(claims(2_000), SECRET);
    expect(verifyToken(token, SECRET, 1_500)).to.not.equal(undefined);
    const [, mac] = token.split(".");
    const forged = `${Buffer.from(JSON.stringify({ ...claims(9_999), sub: getAddress(sub) })).toString("base64url")}.${mac}`;
    expect(verifyToken(forged, SECRET, 1_500)).to.equal(undefined);
  });

  it("the service-lifetime bound applies to a kept token too", () => {
    const token = signToken(claims(1_000 + 400 * 86_400, "service"), SECRET);
    expect(verifyToken(token, SECRET, 1_500)).to.not.equal(undefined);
    expect(verifyToken(token, SECRET, 1_500, { maxServiceTtlSec: 365 * 86_400 })).to.equal(undefined);
  });

  it("callers get claims of their own: changing them does not change the next answer", () => {
    const token = signToken(claims(2_000), SECRET);
    const first = verifyToken(token, SECRET, 1_500)!;
    first.exp = 99_999;
    expect(verifyToken(token, SECRET, 1_500)?.exp).to.equal(2_000);
  });
});
