import type { NextFunction, Request, Response } from "express";
import type { ApiServices } from "../context";
import { UnauthenticatedError } from "../services/errors";
import { cachePositionOf, type CachePosition } from "../services/response-cache";
import { loadScope, resolveScope, type Scope } from "./scope";
import { isRevoked, revocationAndCursor, verifyToken, type TokenClaims } from "./tokens";
import { DAY_SECONDS } from "../../domain";

export interface AuthedRequest extends Request {
  claims?: TokenClaims;
  scope?: Scope;
  /** The indexed block (number:hash) the request started at, when responses are cached. */
  generation?: string;
  /** Where the indexed chain was when the request started, when responses are cached. */
  position?: CachePosition;
}

/** The bearer token of a request, if any. */
export function bearerOf(req: Pick<Request, "headers">): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith("Bearer ") ? h.slice(7).trim() : undefined;
}

/** Days → seconds of the longest service-token lifetime the server accepts. */
export const maxServiceTtlSec = (services: ApiServices): number => (services.options.serviceTokenMaxDays ?? 365) * DAY_SECONDS;

/** The claims of a token signed with the server's secret, unexpired and within the lifetime bound (revocation not checked: no I/O). */
export function claimsOf(services: ApiServices, token: string): TokenClaims | undefined {
  return verifyToken(token, services.options.tokenSecret, services.now(), { maxServiceTtlSec: maxServiceTtlSec(services) });
}

/** Who a request is from and where the indexed chain was when it arrived (requireAuth's work). */
export interface Authenticated {
  claims: TokenClaims;
  scope: Scope;
  position?: CachePosition;
}

/**
 * A request the response cache's fast path (src/api/cached-answers.ts) already authenticated and
 * then passed on, because it had no stored answer: requireAuth takes what the fast path read for
 * the same request instead of reading it again. Only server code sets it.
 */
export const preAuthenticated = new WeakMap<object, Authenticated>();

/**
 * The caller of a request with bearer `token`: a valid, unrevoked token and its scope from the
 * indexed chain. Throws UnauthenticatedError otherwise.
 */
export async function authenticate(services: ApiServices, token: string | undefined): Promise<Authenticated> {
  if (!token) throw new UnauthenticatedError();
  const claims = claimsOf(services, token);
  if (!claims) throw new UnauthenticatedError("the bearer token is invalid or expired");
  // Revocations are not chain data: read on every request, never cached. With responses
  // cached, in the same statement as the cache's position.
  const cache = services.cache;
  let position: CachePosition | undefined;
  if (cache) {
    const r = await revocationAndCursor(services.db, claims);
    if (r.revoked) throw new UnauthenticatedError("the bearer token was revoked");
    position = r.cursor && cachePositionOf(r.cursor);
  } else if (await isRevoked(services.db, claims)) throw new UnauthenticatedError("the bearer token was revoked");
  // The scope comes from the indexed chain: kept until what it is read from changes.
  const scope = cache && position ? await cache.scope(position, claims.sub, () => loadScope(services.db, claims.sub)) : await resolveScope(services.db, claims.sub);
  return { claims, scope, position };
}

/** Requires a valid, unrevoked bearer token and resolves the caller's scope from the indexed chain. */
export function requireAuth(services: ApiServices) {
  return async (req: AuthedRequest, _res: Response, next: NextFunction) => {
    try {
      const { claims, scope, position } = preAuthenticated.get(req) ?? (await authenticate(services, bearerOf(req)));
      req.claims = claims;
      req.generation = position?.generation;
      req.position = position;
      req.scope = scope;
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function scopeOf(req: Request): Scope {
  const s = (req as AuthedRequest).scope;
  if (!s) throw new UnauthenticatedError();
  return s;
}

export function claimsOfRequest(req: Request): TokenClaims {
  const c = (req as AuthedRequest).claims;
  if (!c) throw new UnauthenticatedError();
  return c;
}
