import crypto from "node:crypto";
import { sql, type Kysely } from "kysely";
import { getAddress, isAddress, type Address } from "viem";
import type { Database } from "../../db/schema";
import { preparedQuery } from "../../db/prepared";
import { dialectOf } from "../../db/dialect";
import { freshBatch } from "../services/fresh-read";

/**
 * Bearer tokens: base64url(JSON claims) "." base64url(HMAC-SHA256(claims, secret)). Sessions come
 * from Sign-In with Ethereum and live `sessionTtlSec`; service accounts (the demo's keeper, a
 * collection agency's system) get tokens from `npm run cli -- token`, signed with the same secret
 * (API_TOKEN_SECRET), valid at most SERVICE_TOKEN_MAX_DAYS (a year by default). Every token has an
 * id (`jti`) so it can be revoked (`token revoke`); revocations are checked on every request. What
 * a token may see is decided per request from the chain's roles and assignments, never stored in it.
 */
export interface TokenClaims {
  sub: Address;
  kind: "session" | "service";
  iat: number;
  exp: number;
  /** Token id: 32 hex digits. */
  jti: string;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString("base64url");
const JTI = /^[0-9a-f]{32}$/;

/** A fresh token id. */
export const newTokenId = (): string => crypto.randomBytes(16).toString("hex");

export function signToken(claims: TokenClaims, secret: string): string {
  const body = b64(JSON.stringify(claims));
  const mac = crypto.createHmac("sha256", secret).update(body).digest();
  return `${body}.${b64(mac)}`;
}

/** The claims a token carries, without checking its signature (for `token revoke --token`, which then checks them). */
export function readClaims(token: string): Partial<TokenClaims> | undefined {
  const [body] = token.split(".");
  try {
    const c: unknown = JSON.parse(Buffer.from(body ?? "", "base64url").toString("utf8"));
    return c && typeof c === "object" ? (c as Partial<TokenClaims>) : undefined;
  } catch {
    return undefined;
  }
}

export interface VerifyTokenOptions {
  /** Longest accepted lifetime of a service token, seconds (SERVICE_TOKEN_MAX_DAYS). */
  maxServiceTtlSec?: number;
}

/**
 * The claims of a valid, unexpired token; undefined otherwise. `nowSec` is the server's clock
 * (token expiry is not chain time). A token without an id, or a service token whose lifetime is
 * longer than allowed, is not valid. Revocation is checked separately ({@link isRevoked}).
 */
export function verifyToken(token: string, secret: string, nowSec: number, opts: VerifyTokenOptions = {}): TokenClaims | undefined {
  const kept = verified.get(token);
  const claims = kept && kept.secret === secret ? kept.claims : checkSignedClaims(token, secret);
  if (!claims) return undefined;
  if (kept) verified.delete(token); // recency order: moved to the end below
  verified.set(token, { secret, claims });
  if (verified.size > MAX_VERIFIED) verified.delete(verified.keys().next().value!);
  if (claims.exp <= nowSec) return undefined;
  if (claims.kind === "service" && opts.maxServiceTtlSec !== undefined && claims.exp - claims.iat > opts.maxServiceTtlSec) return undefined;
  return { ...claims };
}

/**
 * Tokens whose signature and claims checked out, by their text (least recently used out first):
 * the HMAC was about 8% of a worker's CPU on answers from the response cache (bench:api, cache on).
 * Only a token the secret signed gets in, and a token's text decides its claims, so a kept entry
 * stands for as long as the secret does; expiry and the service-lifetime bound are checked at each
 * use, and revocation separately ({@link isRevoked}) as before.
 */
const verified = new Map<string, { secret: string; claims: Readonly<TokenClaims> }>();
const MAX_VERIFIED = 10_000;

/** The claims of a token signed with `secret` and well formed (expiry not checked); undefined otherwise. */
function checkSignedClaims(token: string, secret: string): TokenClaims | undefined {
  const [body, mac, extra] = token.split(".");
  if (!body || !mac || extra !== undefined) return undefined;
  const expected = crypto.createHmac("sha256", secret).update(body).digest();
  const given = Buffer.from(mac, "base64url");
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return undefined;
  const c = readClaims(token);
  if (!c) return undefined;
  if (typeof c.sub !== "string" || !isAddress(c.sub) || typeof c.exp !== "number" || typeof c.iat !== "number") return undefined;
  if (c.kind !== "session" && c.kind !== "service") return undefined;
  if (typeof c.jti !== "string" || !JTI.test(c.jti)) return undefined;
  return Object.freeze({ sub: getAddress(c.sub), kind: c.kind, iat: c.iat, exp: c.exp, jti: c.jti });
}

/** A token for a service account (documented in the README). */
export function serviceToken(address: Address, secret: string, ttlSec: number, nowSec = Math.floor(Date.now() / 1000)): { token: string; id: string; expiresAt: number } {
  const exp = nowSec + ttlSec;
  const id = newTokenId();
  return { token: signToken({ sub: getAddress(address), kind: "service", iat: nowSec, exp, jti: id }, secret), id, expiresAt: exp };
}

/** One statement (it runs on every request): both lookups as scalar subqueries. */
const revocationsOf = preparedQuery((db, p: { jti: string; sub: string }) =>
  db.selectNoFrom((eb) => [
    eb.selectFrom("revoked_tokens").select("jti").where("jti", "=", p.jti).as("by_id"),
    eb.selectFrom("revoked_subjects").select("revoked_before").where("subject", "=", p.sub).as("before"),
  ]),
);

/** Whether the token was revoked: by its id, or with every token of its subject issued up to a time. */
export async function isRevoked(db: Kysely<Database>, claims: TokenClaims): Promise<boolean> {
  const [r] = await revocationsOf(db, { jti: claims.jti, sub: claims.sub });
  // A select without FROM answers one row; were there none, the token counts as revoked (closed).
  return !r || revokedBy(claims, r);
}

/** Whether the revocations read (the token's id revoked; its subject's tokens revoked up to a time) revoke the token. */
function revokedBy(claims: TokenClaims, r: { by_id: unknown; before: unknown }): boolean {
  return (r.by_id !== null && r.by_id !== undefined) || (r.before !== null && r.before !== undefined && claims.iat <= Number(r.before));
}

/**
 * The revocation check and the indexer's cursor with the cache epochs (the response cache's
 * position), in one statement: with responses cached both are read on every request. The cursor's
 * columns are null before the first block is indexed. No row only if `cache_epochs` lost its one
 * row (migration 0017 writes it): then the token counts as revoked (closed).
 */
const revocationsAndCursorOf = preparedQuery((db, p: { jti: string; sub: string }) =>
  db
    .selectFrom("cache_epochs")
    .leftJoin("cursor", "cursor.id", "cache_epochs.id")
    .select((eb) => [
      eb.selectFrom("revoked_tokens").select("jti").where("jti", "=", p.jti).as("by_id"),
      eb.selectFrom("revoked_subjects").select("revoked_before").where("subject", "=", p.sub).as("before"),
      "cursor.block_number",
      "cursor.block_hash",
      "cursor.block_timestamp",
      "cache_epochs.scopes",
      "cache_epochs.history",
    ])
    .where("cache_epochs.id", "=", 1),
);

export interface CursorWithEpochs {
  block_number: number;
  block_hash: string;
  block_timestamp: number;
  scopes: number | string;
  history: number | string;
}

/** Whether the token was revoked, and the cursor with the cache epochs (undefined before the first block). */
export async function revocationAndCursor(db: Kysely<Database>, claims: TokenClaims): Promise<{ revoked: boolean; cursor: CursorWithEpochs | undefined }> {
  if (dialectOf(db) === "postgres") return sharedCheckOf(db)(claims).then((check) => ({ revoked: check.revoked(claims), cursor: check.cursor }));
  const [r] = await revocationsAndCursorOf(db, { jti: claims.jti, sub: claims.sub });
  if (!r) return { revoked: true, cursor: undefined };
  return { revoked: revokedBy(claims, r), cursor: cursorOf(r) };
}

/** The cursor with the epochs of a row of the queries below, undefined before the first block. */
function cursorOf(r: { block_number: number | null; block_hash: string | null; block_timestamp: number | null; scopes: number | string; history: number | string }): CursorWithEpochs | undefined {
  const { block_number, block_hash, block_timestamp, scopes, history } = r;
  return block_number === null || block_hash === null || block_timestamp === null ? undefined : { block_number, block_hash, block_timestamp, scopes, history };
}

/**
 * PostgreSQL: the revocations of many tokens and the cursor in one statement (the ids and subjects
 * as arrays, so its text is the same for any number of them). Each request's check is a round trip
 * otherwise, and it runs on every request, cached answers too.
 */
function revocationsAndCursorBatch(db: Kysely<Database>, jtis: string[], subjects: string[]) {
  return db
    .selectFrom("cache_epochs")
    .leftJoin("cursor", "cursor.id", "cache_epochs.id")
    .select([
      sql<string[]>`(select coalesce(json_agg(t.jti), '[]') from revoked_tokens t where t.jti = any(${jtis}::text[]))`.as("by_id"),
      sql<[string, number][]>`(select coalesce(json_agg(json_build_array(s.subject, s.revoked_before)), '[]') from revoked_subjects s where s.subject = any(${subjects}::text[]))`.as("before"),
      "cursor.block_number",
      "cursor.block_hash",
      "cursor.block_timestamp",
      "cache_epochs.scopes",
      "cache_epochs.history",
    ])
    .where("cache_epochs.id", "=", 1);
}

/** What one shared read answers: the cursor, and whether each token it was asked for is revoked. */
type Check = { cursor: CursorWithEpochs | undefined; revoked(claims: TokenClaims): boolean };
const sharedChecks = new WeakMap<Kysely<Database>, (claims: TokenClaims | undefined) => Promise<Check>>();

/**
 * The revocation checks of requests arriving together, made in one statement (freshBatch: each
 * request's check is read after the request arrived, as its own statement would be). A caller
 * without claims (`undefined`: the response cache's cursor read, {@link sharedCursorOf}) takes the
 * cursor of the same statement.
 */
function sharedCheckOf(db: Kysely<Database>): (claims: TokenClaims | undefined) => Promise<Check> {
  let shared = sharedChecks.get(db);
  if (!shared) {
    shared = freshBatch(async (keys: (TokenClaims | undefined)[]): Promise<Check> => {
      const batch = keys.filter((c): c is TokenClaims => c !== undefined);
      const [r] = await revocationsAndCursorBatch(db, [...new Set(batch.map((c) => c.jti))], [...new Set(batch.map((c) => c.sub))]).execute();
      // No row only if cache_epochs lost its one row: every token counts as revoked (closed).
      if (!r) return { cursor: undefined, revoked: () => true };
      const ids = new Set(r.by_id);
      const before = new Map(r.before);
      return {
        cursor: cursorOf(r),
        revoked: (claims) => revokedBy(claims, { by_id: ids.has(claims.jti) ? claims.jti : null, before: before.get(claims.sub) ?? null }),
      };
    });
    sharedChecks.set(db, shared);
  }
  return shared;
}

/**
 * PostgreSQL: the indexer's cursor read after the call, in the statement of the revocation checks
 * read then: the response cache checks the cursor before it stores an answer, and those reads were
 * 10% of the API's statements under bench:api's realistic mix at 100k loans, beside the checks that
 * read the same cursor. bench:api:ab on PostgreSQL at 100k, 8 alternated rounds of 15 s: named
 * second 1,840 -> 2,277 req/s and 0.699 -> 0.551 ms CPU a request (6 of 8 pairs); named first
 * 2,041 -> 2,197 req/s and 0.614 -> 0.575 ms. The p99 medians moved both ways (84 -> 76.5 ms,
 * 81 -> 91.5 ms): within the noise of 8 rounds.
 */
export function sharedCursorOf(db: Kysely<Database>): () => Promise<CursorWithEpochs | undefined> {
  const shared = sharedCheckOf(db);
  return async () => (await shared(undefined)).cursor;
}

/** Revokes one token by id (idempotent). */
export async function revokeToken(db: Kysely<Database>, t: { jti: string; subject: Address; expiresAt: number }, nowSec: number): Promise<void> {
  await db
    .insertInto("revoked_tokens")
    .values({ jti: t.jti, subject: getAddress(t.subject), revoked_at: nowSec, expires_at: t.expiresAt })
    .onConflict((oc) => oc.column("jti").doNothing())
    .execute();
}

/** Revokes every token of `subject` issued at or before `nowSec` (sessions included). */
export async function revokeSubject(db: Kysely<Database>, subject: Address, nowSec: number): Promise<void> {
  await db
    .insertInto("revoked_subjects")
    .values({ subject: getAddress(subject), revoked_before: nowSec })
    .onConflict((oc) => oc.column("subject").doUpdateSet({ revoked_before: nowSec }))
    .execute();
}
