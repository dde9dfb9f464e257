import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { Hex } from "viem";
import { generateSiweNonce, parseSiweMessage, validateSiweMessage } from "viem/siwe";
import type { ApiServices } from "../context";
import { QuotaExceededError, UnauthenticatedError, UnavailableError } from "../services/errors";
import { z } from "../openapi";
import { route } from "../route";
import { resolveScope } from "../auth/scope";
import { newTokenId, signToken } from "../auth/tokens";

/** How long a nonce may be used, seconds. */
export const NONCE_TTL_SEC = 300;
/** Tolerated difference between the wallet's clock and the server's, seconds (issuedAt). */
const CLOCK_SKEW_SEC = 60;
/** Outstanding nonces in all, whatever the clients (a bound on the table). */
const MAX_NONCES = 100_000;

const NonceResponse = z.object({ nonce: z.string(), expiresAt: z.number().int() }).openapi("SiweNonce");
const VerifyBody = z
  .object({
    message: z.string().min(1).max(4_096).openapi({ description: "The EIP-4361 message the wallet signed" }),
    signature: z.string().regex(/^0x[0-9a-fA-F]+$/, "must be 0x-prefixed hex").max(4_096),
  })
  .strict();
const Session = z
  .object({
    token: z.string(),
    tokenType: z.literal("Bearer"),
    expiresAt: z.number().int(),
    address: z.string(),
    roles: z.object({ lender: z.boolean(), auditor: z.boolean(), collector: z.boolean(), servicerOf: z.array(z.string()) }),
  })
  .openapi("Session");

/** What a message must name: from configuration and the deployment, never from the request. */
interface Expected {
  domain: string;
  origin: string;
  chainId: number;
}

function expectedOf(services: ApiServices): Expected {
  const { siweDomain, siweUri } = services.options;
  if (!siweDomain || !siweUri) throw new UnavailableError("Sign-In with Ethereum is not configured on this server (SIWE_DOMAIN and SIWE_URI)");
  if (!services.chain) throw new UnavailableError("Sign-In with Ethereum needs the deployment's chain (deployments and RPC_URL)");
  return { domain: siweDomain.toLowerCase(), origin: new URL(siweUri).origin, chainId: services.chain.deployment.chainId };
}

const originOf = (uri: string): string | undefined => {
  try {
    return new URL(uri).origin;
  } catch {
    return undefined;
  }
};

/**
 * Checks the message's binding and time window against the server's configuration and wall clock
 * (sign-in is the one place the wall clock is right). Throws 401 naming the first field that differs.
 */
function checkBinding(message: ReturnType<typeof parseSiweMessage>, expected: Expected, nowSec: number): void {
  const fail = (field: string, why: string) => {
    throw new UnauthenticatedError(`the message's ${field} ${why}`);
  };
  if (!message.domain) fail("domain", "is missing");
  if (message.domain!.toLowerCase() !== expected.domain) fail("domain", `${message.domain} is not ${expected.domain}`);
  if (!message.uri) fail("uri", "is missing");
  if (originOf(message.uri!) !== expected.origin) fail("uri", `${message.uri} is not on ${expected.origin}`);
  if (message.chainId === undefined) fail("chain id", "is missing");
  if (message.chainId !== expected.chainId) fail("chain id", `${message.chainId} is not ${expected.chainId}`);
  if (message.version !== "1") fail("version", "must be 1");
  if (!message.issuedAt) fail("issuedAt", "is missing");
  const issued = Math.floor(message.issuedAt!.getTime() / 1000);
  if (issued > nowSec + CLOCK_SKEW_SEC) fail("issuedAt", "is in the future");
  if (issued < nowSec - NONCE_TTL_SEC - CLOCK_SKEW_SEC) fail("issuedAt", "is older than its nonce may be");
  // expirationTime and notBefore, against the wall clock.
  if (!validateSiweMessage({ message, time: new Date(nowSec * 1000) })) fail("time window", "(notBefore / expirationTime) does not include now");
}

/**
 * Sign-In with Ethereum (EIP-4361): a single-use nonce, then a signed message for a bearer token.
 * Nonces live in the database (shared by API processes, kept across restarts); a client address
 * may hold `siweNoncesPerClient` unused ones.
 */
