import crypto from "node:crypto";
import cors from "cors";
import express, { Router, type Express } from "express";
import type { IncomingMessage, RequestListener } from "node:http";
import { ipKeyGenerator, MemoryStore, rateLimit } from "express-rate-limit";
import { Gauge, Histogram } from "prom-client";
import type { ApiServices } from "./context";
import { notFound, problemHandler } from "./errors";
import { QuotaExceededError, UnauthenticatedError } from "./services/errors";
import { createRegistry, docsHtml, openApiDocument } from "./openapi";
import { bearerOf, claimsOf, requireAuth } from "./auth/middleware";
import { isRevoked } from "./auth/tokens";
import { registerAuthRoutes } from "./routes/auth";
import { registerLoanRoutes } from "./routes/loans";
import { registerOpsRoutes } from "./routes/ops";
import { registerQueueRoutes } from "./routes/queue";
import { registerActionRoutes } from "./routes/actions";
import { registerEvidenceRoutes } from "./routes/evidence";
import { registerBatchRoutes } from "./routes/batches";
import { registerLoanEvidenceRoutes } from "./routes/loan-evidence";
import { registerPortfolioRoutes } from "./routes/portfolio";
import { registerAgencyRoutes } from "./routes/agencies";
import { registerStreamRoutes } from "./routes/stream";
import { createResponseCache } from "./services/response-cache";
import { createRelayer } from "./services/relayer";
import { registerRelayRoutes } from "./routes/relays";
import { registerContactRoutes } from "./routes/contacts";
import { registerNoticeRoutes } from "./routes/notices";
import { registerSmsReceiptRoutes } from "./routes/sms-receipts";
import { registerNoticePlanRoutes } from "./routes/notice-plans";
import { registerStrategyRoutes } from "./routes/strategy";
import { registerChainRoutes } from "./routes/chain";
import { registerLoanWorkRoutes } from "./routes/loan-work";
import { registerConsole } from "./console";
import { withCachedAnswers, type CachedAnswersOptions } from "./cached-answers";

export const DEFAULT_RESPONSE_CACHE_BYTES = 64 * 1024 * 1024;

/** Route modules under /v1 that need a bearer token; each registers its routes and OpenAPI operations. */
export const PROTECTED_ROUTES: ((router: Router, registry: ReturnType<typeof createRegistry>, services: ApiServices) => void)[] = [registerLoanRoutes, registerPortfolioRoutes, registerStreamRoutes, registerQueueRoutes, registerActionRoutes, registerEvidenceRoutes, registerBatchRoutes, registerLoanEvidenceRoutes, registerRelayRoutes, registerContactRoutes, registerNoticeRoutes, registerNoticePlanRoutes, registerStrategyRoutes, registerChainRoutes, registerLoanWorkRoutes, registerAgencyRoutes];

/**
 * Routes that read their own bodies: the app-wide 64 kB JSON parser leaves them alone. Evidence
 * uploads are raw bytes of any content type, streamed to disk by the handler; batch uploads are
 * larger JSON documents (a `before` middleware).
 */
export const OWN_BODY_PARSER_PATHS = new Set(["/v1/evidence", "/v1/batches", "/v1/notify/sms-receipts"]);

/**
 * Builds the Express app (no port: server.ts listens; tests call the app directly). JSON over
 * HTTP under /v1, zod-validated, OpenAPI 3.1 at /openapi.json, problem+json errors.
 */
export function createApp(given: ApiServices): Express {
  return assembleApi(given).app;
}

/**
 * What server.ts listens with: the app behind the fast path that gives stored answers of the
 * response cache without it (src/api/cached-answers.ts).
 */
export function createRequestListener(given: ApiServices): RequestListener {
  return withCachedAnswers(assembleApi(given));
}

const RATE_WINDOW_MS = 60_000;

