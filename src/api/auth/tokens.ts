import crypto from "node:crypto";
import { getAddress, isAddress, type Address } from "viem";

/**
 * Bearer tokens: base64url(JSON claims) "." base64url(HMAC-SHA256(claims, secret)). Sessions come
 * from Sign-In with Ethereum and live `sessionTtlSec`; service accounts (the demo's keeper, a
 * collection agency's system) get long-lived tokens from `npm run cli -- token`, signed with the
 * same secret (API_TOKEN_SECRET). What a token may see is decided per request from the chain's
 * roles and assignments, never stored in the token.
 */
export interface TokenClaims {
  sub: Address;
  kind: "session" | "service";
  iat: number;
  exp: number;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export function signToken(claims: TokenClaims, secret: string): string {
  const body = b64(JSON.stringify(claims));
  const mac = crypto.createHmac("sha256", secret).update(body).digest();
  return `${body}.${b64(mac)}`;
}

/** The claims of a valid, unexpired token; undefined otherwise. `nowSec` is the server's clock (token expiry is not chain time). */
export function verifyToken(token: string, secret: string, nowSec: number): TokenClaims | undefined {
  const [body, mac, extra] = token.split(".");
  if (!body || !mac || extra !== undefined) return undefined;
  const expected = crypto.createHmac("sha256", secret).update(body).digest();
  const given = Buffer.from(mac, "base64url");
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  const c = claims as Partial<TokenClaims>;
  if (typeof c.sub !== "string" || !isAddress(c.sub) || typeof c.exp !== "number" || typeof c.iat !== "number") return undefined;
  if (c.kind !== "session" && c.kind !== "service") return undefined;
  if (c.exp <= nowSec) return undefined;
  return { sub: getAddress(c.sub), kind: c.kind, iat: c.iat, exp: c.exp };
}

/** A long-lived token for a service account (documented in the README). */
export function serviceToken(address: Address, secret: string, ttlSec: number, nowSec = Math.floor(Date.now() / 1000)): { token: string; expiresAt: number } {
  const exp = nowSec + ttlSec;
  return { token: signToken({ sub: getAddress(address), kind: "service", iat: nowSec, exp }, secret), expiresAt: exp };
}
