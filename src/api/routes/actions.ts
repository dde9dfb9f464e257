import crypto from "node:crypto";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import { ForbiddenError, UnavailableError } from "../errors";
import { route } from "../route";
import { ActionBody, ActionHeaders, ActionQuery, RelayedAction, UnsignedAction } from "../schemas/actions";
import { LoanIdParam } from "../schemas/common";
import { visibleLoan } from "../services/loans";
import { createIdempotencyStore, type StoredResponse } from "../services/idempotency";
import { preflight, relayAction, relayResponse, unsignedAction } from "../services/relay";

/** POST /v1/loans/:loanId/actions: a collector logs an action (relayed, or as an unsigned transaction). */
export function registerActionRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const { db } = services;
  const idempotency = createIdempotencyStore({ db, now: services.now, maxPerCaller: services.options.idempotencyKeysPerCaller });
  const waitMs = services.options.relayWaitMs ?? 15_000;
  route(
    router,
    registry,
    {
      method: "post",
      path: "/v1/loans/:loanId/actions",
      summary: "Log a collection action",
      description: [
        "Only a collector assigned to the loan may log (404 when the loan is not visible to the caller, 403 when visible but not assigned).",
        "Default mode `relayed`: the API sends CollectionLog.recordAction with its relayer key, configured explicitly (RELAYER_KEY), one",
        "nonce at a time, and waits for inclusion: 201 `included` with the block, or 202 `pending` with the hash when it takes longer than",
        "RELAY_WAIT_MS (poll GET /v1/relays/{txHash}). On chain msg.sender records, so the action is attributed to the relayer, which must",
        "itself be assigned to the loan (409 otherwise). Each caller may have RELAY_BUDGET_PER_DAY actions relayed per 24 h (429 beyond).",
        "Without a relayer: 503 — use `?mode=unsigned`, which returns the transaction for the collector's own wallet (attributed to the",
        "collector). A contract refusal (future or stale occurredAt, ...) is 422.",
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
      await visibleLoan(db, scope, params.loanId);
      const assigned = await db.selectFrom("current_collectors").select("loan_id").where("loan_id", "=", params.loanId).where("collector", "=", scope.address).executeTakeFirst();
      if (!assigned) throw new ForbiddenError(`only a collector assigned to loan ${params.loanId} may log actions on it`);
      const chain = services.chain;
      if (!chain) throw new UnavailableError("the API has no chain access configured (deployments and RPC_URL)");
      const args = { loanId: params.loanId, ...body };
      const key = headers["idempotency-key"];
      const work = async (): Promise<StoredResponse> => {
        if (query.mode === "unsigned") {
          await preflight(chain, scope.address, args);
          return { status: 200, body: { mode: "unsigned" as const, transaction: unsignedAction(chain, scope.address, args) } };
        }
        const relays = services.relays;
        if (!relays) throw new UnavailableError("no relayer key is configured (RELAYER_KEY): send the transaction from your own wallet with ?mode=unsigned");
        return relayAction(chain, relays, scope.address, args, { waitMs, idempotencyKey: key });
      };
      let out: StoredResponse & { replayed?: boolean };
      if (key) {
        const fingerprint = crypto.createHash("sha256").update(JSON.stringify({ loanId: params.loanId, mode: query.mode, ...body })).digest("hex");
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
