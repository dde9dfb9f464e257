import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { Hex } from "viem";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import { NotFoundError } from "../services/errors";
import { route } from "../route";
import { RelayStatusOut, TxHashParam } from "../schemas/actions";

/** GET /v1/relays/:txHash: the state of a transaction the API relayed for the caller. */
export function registerRelayRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/relays/:txHash",
      summary: "The state of a relayed action",
      description: [
        "For the caller who asked for the relay (404 for anyone else, and for a hash the API did not relay): `pending` until the",
        "transaction is included, then `included` (with its block) or `reverted`; `dropped` when its nonce went to another",
        "transaction (send the action again). Asking re-sends a pending transaction the node no longer holds. The action shows in",
        "the loan's trail once the indexer has its block.",
      ].join(" "),
      tags: ["collection"],
      request: { params: TxHashParam },
      responses: { 200: { description: "The relay's state", schema: RelayStatusOut } },
    },
    async ({ params }, req) => {
      const relays = services.relays;
      const txHash = params.txHash as Hex;
      const caller = relays ? await relays.callerOf(txHash) : undefined;
      if (!relays || caller !== scopeOf(req).address) throw new NotFoundError(`no relay ${txHash} of the caller`);
      const s = (await relays.refresh(txHash))!;
      return { txHash: s.txHash, status: s.state, loanId: String(s.loanId), nonce: s.nonce, blockNumber: s.blockNumber, requestedAt: s.createdAt };
    },
  );
}
