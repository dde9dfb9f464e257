import type { Request, RequestHandler } from "express";
import type { z, ZodType } from "zod";
import { zodErrors } from "./errors";
import { InvalidRequestError } from "./services/errors";

export interface RequestSchemas {
  params?: ZodType;
  query?: ZodType;
  headers?: ZodType;
  body?: ZodType;
}

export type Validated<S extends RequestSchemas> = {
  [K in keyof S]: S[K] extends ZodType ? z.output<S[K]> : never;
};

/** The parsed, validated inputs a handler receives. */
export function valid<S extends RequestSchemas>(req: Request): Validated<S> {
  return (req as Request & { valid: Validated<S> }).valid;
}

/**
 * Validates params, query, headers and body with zod; the handler gets the parsed values via
 * `valid(req)`. Failures are 400 problem+json listing every failing field path.
 */
export function validate<S extends RequestSchemas>(schemas: S): RequestHandler {
  return (req, _res, next) => {
    const out: Record<string, unknown> = {};
    const errors: { path: string; message: string }[] = [];
    for (const where of ["params", "query", "headers", "body"] as const) {
      const schema = schemas[where];
      if (!schema) continue;
      const r = schema.safeParse(req[where] ?? {});
      if (r.success) out[where] = r.data;
      else errors.push(...zodErrors(r.error, where));
    }
    if (errors.length) return next(new InvalidRequestError(`invalid ${[...new Set(errors.map((e) => e.path.split(".")[0]))].join(" and ")}`, errors));
    (req as Request & { valid: unknown }).valid = out;
    next();
  };
}
