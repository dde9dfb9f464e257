import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import { verifyMessage, type Hex } from "viem";
import { generateSiweNonce, parseSiweMessage, validateSiweMessage } from "viem/siwe";
import type { ApiServices } from "../context";
import { BadRequestError, UnauthorizedError } from "../errors";
import { z } from "../openapi";
import { route } from "../route";
import { resolveScope } from "../auth/scope";
import { signToken } from "../auth/tokens";

const NONCE_TTL_SEC = 300;

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

/** Sign-In with Ethereum (EIP-4361): a single-use nonce, then a signed message for a bearer token. */
export function registerAuthRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const nonces = new Map<string, number>();
  const sweep = () => {
    const now = services.now();
    for (const [n, exp] of nonces) if (exp <= now) nonces.delete(n);
  };

  route(
    router,
    registry,
    {
      method: "post",
      path: "/v1/auth/nonce",
      summary: "A nonce for a Sign-In with Ethereum message",
      description: "Single use, valid for 5 minutes.",
      tags: ["auth"],
      auth: false,
      request: {},
      responses: { 200: { description: "The nonce", schema: NonceResponse } },
    },
    async () => {
      sweep();
      if (nonces.size > 100_000) throw new BadRequestError("too many outstanding nonces; retry shortly");
      const nonce = generateSiweNonce();
      const expiresAt = services.now() + NONCE_TTL_SEC;
      nonces.set(nonce, expiresAt);
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
      description:
        "Verifies the EIP-4361 message (domain, nonce, time window) and its signature (EOA, or ERC-1271 through the chain when the API has an RPC). Roles come from the chain, not the token.",
      tags: ["auth"],
      auth: false,
      request: { body: VerifyBody },
      responses: { 200: { description: "A session", schema: Session } },
    },
    async ({ body }, req) => {
      sweep();
      const message = parseSiweMessage(body.message);
      if (!message.address || !message.nonce) throw new BadRequestError("not a Sign-In with Ethereum message", [{ path: "body.message", message: "missing address or nonce" }]);
      const expires = nonces.get(message.nonce);
      if (expires === undefined) throw new UnauthorizedError("unknown or used nonce: request a new one from /v1/auth/nonce");
      nonces.delete(message.nonce);
      const domain = services.options.siweDomain ?? req.headers.host;
      if (!validateSiweMessage({ message, domain, nonce: message.nonce, time: new Date(services.now() * 1000) })) {
        throw new UnauthorizedError(`the message is not valid for domain ${domain} now`);
      }
      const signature = body.signature as Hex;
      const ok = services.chain
        ? await services.chain.client.verifySiweMessage({ message: body.message, signature, domain, nonce: message.nonce, time: new Date(services.now() * 1000) })
        : await verifyMessage({ address: message.address, message: body.message, signature }).catch(() => false);
      if (!ok) throw new UnauthorizedError("the signature does not match the message's address");
      const now = services.now();
      const expiresAt = now + services.options.sessionTtlSec;
      const token = signToken({ sub: message.address, kind: "session", iat: now, exp: expiresAt }, services.options.tokenSecret);
      const scope = await resolveScope(services.db, message.address);
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
