/**
 * Sign-In with Ethereum is bound to the configured domain, URI origin and the deployment's chain,
 * never to the request: a phishing site that gets a lender to sign "evil.example wants you to sign
 * in" cannot exchange that message for the lender's token, whatever Host header it sends.
 */
import { expect } from "chai";
import { createSiweMessage, type SiweMessage } from "viem/siwe";
import type { HDAccount } from "viem/accounts";
import { apiFixture, accountOf, describeEachDialect, type ApiFixture } from "./fixture";

describeEachDialect("Sign-In with Ethereum", (dialect) => {
  let f: ApiFixture;
  let lender: HDAccount;
  let domain: string;

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${f.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const nonce = async (headers: Record<string, string> = {}) => {
    const res = await post("/v1/auth/nonce", {}, headers);
    expect(res.status).to.equal(200);
    return ((await res.json()) as { nonce: string }).nonce;
  };
  /** A message the lender signs: the server's binding, overridden by `over`. */
  const message = async (over: Partial<SiweMessage> = {}) =>
    createSiweMessage({
      address: lender.address,
      chainId: f.deployment.chainId,
      domain,
      nonce: await nonce(),
      uri: `${f.url}/login`,
      version: "1",
      issuedAt: new Date(),
      ...over,
    });
  const verify = async (text: string, headers: Record<string, string> = {}) => {
    const res = await post("/v1/auth/verify", { message: text, signature: await lender.signMessage({ message: text }) }, headers);
    return { status: res.status, body: (await res.json()) as { token?: string; detail?: string; address?: string; roles?: { lender: boolean } } };
  };

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect, { options: { siweNoncesPerClient: 5 } });
    lender = accountOf("lender");
    domain = new URL(f.url).host;
  });
  after(() => f?.close());

  it("a message for this server's domain, origin and chain gives a session that works", async () => {
    const out = await verify(await message());
    expect(out.status, JSON.stringify(out.body)).to.equal(200);
    expect(out.body.address).to.equal(lender.address);
    expect(out.body.roles?.lender).to.equal(true);
    const me = await fetch(`${f.url}/v1/portfolio`, { headers: { authorization: `Bearer ${out.body.token}` } });
    expect(me.status).to.equal(200);
  });

  it("a phishing site's message (its own domain, sent with its own Host header) is refused", async () => {
    const phished = await message({ domain: "evil.example", uri: "https://evil.example/login" });
    const out = await verify(phished, { host: "evil.example" });
    expect(out.status).to.equal(401);
    expect(out.body.detail).to.match(/domain evil\.example is not/);
    expect(out.body.token).to.equal(undefined);
  });

  it("the right domain with a URI on another origin, or another chain, is refused", async () => {
    const otherOrigin = await verify(await message({ uri: "https://evil.example/login" }));
    expect(otherOrigin.status).to.equal(401);
    expect(otherOrigin.body.detail).to.match(/uri/);
    const otherChain = await verify(await message({ chainId: 1 }));
    expect(otherChain.status).to.equal(401);
    expect(otherChain.body.detail).to.match(/chain id 1 is not/);
  });

  it("a message without a chain id or URI line is refused", async () => {
    const full = await message();
    for (const field of ["Chain ID: ", "URI: "]) {
      const stripped = full
        .split("\n")
        .filter((l) => !l.startsWith(field))
        .join("\n");
      const out = await verify(stripped);
      expect(out.status, stripped).to.equal(401);
    }
  });

  it("a nonce is single use, and an expired or future-dated message is refused", async () => {
    const text = await message();
    expect((await verify(text)).status).to.equal(200);
    const again = await verify(text);
    expect(again.status).to.equal(401);
    expect(again.body.detail).to.match(/nonce/);
    const expired = await verify(await message({ expirationTime: new Date(Date.now() - 60_000) }));
    expect(expired.status).to.equal(401);
    const stale = await verify(await message({ issuedAt: new Date(Date.now() - 3_600_000) }));
    expect(stale.status).to.equal(401);
    const future = await verify(await message({ issuedAt: new Date(Date.now() + 3_600_000) }));
    expect(future.status).to.equal(401);
  });

  it("a signature by another account is refused", async () => {
    const text = await message();
    const res = await post("/v1/auth/verify", { message: text, signature: await accountOf("stranger").signMessage({ message: text }) });
    expect(res.status).to.equal(401);
  });

  it("without SIWE_DOMAIN and SIWE_URI sign-in is refused (503), even with a Host header", async () => {
    const saved = { d: f.services.options.siweDomain, u: f.services.options.siweUri };
    try {
      f.services.options.siweDomain = undefined;
      f.services.options.siweUri = undefined;
      const out = await verify(await message(), { host: domain });
      expect(out.status).to.equal(503);
    } finally {
      f.services.options.siweDomain = saved.d;
      f.services.options.siweUri = saved.u;
    }
  });

  it("a client address holds a bounded number of unused nonces (429 beyond)", async () => {
    await f.db.deleteFrom("auth_nonces").execute();
    for (let i = 0; i < 5; i++) await nonce();
    const res = await post("/v1/auth/nonce", {});
    expect(res.status).to.equal(429);
    expect(res.headers.get("content-type")).to.match(/problem\+json/);
    expect(Number(res.headers.get("retry-after"))).to.be.greaterThan(0);
    await f.db.deleteFrom("auth_nonces").execute();
  });
});
