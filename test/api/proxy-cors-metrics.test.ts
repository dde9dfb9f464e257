/**
 * Closed defaults at the edge: client addresses from X-Forwarded-For only behind a configured
 * proxy (TRUST_PROXY), rate limits keyed by client address when signed out and by caller when
 * signed in, no cross-origin access unless CORS_ORIGINS names the origin, and /metrics behind a
 * bearer token (METRICS_TOKEN) or on its own port.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import pino from "pino";
import { serviceToken } from "../../src/api/auth/tokens";
import { startServer } from "../../src/api/server";
import { loadConfig } from "../../src/config";
import { apiFixture, describeEachDialect, TOKEN_SECRET, type ApiFixture } from "./fixture";
import { tempDir } from "../indexer/helpers/harness";

const LIMIT = 3;

describeEachDialect("edge: proxies, rate-limit keys, CORS, metrics", (dialect) => {
  describe("TRUST_PROXY unset (the default)", () => {
    let f: ApiFixture;
    before(async function () {
      this.timeout(300_000);
      f = await apiFixture(dialect, { options: { rateLimitPerMinute: LIMIT } });
    });
    after(() => f?.close());

    it("ignores X-Forwarded-For: a signed-out client cannot get a fresh rate-limit bucket by forging it", async () => {
      const statuses: number[] = [];
      for (let i = 0; i <= LIMIT; i++) statuses.push((await fetch(`${f.url}/v1/loans`, { headers: { "x-forwarded-for": `203.0.113.${i}` } })).status);
      expect(statuses).to.deep.equal([401, 401, 401, 429]);
    });

    it("answers no cross-origin request: no Access-Control-Allow-Origin for any origin", async () => {
      const res = await fetch(`${f.url}/healthz`, { headers: { origin: "https://evil.example" } });
      expect(res.headers.get("access-control-allow-origin")).to.equal(null);
      const preflight = await fetch(`${f.url}/v1/loans`, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "GET" } });
      expect(preflight.headers.get("access-control-allow-origin")).to.equal(null);
    });

    it("serves /metrics without a token when METRICS_TOKEN is unset", async () => {
      expect((await fetch(`${f.url}/metrics`)).status).to.equal(200);
    });
  });

  describe("behind one proxy (TRUST_PROXY=1), with CORS_ORIGINS and METRICS_TOKEN", () => {
    let f: ApiFixture;
    before(async function () {
      this.timeout(300_000);
      f = await apiFixture(dialect, {
        options: { rateLimitPerMinute: LIMIT, trustProxy: 1, corsOrigins: ["https://console.example"], metricsToken: "metrics-token-0123456789", siweNoncesPerClient: 2 },
      });
    });
    after(() => f?.close());

    const from = (client: string, init: RequestInit = {}) => ({ ...init, headers: { ...(init.headers as Record<string, string>), "x-forwarded-for": client } });

    it("keys signed-out limits by the forwarded client address: one client's exhaustion does not block another", async () => {
      const a: number[] = [];
      for (let i = 0; i <= LIMIT; i++) a.push((await fetch(`${f.url}/v1/loans`, from("198.51.100.7"))).status);
      expect(a).to.deep.equal([401, 401, 401, 429]);
      expect((await fetch(`${f.url}/v1/loans`, from("198.51.100.8"))).status).to.equal(401);
    });

    it("keys signed-in limits by caller, not by address: two callers behind one address, one caller behind many", async () => {
      const now = Math.floor(Date.now() / 1000);
      const [t1, t2] = [serviceToken(f.addresses.auditor, TOKEN_SECRET, 3_600, now).token, serviceToken(f.addresses.auditor, TOKEN_SECRET, 3_600, now).token];
      const got: number[] = [];
      // The same caller with two tokens from two addresses shares one bucket.
      for (let i = 0; i <= LIMIT; i++) got.push((await fetch(`${f.url}/v1/loans?limit=1`, from(`192.0.2.${i}`, { headers: { authorization: `Bearer ${i % 2 ? t1 : t2}` } }))).status);
      expect(got).to.deep.equal([200, 200, 200, 429]);
      // Another caller from the same address has its own.
      const other = await fetch(`${f.url}/v1/loans?limit=1`, from("192.0.2.0", { headers: { authorization: `Bearer ${f.tokens.lender}` } }));
      expect(other.status).to.equal(200);
    });

    it("limits and guards /v1 and everything below it, in any case, and no other path", async () => {
      const statuses = async (client: string, p: string, n: number) => {
        const got: number[] = [];
        for (let i = 0; i < n; i++) got.push((await fetch(`${f.url}${p}`, from(client))).status);
        return got;
      };
      // Routes match in any case (Express's default): the bearer check and the limit cover them too.
      expect(await statuses("198.51.100.20", "/V1/LOANS", LIMIT + 1)).to.deep.equal([401, 401, 401, 429]);
      expect(await statuses("198.51.100.21", "/v1", 1)).to.deep.equal([401]);
      expect(await statuses("198.51.100.22", "/v1/", 1)).to.deep.equal([401]);
      // A path that only starts with the same letters is outside /v1: not found, never limited.
      expect(await statuses("198.51.100.23", "/v1x/loans", LIMIT + 1)).to.deep.equal([404, 404, 404, 404]);
      expect(await statuses("198.51.100.24", "/healthz", LIMIT + 1)).to.deep.equal([200, 200, 200, 200]);
      // A signed-in caller's request to an unknown path under /v1 is counted, then not found.
      const token = serviceToken(f.addresses.collector, TOKEN_SECRET, 3_600, Math.floor(Date.now() / 1000)).token;
      const unknown = await fetch(`${f.url}/v1/no-such-thing`, from("198.51.100.25", { headers: { authorization: `Bearer ${token}` } }));
      expect(unknown.status).to.equal(404);
      expect(unknown.headers.get("ratelimit")).to.match(/remaining=2/);
    });

    it("caps unused sign-in nonces per client address", async () => {
      const nonce = (client: string) => fetch(`${f.url}/v1/auth/nonce`, from(client, { method: "POST" })).then((r) => r.status);
      expect([await nonce("203.0.113.50"), await nonce("203.0.113.50"), await nonce("203.0.113.50")]).to.deep.equal([200, 200, 429]);
      expect(await nonce("203.0.113.51")).to.equal(200);
    });

    it("allows cross-origin access for the configured origin only", async () => {
      const ok = await fetch(`${f.url}/healthz`, from("203.0.113.60", { headers: { origin: "https://console.example" } }));
      expect(ok.headers.get("access-control-allow-origin")).to.equal("https://console.example");
      const evil = await fetch(`${f.url}/healthz`, from("203.0.113.61", { headers: { origin: "https://evil.example" } }));
      expect(evil.headers.get("access-control-allow-origin")).to.equal(null);
    });

    it("answers /metrics only with the metrics bearer token", async () => {
      const none = await fetch(`${f.url}/metrics`);
      expect(none.status).to.equal(401);
      expect(none.headers.get("content-type")).to.match(/problem\+json/);
      expect((await fetch(`${f.url}/metrics`, { headers: { authorization: `Bearer ${f.tokens.auditor}` } })).status).to.equal(401);
      const ok = await fetch(`${f.url}/metrics`, { headers: { authorization: "Bearer metrics-token-0123456789" } });
      expect(ok.status).to.equal(200);
      expect(await ok.text()).to.match(/duetrail_api_request_duration_seconds/);
    });
  });
});

describe("serve: /metrics on its own port (API_METRICS_PORT)", () => {
  it("serves /metrics on the metrics port and not on the API's", async function () {
    this.timeout(60_000);
    const dir = tempDir("metrics-port");
    const config = loadConfig({ databaseUrl: path.join(dir, "api.db"), port: 0, apiMetricsPort: 0, deploymentsDir: path.join(dir, "none"), logLevel: "silent" }, {});
    const running = await startServer(config, pino({ level: "silent" }));
    try {
      expect((await fetch(`${running.url}/metrics`)).status).to.equal(404);
      expect((await fetch(`${running.url}/healthz`)).status).to.equal(200);
      const m = await fetch(running.metricsUrl!);
      expect(m.status).to.equal(200);
      expect(await m.text()).to.match(/duetrail_api_/);
    } finally {
      await running.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
