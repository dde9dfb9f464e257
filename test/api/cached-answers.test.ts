/**
 * The response cache's fast path (src/api/cached-answers.ts): a stored answer is given before
 * Express with the status, headers and bytes Express gives it, and only to a caller whose token
 * is valid, unrevoked and within its rate limit; every request it does not answer reaches Express
 * counted once by the rate limiter, as without it.
 */
import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { expect } from "chai";
import { Registry } from "prom-client";
import { Router } from "express";
import { assembleApi } from "../../src/api/app";
import { withCachedAnswers } from "../../src/api/cached-answers";
import { createRegistry } from "../../src/api/openapi";
import { route, RouteSpecError } from "../../src/api/route";
import { revokeToken, serviceToken } from "../../src/api/auth/tokens";
import type { ApiServices } from "../../src/api/context";
import { z } from "../../src/api/openapi";
import { apiFixture, describeEachDialect, TOKEN_SECRET, type ApiFixture } from "./fixture";

/** A server of `services` whose Express app counts the requests it is handed. */
async function countingServer(services: ApiServices): Promise<{ url: string; viaExpress: () => number; registry: Registry; close(): void }> {
  const registry = new Registry();
  const parts = assembleApi({ ...services, registry, cache: undefined });
  let handed = 0;
  const app = Object.assign((req: IncomingMessage, res: ServerResponse) => {
    handed++;
    parts.app(req, res);
  }, { get: parts.app.get.bind(parts.app) }) as unknown as typeof parts.app;
  const server = http.createServer(withCachedAnswers({ ...parts, app }));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    viaExpress: () => handed,
    registry,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** The headers an answer is compared by (Date and the rate limit's remaining count differ between two answers). */
function comparable(res: Response): Record<string, string | null> {
  const limit = res.headers.get("ratelimit");
  return {
    "content-type": res.headers.get("content-type"),
    "content-length": res.headers.get("content-length"),
    etag: res.headers.get("etag"),
    "ratelimit-policy": res.headers.get("ratelimit-policy"),
    ratelimit: limit && limit.replace(/remaining=\d+/, "remaining=n"),
  };
}

const remaining = (res: Response): number => Number(/remaining=(\d+)/.exec(res.headers.get("ratelimit") ?? "")?.[1]);

async function hits(registry: Registry, route: string): Promise<{ cacheHits: number; timed: number }> {
  const cache = await registry.getSingleMetric("duetrail_api_response_cache_total")!.get();
  const duration = await registry.getSingleMetric("duetrail_api_request_duration_seconds")!.get();
  return {
    cacheHits: cache.values.find((v) => v.labels.outcome === "hit")?.value ?? 0,
    timed: duration.values.find((v) => (v as { metricName?: string }).metricName === "duetrail_api_request_duration_seconds_count" && v.labels.route === route && v.labels.status === "200")?.value ?? 0,
  };
}

describeEachDialect("the response cache's fast path", (dialect) => {
  let f: ApiFixture;
  let s: Awaited<ReturnType<typeof countingServer>>;
  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    s = await countingServer(f.services);
  });
  after(async () => {
    s?.close();
    await f?.close();
  });

  const get = (token: string, path: string, headers: Record<string, string> = {}) => fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

  it("answers a caller's repeated GET without Express, with the status, headers and bytes Express gave", async () => {
    const routes = { "/v1/queue?limit=5": "/v1/queue", "/v1/loans/2": "/v1/loans/:loanId", "/v1/loans?sort=-dpd": "/v1/loans" };
    for (const [path, routePath] of Object.entries(routes)) {
      const first = await get(f.tokens.collector, path);
      const handed = s.viaExpress();
      const before = await hits(s.registry, routePath);
      const second = await get(f.tokens.collector, path);
      const after = await hits(s.registry, routePath);
      expect(s.viaExpress(), `${path}: the repeat did not reach Express`).to.equal(handed);
      expect(second.status, path).to.equal(200);
      expect(first.status, path).to.equal(200);
      expect(comparable(second), path).to.deep.equal(comparable(first));
      expect(Buffer.from(await second.arrayBuffer()).equals(Buffer.from(await first.arrayBuffer())), `${path}: the same bytes`).to.equal(true);
      expect(remaining(second), `${path}: counted by the rate limiter`).to.equal(remaining(first) - 1);
      expect(after.cacheHits - before.cacheHits, `${path}: counted as a cache hit`).to.equal(1);
      expect(after.timed - before.timed, `${path}: timed under its route`).to.equal(1);
    }
  });

  it("hands what it cannot answer to Express counted once by the rate limiter", async () => {
    const token = serviceToken(f.addresses.collector, TOKEN_SECRET, 3_600).token;
    // A miss (stored after), a hit, a route that is never cached, no token, a conditional request.
    const a = await get(token, "/v1/queue?limit=3");
    const b = await get(token, "/v1/queue?limit=3");
    const handed = s.viaExpress();
    const c = await get(token, "/v1/loans/2/notices");
    expect(s.viaExpress(), "a route that is not cached").to.equal(handed + 1);
    expect([a.status, b.status, c.status]).to.deep.equal([200, 200, 200]);
    expect([remaining(b), remaining(c)], "one count a request, answered here or by Express").to.deep.equal([remaining(a) - 1, remaining(a) - 2]);
    const tag = b.headers.get("etag")!;
    const conditional = await get(token, "/v1/queue?limit=3", { "if-none-match": tag, "cache-control": "max-age=0" });
    expect(conditional.status, "Express answers a conditional request").to.equal(304);
    expect(s.viaExpress()).to.equal(handed + 2);
    expect(remaining(conditional)).to.equal(remaining(a) - 3);
    const anonymous = await fetch(`${s.url}/v1/queue?limit=3`);
    expect(anonymous.status).to.equal(401);
    expect(anonymous.headers.get("content-type")).to.match(/^application\/problem\+json/);
    expect(s.viaExpress()).to.equal(handed + 3);
  });

  it("answers a revoked token 401, though its caller has an answer stored", async () => {
    const issued = serviceToken(f.addresses.collector, TOKEN_SECRET, 3_600);
    expect((await get(issued.token, "/v1/queue?limit=4")).status).to.equal(200);
    expect((await get(issued.token, "/v1/queue?limit=4")).status).to.equal(200);
    await revokeToken(f.db, { jti: issued.id, subject: f.addresses.collector, expiresAt: issued.expiresAt }, Math.floor(Date.now() / 1000));
    const revoked = await get(issued.token, "/v1/queue?limit=4");
    expect(revoked.status).to.equal(401);
    expect(((await revoked.json()) as { detail: string }).detail).to.match(/revoked/);
    // The caller's other token still gets the stored answer.
    expect((await get(f.tokens.collector, "/v1/queue?limit=4")).status).to.equal(200);
  });

  it("answers past the rate limit 429 with Retry-After, though an answer is stored", async () => {
    const limited = await countingServer({ ...f.services, options: { ...f.services.options, rateLimitPerMinute: 3 } });
    try {
      const token = serviceToken(f.addresses.collector, TOKEN_SECRET, 3_600).token;
      const at = (path: string) => fetch(`${limited.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await at("/v1/queue?limit=2")).status);
      expect(statuses).to.deep.equal([200, 200, 200]);
      expect(limited.viaExpress(), "the second and third from the cache").to.equal(1);
      const over = await at("/v1/queue?limit=2");
      expect(over.status).to.equal(429);
      expect(over.headers.get("retry-after")).to.match(/^\d+$/);
      expect(over.headers.get("ratelimit")).to.match(/^limit=3, remaining=0, reset=\d+$/);
      expect((await at("/v1/queue?limit=2")).status, "still over: not counted back below").to.equal(429);
    } finally {
      limited.close();
    }
  });
});

describe("route() and the fast path", () => {
  it("refuses to cache a route whose answer depends on more than the caller and the URL", () => {
    const cache = {} as never;
    const base = { path: "/v1/x", summary: "x", tags: ["x"], responses: { 200: { description: "ok" } }, cache };
    const register = (spec: object) => route(Router(), createRegistry(), { method: "get", request: {}, ...spec } as never, async () => ({}));
    expect(() => register(base)).not.to.throw();
    expect(() => register({ ...base, request: { headers: z.object({ "x-a": z.string() }) } })).to.throw(RouteSpecError, /may be cached/);
    expect(() => register({ ...base, before: [(_req: unknown, _res: unknown, next: () => void) => next()] })).to.throw(RouteSpecError, /may be cached/);
    expect(() => register({ ...base, method: "post" })).to.throw(RouteSpecError, /may be cached/);
    expect(() => register({ ...base, auth: false })).to.throw(RouteSpecError, /may be cached/);
    expect(() => register({ ...base, responses: { 201: { description: "made" } } })).to.throw(RouteSpecError, /may be cached/);
  });
});
