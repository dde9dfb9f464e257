import type { ErrorRequestHandler, RequestHandler } from "express";
import { ZodError } from "zod";

/**
 * Errors the services raise; one middleware maps them to RFC 9457 problem+json. Services never
 * know HTTP status codes beyond the class they throw.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export class BadRequestError extends ApiError {
  constructor(detail: string, errors?: { path: string; message: string }[]) {
    super(400, "Bad Request", detail, errors ? { errors } : {});
  }
}
export class UnauthorizedError extends ApiError {
  constructor(detail = "a bearer token is required (POST /v1/auth/verify)") {
    super(401, "Unauthorized", detail);
  }
}
export class ForbiddenError extends ApiError {
  constructor(detail: string) {
    super(403, "Forbidden", detail);
  }
}
export class NotFoundError extends ApiError {
  constructor(detail: string) {
    super(404, "Not Found", detail);
  }
}
export class ConflictError extends ApiError {
  constructor(detail: string) {
    super(409, "Conflict", detail);
  }
}
export class PayloadTooLargeError extends ApiError {
  constructor(detail: string) {
    super(413, "Payload Too Large", detail);
  }
}
/** A per-caller or per-client limit was reached: 429, with Retry-After when known. */
export class TooManyRequestsError extends ApiError {
  constructor(
    detail: string,
    readonly retryAfterSec?: number,
  ) {
    super(429, "Too Many Requests", detail);
  }
}
export class UnavailableError extends ApiError {
  constructor(detail: string) {
    super(503, "Service Unavailable", detail);
  }
}

export const PROBLEM_JSON = "application/problem+json";

/** The failing field paths of a zod error, prefixed with where they came from ("query", "body", ...). */
export function zodErrors(err: ZodError, where: string): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: [where, ...i.path.map(String)].join("."), message: i.message }));
}

/** Unknown routes: 404 problem+json. */
export const notFound: RequestHandler = (req, _res, next) => next(new NotFoundError(`no route for ${req.method} ${req.path}`));

/**
 * Maps every error to problem+json. Client errors keep their detail; anything unexpected is a
 * 500 with a generic detail (logged with its stack, never sent).
 */
export function problemHandler(log: (err: unknown, req: { method: string; path: string }) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let problem: ApiError;
    if (err instanceof ApiError) problem = err;
    else if (err instanceof ZodError) problem = new BadRequestError("invalid request", zodErrors(err, "request"));
    else if (err && typeof err === "object" && "type" in err && (err as { type: string }).type === "entity.too.large") {
      problem = new PayloadTooLargeError("request body too large");
    } else if (err && typeof err === "object" && "type" in err && (err as { type: string }).type === "entity.parse.failed") {
      problem = new BadRequestError("request body is not valid JSON");
    } else if (err && typeof err === "object" && "status" in err && typeof (err as { status: unknown }).status === "number" && (err as { status: number }).status < 500) {
      const status = (err as { status: number }).status;
      problem = new ApiError(status, "Bad Request", err instanceof Error ? err.message : "bad request");
    } else {
      log(err, req);
      problem = new ApiError(500, "Internal Server Error", "the server failed to handle the request; it has been logged");
    }
    if (res.headersSent) return;
    if (problem instanceof TooManyRequestsError && problem.retryAfterSec !== undefined) res.setHeader("Retry-After", String(Math.max(1, Math.ceil(problem.retryAfterSec))));
    res
      .status(problem.status)
      .type(PROBLEM_JSON)
      .json({ type: "about:blank", title: problem.title, status: problem.status, detail: problem.message, instance: req.originalUrl, ...problem.extra });
  };
}
