/**
 * Answers from the response cache before Express.
 *
 * Under bench:api's realistic load about half the requests are answered from the response cache.
 * Through Express such an answer cost 0.41 ms of processor time (the router, the middleware and the
 * route's validation all ran before the lookup), and 0.12 ms through this path (one API process,
 * one caller repeating GET /v1/queue on a 2-core host). This path gives those answers first: a
 * GET under /v1/ with a valid, unrevoked bearer token within its rate limit, whose caller has an
 * answer stored for the same URL at the indexed block the request found.
 *
 * A stored answer was made by its route for the same caller and URL at the same block, after the
 * route's validation (a function of the URL alone: route() refuses to cache a route that reads
 * headers or a body). So the checks this path skips would pass again, and what it does not skip
 * is what varies between requests: the token, its revocation, the rate limit, the indexed block.
 *
 * Every other request goes to Express unchanged, and so does one this path cannot answer, with
 * what it did handed on so nothing is done twice: the rate limiter's count (`counted`: the
 * limiter skips the request) and the authentication (preAuthenticated: requireAuth uses it).
 * Conditional requests, requests with a body, and any CORS configuration always go to Express.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Express } from "express";
import type { MemoryStore } from "express-rate-limit";
import type { Histogram } from "prom-client";
import type { ApiServices } from "./context";
import { authenticate, bearerOf, claimsOf, preAuthenticated } from "./auth/middleware";
import { cachedEtagOf, JSON_TYPE } from "./route";

export interface CachedAnswersOptions {
  app: Express;
  services: ApiServices;
  /** The /v1 rate limiter's store, limit and window, and the requests this path counted in it. */
  limiter: { store: MemoryStore; limit: number; windowMs: number; counted: WeakSet<IncomingMessage> };
  /** duetrail_api_request_duration_seconds, and when each request reached this path (the app's timer starts there too). */
  duration: Histogram<"method" | "route" | "status">;
  startedAt: WeakMap<IncomingMessage, number>;
}

/** `app` behind the fast path, or `app` alone when the response cache is off or CORS is configured. */
export function withCachedAnswers(options: CachedAnswersOptions): RequestListener {
  const { app, services, limiter, duration, startedAt } = options;
  const cache = services.cache;
  const corsOn = services.options.corsOrigins === "*" || services.options.corsOrigins.length > 0;
  if (!cache || services.options.responseCacheBytes === 0 || corsOn) return app;
  const policy = `${limiter.limit};w=${Math.ceil(limiter.windowMs / 1000)}`;

  /** The rate limit's count of the caller `sub`, as express-rate-limit makes it; false past the limit (nothing counted then). */
  async function counted(req: IncomingMessage, res: ServerResponse, sub: string): Promise<boolean> {
    const key = `sub:${sub}`;
    const { totalHits, resetTime } = await limiter.store.increment(key);
    if (totalHits > limiter.limit) {
      // Express's limiter counts it again and answers 429.
      await limiter.store.decrement(key);
      return false;
    }
    limiter.counted.add(req);
    // The headers express-rate-limit sets (standardHeaders "draft-7").
    const reset = resetTime ? Math.max(0, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : Math.ceil(limiter.windowMs / 1000);
    res.setHeader("RateLimit-Policy", policy);
    res.setHeader("RateLimit", `limit=${limiter.limit}, remaining=${Math.max(limiter.limit - totalHits, 0)}, reset=${reset}`);
    return true;
  }

  /** Answers `req` from the cache if it can; false when Express must answer it. */
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const token = bearerOf(req);
    const claims = token ? claimsOf(services, token) : undefined;
    if (!claims || !(await counted(req, res, claims.sub))) return false;
    const auth = await authenticate(services, token);
    preAuthenticated.set(req, auth);
    if (!auth.position) return false;
    const key = `${auth.scope.address}\n${req.url}`;
    const body = cache!.peek(auth.position.generation, key);
    const route = body && cache!.routeOf(body);
    if (!route) return false;
    cache!.get(auth.position.generation, key); // counted as a hit, and now the most recently used
    const start = startedAt.get(req)!;
    res.once("finish", () => duration.observe({ method: "GET", route, status: String(res.statusCode) }, (performance.now() - start) / 1000));
    // As the route answers a stored body (route() caches only routes answering 200).
    res.statusCode = 200;
    res.setHeader("Content-Type", JSON_TYPE);
    res.setHeader("Content-Length", body.length);
    const etag = cachedEtagOf(app, body);
    if (etag) res.setHeader("ETag", etag);
    res.end(body);
    return true;
  }

  return (req, res) => {
    const h = req.headers;
    const plain =
      req.method === "GET" &&
      req.url?.startsWith("/v1/") &&
      h["if-none-match"] === undefined &&
      h["if-modified-since"] === undefined &&
      h["transfer-encoding"] === undefined &&
      (h["content-length"] === undefined || h["content-length"] === "0");
    startedAt.set(req, performance.now());
    if (!plain) {
      app(req, res);
      return;
    }
    answer(req, res).then(
      (answered) => answered || app(req, res),
      // A failed check (a revoked token, a scope that could not be read): Express makes the same
      // checks again and answers as it does. Nothing is written before the last check passes.
      () => (res.headersSent ? res.destroy() : app(req, res)),
    );
  };
}