/** The app with what the fast path shares with it: the services, the rate limiter and the request timer. */
export function assembleApi(given: ApiServices): CachedAnswersOptions {
  const services: ApiServices = {
    ...given,
    cache: given.cache ?? createResponseCache(given.db, given.options.responseCacheBytes ?? DEFAULT_RESPONSE_CACHE_BYTES, given.registry, given.cacheShare),
    // Token revocation as the stream hub checks it for open streams (requests check it in requireAuth).
    isRevoked: given.isRevoked ?? ((claims) => isRevoked(given.db, claims)),
    relays:
      given.relays ??
      (given.chain?.relayer
        ? createRelayer({
            db: given.db,
            client: given.chain.client,
            wallet: given.chain.relayer,
            deployment: given.chain.deployment,
            now: given.now,
            budgetPerDay: given.options.relayBudgetPerDay ?? 500,
          })
        : undefined),
  };
  const app = express();
  app.disable("x-powered-by");
  // Behind a reverse proxy the client address is in X-Forwarded-For, trusted only as configured
  // (TRUST_PROXY); otherwise req.ip is the peer and forwarded headers are ignored.
  app.set("trust proxy", services.options.trustProxy ?? false);
  app.set("query parser", "simple");
  const registry = createRegistry();

  const duration = new Histogram({
    name: "duetrail_api_request_duration_seconds",
    help: "API request latency by route",
    labelNames: ["method", "route", "status"],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [services.registry],
  });
  const lagGauge = new Gauge({ name: "duetrail_api_indexer_lag_blocks", help: "Indexer lag seen by /readyz", registers: [services.registry] });
  // From when the request reached the server: the fast path notes that before it passes one on.
  const startedAt = new WeakMap<IncomingMessage, number>();
  app.use((req, res, next) => {
    const start = startedAt.get(req) ?? performance.now();
    res.on("finish", () => duration.observe({ method: req.method, route: (req.route?.path as string | undefined) ?? "unmatched", status: String(res.statusCode) }, (performance.now() - start) / 1000));
    next();
  });

  // Cross-origin access only for the configured origins (CORS_ORIGINS); none by default.
  const origins = services.options.corsOrigins;
  if (origins === "*" || origins.length > 0) app.use(cors({ origin: origins === "*" ? "*" : origins, exposedHeaders: ["Retry-After"] }));
  const json = express.json({ limit: "64kb" });
  app.use((req, res, next) => (OWN_BODY_PARSER_PATHS.has(req.path.replace(/\/+$/, "").toLowerCase()) ? next() : json(req, res, next)));

  // Rate limit per caller (a valid token's subject), per client address without one (req.ip, after
  // TRUST_PROXY; IPv6 by /56): 429 problem+json with Retry-After.
  // Its store is the fast path's too, which counts the requests it takes (`counted`: skipped here).
  const limiter = { store: new MemoryStore(), limit: services.options.rateLimitPerMinute, windowMs: RATE_WINDOW_MS, counted: new WeakSet<IncomingMessage>() };
  app.use(
    "/v1",
    rateLimit({
      windowMs: RATE_WINDOW_MS,
      limit: services.options.rateLimitPerMinute,
      store: limiter.store,
      skip: (req) => limiter.counted.has(req),
      standardHeaders: "draft-7",
      legacyHeaders: false,
      keyGenerator: (req) => {
        const token = bearerOf(req);
        const claims = token ? claimsOf(services, token) : undefined;
        return claims ? `sub:${claims.sub}` : `ip:${ipKeyGenerator(req.ip ?? "unknown")}`;
      },
      // X-Forwarded-For without TRUST_PROXY is ignored on purpose (a client could forge it).
      validate: { xForwardedForHeader: false },
      // The problem+json goes through the error middleware like every other (the limiter has set
      // the RateLimit and Retry-After headers already).
      handler: (_req, _res, next, options) => next(new QuotaExceededError(`more than ${options.limit} requests a minute`)),
    }),
  );

  const open = Router();
  registerOpsRoutes(open, registry, services, (lag) => lagGauge.set(lag));
  registerAuthRoutes(open, registry, services);
  registerSmsReceiptRoutes(open, registry, services);
  app.use(open);

  const v1 = Router();
  v1.use("/v1", requireAuth(services));
  for (const register of PROTECTED_ROUTES) register(v1, registry, services);
  app.use(v1);

  let doc: ReturnType<typeof openApiDocument> | undefined;
  const documentOf = () => (doc ??= openApiDocument(registry));
  app.get("/openapi.json", (_req, res) => res.json(documentOf()));
  app.get("/docs", (_req, res) => res.type("html").send(docsHtml(documentOf())));
  if (!services.options.metricsElsewhere) app.get("/metrics", metricsHandler(services));
  registerConsole(app, services.options);

  app.use(notFound);
  app.use(
    problemHandler((err, req) => {
      services.logger.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err), method: req.method, path: req.path }, "request failed");
    }),
  );
  return { app, services, limiter, duration, startedAt };
}

/**
 * GET /metrics (Prometheus). With METRICS_TOKEN set, only `Authorization: Bearer <METRICS_TOKEN>`
 * is answered (compared in constant time); otherwise 401 problem+json.
 */
export function metricsHandler(services: { registry: { contentType: string; metrics(): Promise<string> }; metrics?: () => Promise<string>; options: Pick<ApiServices["options"], "metricsToken"> }) {
  const expected = services.options.metricsToken ? crypto.createHash("sha256").update(services.options.metricsToken).digest() : undefined;
  return async (req: express.Request, res: express.Response, next: express.NextFunction) => {
    try {
      if (expected) {
        const given = crypto.createHash("sha256").update(bearerOf(req) ?? "").digest();
        if (!crypto.timingSafeEqual(given, expected)) throw new UnauthenticatedError("/metrics needs the metrics bearer token (METRICS_TOKEN)");
      }
      res.type(services.registry.contentType).send(await (services.metrics ? services.metrics() : services.registry.metrics()));
    } catch (err) {
      next(err);
    }
  };
}