export function registerAuthRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const { db } = services;
  let lastSweep = 0;
  const sweep = async (now: number) => {
    if (now - lastSweep < 60) return;
    lastSweep = now;
    await db.deleteFrom("auth_nonces").where("expires_at", "<=", now).execute();
  };

  route(
    router,
    registry,
    {
      method: "post",
      path: "/v1/auth/nonce",
      summary: "A nonce for a Sign-In with Ethereum message",
      description: `Single use, valid for 5 minutes. A client address may hold ${services.options.siweNoncesPerClient ?? 20} unused nonces at once (429 beyond).`,
      tags: ["auth"],
      auth: false,
      request: {},
      responses: { 200: { description: "The nonce", schema: NonceResponse } },
    },
    async (_input, req) => {
      const now = services.now();
      await sweep(now);
      const client = req.ip ?? "unknown";
      const perClient = services.options.siweNoncesPerClient ?? 20;
      const [mine, all] = await Promise.all([
        db.selectFrom("auth_nonces").select((eb) => eb.fn.countAll<number>().as("n")).where("client", "=", client).where("expires_at", ">", now).executeTakeFirstOrThrow(),
        db.selectFrom("auth_nonces").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
      ]);
      if (Number(mine.n) >= perClient) throw new QuotaExceededError(`this client already holds ${perClient} unused sign-in nonces; use one or wait for them to expire`, NONCE_TTL_SEC);
      if (Number(all.n) >= MAX_NONCES) throw new QuotaExceededError("too many outstanding sign-in nonces; retry shortly", 60);
      const nonce = generateSiweNonce();
      const expiresAt = now + NONCE_TTL_SEC;
      await db.insertInto("auth_nonces").values({ nonce, client, expires_at: expiresAt }).execute();
      return { nonce, expiresAt };
    },
  );

  route(
    router,
    registry,
    {
      method: "post",
      path: "/v1/auth/verify",
      summary: "Exchange a signed SIWE message for a bearer token",
      description: [
        "Verifies the EIP-4361 message and its signature (EOA, or ERC-1271/6492 through the chain). The message must name this server's",
        "configured domain (SIWE_DOMAIN), a URI on its configured origin (SIWE_URI) and the deployment's chain id, with a nonce from",
        "/v1/auth/nonce (single use), issuedAt within the nonce's lifetime and a time window (notBefore, expirationTime) that includes now:",
        "otherwise 401 naming the field. Nothing is taken from the request's Host or Origin. 503 when sign-in is not configured.",
        "Roles come from the chain, not the token.",
      ].join(" "),
      tags: ["auth"],
      auth: false,
      request: { body: VerifyBody },
      responses: { 200: { description: "A session", schema: Session }, 503: { description: "Sign-in is not configured (SIWE_DOMAIN, SIWE_URI, chain access)" } },
    },
    async ({ body }) => {
      const expected = expectedOf(services);
      let message: ReturnType<typeof parseSiweMessage> = {};
      try {
        message = parseSiweMessage(body.message);
      } catch {
        // answered below
      }
      // A message that lacks a field it must carry (or is not EIP-4361 at all) is not a sign-in: 401.
      if (!message.address || !message.nonce) throw new UnauthenticatedError("not a Sign-In with Ethereum message: the address, nonce, URI, version and chain id lines must all be there, in EIP-4361 order");
      const now = services.now();
      // The nonce is used up whatever follows, so a message can be tried once.
      const used = await db.deleteFrom("auth_nonces").where("nonce", "=", message.nonce).where("expires_at", ">", now).returning("nonce").executeTakeFirst();
      if (!used) throw new UnauthenticatedError("unknown, expired or used nonce: request a new one from /v1/auth/nonce");
      checkBinding(message, expected, now);
      const ok = await services.chain!.client.verifySiweMessage({
        message: body.message,
        signature: body.signature as Hex,
        domain: message.domain,
        nonce: message.nonce,
        time: new Date(now * 1000),
      });
      if (!ok) throw new UnauthenticatedError("the signature does not match the message's address");
      const expiresAt = now + services.options.sessionTtlSec;
      const token = signToken({ sub: message.address, kind: "session", iat: now, exp: expiresAt, jti: newTokenId() }, services.options.tokenSecret);
      const scope = await resolveScope(db, message.address);
      return {
        token,
        tokenType: "Bearer" as const,
        expiresAt,
        address: message.address,
        roles: { lender: scope.lender, auditor: scope.auditor, collector: scope.collector, servicerOf: scope.lenders.filter((l) => l !== message.address) },
      };
    },
  );
}
