import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import type { NextFunction, Request, Response, Router } from "express";
import type { ZodType } from "zod";
import { Problem, z } from "./openapi";
import { validate, valid, type RequestSchemas, type Validated } from "./validate";
import type { AuthedRequest } from "./auth/middleware";
import type { ResponseCache } from "./services/response-cache";
import { DuetrailError } from "../errors";

/** A route asks for what route() cannot give it (a programming error; fatal). */
export class RouteSpecError extends DuetrailError {
  override name = "RouteSpecError";
}

export const JSON_TYPE = "application/json; charset=utf-8";

export interface RouteSpec<S extends RequestSchemas> {
  method: "get" | "post" | "put" | "delete";
  /** Express path (`/v1/loans/:loanId`); the OpenAPI path is derived (`/v1/loans/{loanId}`). */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  request: S;
  /** Success responses: status → schema (or content type + schema). */
  responses: Record<number, { description: string; schema?: ZodType; contentType?: string }>;
  /** Needs a bearer token (default true). */
  auth?: boolean;
  /** A non-JSON request body (parsed by a `before` middleware), documented as binary. */
  rawBody?: { description: string; contentType?: string };
  /**
   * The response is a function of the indexed chain at the cursor, the caller and the URL only
   * (no chain calls, no server clock, no side effects): it is served again from this cache until
   * the cursor moves. Only for authenticated GET routes.
   */
  cache?: ResponseCache;
  /** Extra middleware before validation (e.g. raw body parsing). */
  before?: ((req: Request, res: Response, next: NextFunction) => void)[];
}

export type Handler<S extends RequestSchemas> = (input: Validated<S>, req: Request, res: Response) => Promise<unknown>;

/**
 * Registers an Express route and its OpenAPI operation from the same zod schemas: what is
 * documented is exactly what is validated. A handler returning a value sends it as JSON (200, or
 * the first declared status); returning undefined means it answered itself.
 */
/**
 * The ETag of each cached body, made when it was stored: Express hashes a body at every answer,
 * which on answers from the response cache was 2% of an API worker's CPU (bench:api, realistic).
 * Keyed by the body itself, so an entry goes when the cache lets the body go.
 */
const etags = new WeakMap<Buffer, string>();

/**
 * The ETag `app` answers the cached `body` with (Express's "etag fn" setting), made once for every
 * answer of that body: when it is stored, or at its first answer here if another API process
 * stored it. The fast path (src/api/cached-answers.ts) answers with the same.
 */
export function cachedEtagOf(app: { get(name: string): unknown }, body: Buffer): string | undefined {
  let tag = etags.get(body);
  if (tag === undefined) {
    tag = (app.get("etag fn") as ((body: Buffer) => string | undefined) | undefined)?.(body);
    if (tag) etags.set(body, tag);
  }
  return tag;
}

/**
 * Whether an answer goes to the other API processes' caches too (serve --workers): lists and queues
 * (no path parameter), which the same caller asks for again within a block, and not one loan's
 * details, which are seldom asked twice in a block. Passing a 30 kB answer along costs the sender,
 * the primary and each receiver together about 0.17 ms of processor time. Measured with
 * bench:api:ab (100k loans, 2 workers): passing every answer raised the hit share from 0.38 to 0.48
 * and saved nothing; passing lists and queues only raised it from 0.39 to 0.50 and served 7% more
 * requests a second.
 */
const sharedAnswer = (req: Request): boolean => Object.keys(req.params).length === 0;

export function route<S extends RequestSchemas>(router: Router, registry: OpenAPIRegistry, spec: RouteSpec<S>, handler: Handler<S>): void {
  const auth = spec.auth ?? true;
  // The fast path answers a stored body with no route middleware run: what the route checks must
  // depend on the caller and the URL alone, which are the cache's key.
  if (spec.cache && (spec.method !== "get" || !auth || spec.request.headers || spec.request.body || spec.before?.length || Object.keys(spec.responses)[0] !== "200")) {
    throw new RouteSpecError(`${spec.method.toUpperCase()} ${spec.path}: only an authenticated GET route answering 200, without header or body schemas or before-middleware, may be cached`);
  }
  const openApiPath = spec.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
  const responses: RouteConfig["responses"] = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    responses[Number(status)] = {
      description: r.description,
      ...(r.schema ? { content: { [r.contentType ?? "application/json"]: { schema: r.schema } } } : {}),
    };
  }
  const problem = { content: { "application/problem+json": { schema: Problem } } };
  responses[400] ??= { description: "Invalid input (failing field paths in `errors`)", ...problem };
  if (spec.request.body) responses[413] ??= { description: "Request body too large", ...problem };
  if (auth) {
    responses[401] ??= { description: "No valid bearer token", ...problem };
    responses[429] ??= { description: "Rate limited (see Retry-After)", ...problem };
    // A resource in the path may not exist, or not be visible to the caller (the same answer for both).
    if (openApiPath.includes("{")) responses[404] ??= { description: "Not found, or not visible to the caller", ...problem };
  }
  const request: RouteConfig["request"] = {};
  if (spec.request.params) request.params = spec.request.params as never;
  if (spec.request.query) request.query = spec.request.query as never;
  if (spec.request.headers) request.headers = spec.request.headers as never;
  if (spec.request.body) request.body = { content: { "application/json": { schema: spec.request.body } }, required: true };
  else if (spec.rawBody) {
    request.body = { description: spec.rawBody.description, content: { [spec.rawBody.contentType ?? "*/*"]: { schema: z.string().openapi({ format: "binary" }) } }, required: true };
  }
  registry.registerPath({
    method: spec.method,
    path: openApiPath,
    summary: spec.summary,
    description: spec.description,
    tags: spec.tags,
    ...(auth ? { security: [{ bearer: [] }] } : {}),
    request,
    responses,
  });
  const firstStatus = Number(Object.keys(spec.responses)[0]);
  router[spec.method](spec.path, ...(spec.before ?? []), validate(spec.request), async (req, res, next) => {
    try {
      const cache = spec.cache;
      const { generation, scope } = req as AuthedRequest;
      const key = cache && generation && scope ? `${scope.address}\n${req.originalUrl}` : undefined;
      if (key) {
        const hit = cache!.get(generation!, key);
        if (hit) {
          const tag = cachedEtagOf(req.app, hit);
          if (tag) res.set("ETag", tag);
          res.status(firstStatus).set("Content-Type", JSON_TYPE).send(hit);
          return;
        }
      }
      const out = await handler(valid<S>(req), req, res);
      if (out === undefined || res.headersSent) return;
      if (key) {
        const body = Buffer.from(JSON.stringify(out));
        await cache!.set(generation!, key, body, sharedAnswer(req), spec.path);
        const tag = cachedEtagOf(req.app, body);
        if (tag) res.set("ETag", tag);
        res.status(firstStatus).set("Content-Type", JSON_TYPE).send(body);
      } else res.status(firstStatus).json(out);
    } catch (err) {
      next(err);
    }
  });
}
