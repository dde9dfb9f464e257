/**
 * Bearer tokens carry an id and a bounded lifetime, and can be revoked (`token revoke`): the API
 * checks revocations on every request, so a leaked service token stops working at once.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { getAddress } from "viem";
import { newTokenId, revokeSubject, revokeToken, serviceToken, signToken, verifyToken } from "../../src/api/auth/tokens";
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
