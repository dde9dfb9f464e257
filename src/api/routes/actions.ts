import crypto from "node:crypto";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import type { Address } from "viem";
import type { Scope } from "../auth/scope";
import { ForbiddenError, InvalidRequestError, UnavailableError } from "../services/errors";
import { route } from "../route";
import { ActionBody, ActionHeaders, ActionQuery, ActionTypedData, RelayedAction, TypedDataBody, UnsignedAction } from "../schemas/actions";
import { LoanIdParam } from "../schemas/common";
import { visibleLoan } from "../services/loans";
import { createIdempotencyStore, type StoredResponse } from "../services/idempotency";
import { actionTypedData, collectorNonce, preflight, relayAction, relayResponse, relaySignedAction, typedDataJson, unsignedAction } from "../services/relay";

/** How long a signature asked for without a deadline stays valid, in chain seconds. */
const DEFAULT_SIGNATURE_TTL_SEC = 3_600n;

/** POST /v1/loans/:loanId/actions: a collector logs an action (relayed, or as an unsigned transaction). */
export function registerActionRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const { db } = services;
  const idempotency = createIdempotencyStore({ db, now: services.now, maxPerCaller: services.options.idempotencyKeysPerCaller });
  const waitMs = services.options.relayWaitMs ?? 15_000;

  /** The loan is visible to the caller (else 404) and the caller is assigned to it now (else 403). */
  const requireAssigned = async (scope: Scope, loanId: number) => {
    await visibleLoan(db, scope, loanId);
    const assigned = await db.selectFrom("current_collectors").select("loan_id").where("loan_id", "=", loanId).where("collector", "=", scope.address).executeTakeFirst();
    if (!assigned) throw new ForbiddenError(`only a collector assigned to loan ${loanId} may log actions on it`);
  };

  route(
    router,
    registry,
    {
      method: "post",
      path: "/v1/loans/:loanId/actions/typed-data",
      summary: "The typed data a collector signs to have an action relayed",
      description: [
        "For an assigned collector (404 when the loan is not visible, 403 when not assigned): the EIP-712 `RecordAction` typed data of",
        "this action, the collector's current CollectionLog nonce and a deadline (chain time; default the chain's time + 1 hour), ready",
        "for eth_signTypedData_v4. Sign it with the collector's wallet and send the action with `signature`, `deadline` and `nonce` to",
        "POST /v1/loans/{loanId}/actions: the relayer submits CollectionLog.recordActionBySig and the trail names the collector.",
        "Nothing is sent or stored.",
      ].join(" "),
      tags: ["collection"],
      request: { params: LoanIdParam, body: TypedDataBody },
      responses: { 200: { description: "The typed data to sign", schema: ActionTypedData }, 503: { description: "No chain access" } },
    },
    async ({ params, body }, req) => {
      const scope = scopeOf(req);
      await requireAssigned(scope, params.loanId);
      const chain = services.chain;
      if (!chain) throw new UnavailableError("the API has no chain access configured (deployments and RPC_URL)");
      const { deadline: given, ...action } = body;
      const [nonce, block] = await Promise.all([collectorNonce(chain, scope.address), chain.client.getBlock()]);
      const deadline = given ?? block.timestamp + DEFAULT_SIGNATURE_TTL_SEC;
      const typed = actionTypedData(chain, scope.address, { loanId: params.loanId, ...action }, nonce, deadline);
      return { typedData: typedDataJson(typed), nonce: nonce.toString(), deadline: deadline.toString(), collector: scope.address };
    },
  );

  route(
    router,
    registry,
    {
      method: "post",
      path: "/v1/loans/:loanId/actions",
      summary: "Log a collection action",
      description: [
        "Only a collector assigned to the loan may log (404 when the loan is not visible to the caller, 403 when visible but not assigned).",
        "Default mode `relayed`: the collector signs the action (EIP-712 RecordAction from POST /v1/loans/{loanId}/actions/typed-data)",
        "and sends it with `signature`, `deadline` and `nonce`; the API checks the signature is the caller's (400 otherwise; 409 when the",
        "nonce is no longer the collector's next) and its relayer (RELAYER_KEY) submits CollectionLog.recordActionBySig, so the trail names",
        "the collector. Without a signature a relayed action is accepted only from the relayer's own account (a service account relaying",
        "as itself), which must be assigned to the loan on chain (409 otherwise). The relayer sends one nonce at a time and waits for",
        "inclusion: 201 `included` with the block, or 202 `pending` with the hash when it takes longer than RELAY_WAIT_MS (poll",
        "GET /v1/relays/{txHash}). Each caller may have RELAY_BUDGET_PER_DAY actions relayed per 24 h (429 beyond). Without a relayer:",
        "503 — use `?mode=unsigned`, which returns the recordAction transaction for the collector's own wallet. A contract refusal",
        "(future or stale occurredAt, expired signature, ...) is 422.",
        "Idempotency-Key: the same key with the same request returns the same response without a second transaction; with a different",
        "request it is 409. Keys are per caller, kept 24 h in the database (across restarts and API processes), at most",
        "IDEMPOTENCY_KEYS_PER_CALLER at once (429 beyond); failures are not remembered.",
      ].join(" "),
      tags: ["collection"],
      request: { params: LoanIdParam, query: ActionQuery, headers: ActionHeaders, body: ActionBody },
      responses: {
        201: { description: "Relayed and included in a block", schema: RelayedAction },
        202: { description: "Relayed, not yet included: poll GET /v1/relays/{txHash}", schema: RelayedAction },
        200: { description: "Unsigned: the transaction to sign and send", schema: UnsignedAction },
        403: { description: "The loan is visible but the caller is not assigned to it" },
        409: { description: "Idempotency-Key reused with another request, or the relayer is not assigned to the loan" },
        422: { description: "CollectionLog refused the action (the custom error and its arguments in `revert`)" },
        503: { description: "No chain access, or no relayer key configured (use ?mode=unsigned)" },
      },
    },
    async ({ params, query, headers, body }, req, res) => {
      const scope = scopeOf(req);
      await requireAssigned(scope, params.loanId);
      const chain = services.chain;
      if (!chain) throw new UnavailableError("the API has no chain access configured (deployments and RPC_URL)");
      const { signature, deadline, nonce, ...action } = body;
      const args = { loanId: params.loanId, ...action };
      const key = headers["idempotency-key"];
      const work = async (): Promise<StoredResponse> => {
        if (query.mode === "unsigned") {
          if (signature) throw new InvalidRequestError("a signature is for relayed mode; an unsigned transaction is sent from the collector's own wallet", [{ path: "body.signature", message: "not used with ?mode=unsigned" }]);
          await preflight(chain, scope.address, args);
          return { status: 200, body: { mode: "unsigned" as const, transaction: unsignedAction(chain, scope.address, args) } };
        }
        const relays = services.relays;
        if (!relays) throw new UnavailableError("no relayer key is configured (RELAYER_KEY): send the transaction from your own wallet with ?mode=unsigned");
        if (signature) return relaySignedAction(chain, relays, scope.address, args, { signature, deadline: deadline!, nonce: nonce! }, { waitMs, idempotencyKey: key });
        if (!sameAddress(scope.address, relays.address)) {
          throw new InvalidRequestError("a relayed action must carry the collector's EIP-712 signature, so that the trail names who acted", [
            { path: "body.signature", message: "required: sign the typed data from POST .../actions/typed-data and send signature, deadline and nonce (or use ?mode=unsigned)" },
          ]);
        }
        return relayAction(chain, relays, scope.address, args, { waitMs, idempotencyKey: key });
      };
      let out: StoredResponse & { replayed?: boolean };
      if (key) {
        const fingerprint = crypto
          .createHash("sha256")
          .update(JSON.stringify({ loanId: params.loanId, mode: query.mode, ...action, signature, deadline: deadline?.toString(), nonce: nonce?.toString() }))
          .digest("hex");
        // A key left pending by a process that died after sending: answer with that relay, never send twice.
        const recover = async () => {
          const s = await services.relays?.byIdempotencyKey(scope.address, key);
          return s ? relayResponse(s) : undefined;
        };
        out = await idempotency.run(scope.address, key, fingerprint, work, { recover });
        if (out.replayed) res.setHeader("Idempotent-Replayed", "true");
      } else {
        out = await work();
      }
      res.status(out.status).json(out.body);
      return undefined;
    },
  );
}

const sameAddress = (a: Address, b: Address) => a.toLowerCase() === b.toLowerCase();
