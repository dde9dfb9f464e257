import type { ErrorRequestHandler, RequestHandler } from "express";
import { ZodError } from "zod";
import {
  ActionRefusedError,
  BatchMismatchError,
  ConflictError,
  ContactKeyUnavailableError,
  ForbiddenError,
  InsufficientStorageError,
  InvalidRequestError,
  NotFoundError,
  QuotaExceededError,
  RelayRevertedError,
  ServiceError,
  TooLargeError,
  UnauthenticatedError,
  UnavailableError,
  type FieldProblem,
} from "./services/errors";

/**
 * The HTTP side of errors: services throw the semantic errors of src/api/services/errors.ts, and
 * this module alone turns them into RFC 9457 problem+json. Anything not in {@link PROBLEM_STATUS}
 * (a domain error included) is unexpected: a 500 with a generic detail, logged, never sent.
 */

export const PROBLEM_JSON = "application/problem+json";

/** An error class the table maps (any constructor whose instances are service errors). */
type ServiceErrorClass = abstract new (...args: never[]) => ServiceError;

/**
 * Status and title of each service error class: the one place that knows HTTP statuses. A
 * subclass not listed takes the entry of its nearest listed ancestor (EvidenceQuotaError and
 * StreamLimitError are QuotaExceededErrors: 429).
 */
export const PROBLEM_STATUS: ReadonlyMap<ServiceErrorClass, { status: number; title: string }> = new Map<ServiceErrorClass, { status: number; title: string }>([
  [InvalidRequestError, { status: 400, title: "Bad Request" }],
  [UnauthenticatedError, { status: 401, title: "Unauthorized" }],
  [ForbiddenError, { status: 403, title: "Forbidden" }],
  [NotFoundError, { status: 404, title: "Not Found" }],
  [ConflictError, { status: 409, title: "Conflict" }],
  [TooLargeError, { status: 413, title: "Payload Too Large" }],
  [BatchMismatchError, { status: 422, title: "Unprocessable Content" }],
  [ActionRefusedError, { status: 422, title: "Unprocessable Content" }],
  [RelayRevertedError, { status: 422, title: "Unprocessable Content" }],
  [QuotaExceededError, { status: 429, title: "Too Many Requests" }],
  [UnavailableError, { status: 503, title: "Service Unavailable" }],
  [ContactKeyUnavailableError, { status: 503, title: "Service Unavailable" }],
  [InsufficientStorageError, { status: 507, title: "Insufficient Storage" }],
]);

/** What is sent for one error: status, title, detail, extra members, and the Retry-After seconds. */
export interface Problem {
  status: number;
  title: string;
  detail: string;
  extra: Readonly<Record<string, unknown>>;
  retryAfterSec?: number;
}

const INTERNAL: Problem = { status: 500, title: "Internal Server Error", detail: "the server failed to handle the request; it has been logged", extra: {} };

/** The table's entry for `err`'s class or its nearest listed ancestor; undefined for anything else. */
function statusOf(err: ServiceError): { status: number; title: string } | undefined {
  for (let proto = Object.getPrototypeOf(err) as object | null; proto && proto !== ServiceError.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    const entry = PROBLEM_STATUS.get(proto.constructor as ServiceErrorClass);
    if (entry) return entry;
  }
  return undefined;
}

/** The failing field paths of a zod error, prefixed with where they came from ("query", "body", ...). */
export function zodErrors(err: ZodError, where: string): FieldProblem[] {
  return err.issues.map((i) => ({ path: [where, ...i.path.map(String)].join("."), message: i.message }));
}

const typeOf = (err: unknown): unknown => (err && typeof err === "object" && "type" in err ? (err as { type: unknown }).type : undefined);

/**
 * The problem for `err`, or undefined when it is unexpected (then the caller logs it and sends a
 * 500). Service errors map through {@link PROBLEM_STATUS}; zod errors and the body parser's errors
 * (too large, bad JSON, other client errors) are client errors too.
 */
export function problemOf(err: unknown): Problem | undefined {
  if (err instanceof ServiceError) {
    const entry = statusOf(err);
    if (!entry) return undefined;
    return { ...entry, detail: err.message, extra: err.fields, ...(err instanceof QuotaExceededError && err.retryAfterSec !== undefined ? { retryAfterSec: err.retryAfterSec } : {}) };
  }
  if (err instanceof ZodError) return problemOf(new InvalidRequestError("invalid request", zodErrors(err, "request")));
  if (typeOf(err) === "entity.too.large") return problemOf(new TooLargeError("request body too large"));
  if (typeOf(err) === "entity.parse.failed") return problemOf(new InvalidRequestError("request body is not valid JSON"));
  if (err && typeof err === "object" && "status" in err && typeof (err as { status: unknown }).status === "number" && (err as { status: number }).status < 500) {
    // Another client error of Express or its body parser (an unsupported charset, ...): its own status.
    return { status: (err as { status: number }).status, title: "Bad Request", detail: err instanceof Error ? err.message : "bad request", extra: {} };
  }
  return undefined;
}

/** Unknown routes: 404 problem+json. */
export const notFound: RequestHandler = (req, _res, next) => next(new NotFoundError(`no route for ${req.method} ${req.path}`));

/**
 * The error middleware: writes every problem+json the API sends. Client errors keep their detail;
 * anything unexpected is a 500 with a generic detail (passed to `log` with its stack, never sent).
 */
export function problemHandler(log: (err: unknown, req: { method: string; path: string }) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let problem = problemOf(err);
    if (!problem) {
      log(err, req);
      problem = INTERNAL;
    }
    if (res.headersSent) return;
    if (problem.retryAfterSec !== undefined) res.setHeader("Retry-After", String(Math.max(1, Math.ceil(problem.retryAfterSec))));
    res
      .status(problem.status)
      .type(PROBLEM_JSON)
      .json({ type: "about:blank", title: problem.title, status: problem.status, detail: problem.detail, instance: req.originalUrl, ...problem.extra });
  };
}
