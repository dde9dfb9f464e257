import type { NextFunction, Request, Response } from "express";
import type { ApiServices } from "../context";
import { UnauthorizedError } from "../errors";
import { resolveScope, type Scope } from "./scope";
import { verifyToken, type TokenClaims } from "./tokens";

export interface AuthedRequest extends Request {
  claims?: TokenClaims;
  scope?: Scope;
  /** The indexed block (number:hash) the request started at, when responses are cached. */
  generation?: string;
}

/** The bearer token's subject, if any (used by the rate limiter before auth). */
export function bearerOf(req: Request): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith("Bearer ") ? h.slice(7).trim() : undefined;
}

/** Requires a valid bearer token and resolves the caller's scope from the indexed chain. */
export function requireAuth(services: ApiServices) {
  return async (req: AuthedRequest, _res: Response, next: NextFunction) => {
    try {
      const token = bearerOf(req);
      if (!token) throw new UnauthorizedError();
      const claims = verifyToken(token, services.options.tokenSecret, services.now());
      if (!claims) throw new UnauthorizedError("the bearer token is invalid or expired");
      req.claims = claims;
      const cache = services.cache;
      const generation = cache ? await cache.generation() : undefined;
      req.generation = generation;
      // The scope comes from the indexed chain: the same for every request at one block.
      req.scope = cache && generation ? await cache.memo(generation, `scope:${claims.sub}`, () => resolveScope(services.db, claims.sub)) : await resolveScope(services.db, claims.sub);
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function scopeOf(req: Request): Scope {
  const s = (req as AuthedRequest).scope;
  if (!s) throw new UnauthorizedError();
  return s;
}
