import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import { route } from "../route";
import { encodeCursor } from "../schemas/common";
import { QueueList, QueueQuery } from "../schemas/queue";
import { blockMemoOf, keptHistoryOf, requestAsOf } from "../services/loans";
import { InvalidRequestError } from "../services/errors";
import { queueItems, queueRows } from "../services/queue";
import { Channel, Kind } from "../../domain";

/** GET /v1/queue: the calling collector's prioritised work queue. */
export function registerQueueRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const { db } = services;
  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/queue",
      summary: "The calling collector's work queue",
      description: [
        "Loans assigned to the caller now and open (active or charged off), in the order of `order`. Priority (`rank`, 1-based over the whole queue):",
        "- `order=strategy` (default): higher expected recovery first (the loan's behavioural score × amount overdue, from its lender's strategy; loans",
        "  without a score count as 0), then as `due`;",
        "- `order=due`: 1. oldest unpaid due date first (highest DPD; loans with nothing due yet come last), 2. then larger amount overdue (as indexed",
        "  at the cursor block), 3. then lower loan id.",
        "Each item's `strategy` shows the score with its reasons, the segment and arm, the treatment, and the next best action with whether the",
        "contact rules allow it now. A cursor pages the order it was made for.",
        "The order uses indexed columns only (keyset pagination), so it is stable across pages. Broken promises, the latest reminder and the",
        "contact window are shown to help the collector choose, not mixed into the rank.",
        "`contactWindow` applies src/domain's compliance rules (the lender's contact policy or the default, tightened by the loan's",
        "jurisdiction's contact rules; the loan's recent calls,",
        "restricted channels, dispute state and UTC offset) at `asOf.timestamp` (chain time) for `channel`/`kind` (default a connected call).",
        "Callers not assigned to any loan get an empty list.",
      ].join("\n"),
      cache: services.cache,
      tags: ["collection"],
      request: { query: QueueQuery },
      responses: { 200: { description: "A page of the queue", schema: QueueList } },
    },
    async ({ query }, req) => {
      const scope = scopeOf(req);
      const at = await requestAsOf(db, req);
      if (!scope.collector) return { items: [], nextCursor: null, asOf: at };
      const c = query.cursor;
      if (c && (c.o ?? "due") !== query.order) throw new InvalidRequestError("the cursor belongs to another order", [{ path: "cursor", message: `this cursor pages the ${c.o ?? "due"} order: ask with order=${c.o ?? "due"}, or start again without a cursor` }]);
      const rows = await queueRows(db, scope.address, c ? { expected: c.e, dueKey: c.k, amountOverdue: c.a, loanId: c.id } : undefined, query.limit + 1, query.order, scope.agencyLoans);
      const page = rows.slice(0, query.limit);
      const rankBefore = c?.r ?? 0;
      const items = await queueItems(db, page, at, rankBefore, { channel: query.channel ?? Channel.Call, kind: query.kind ?? Kind.ContactMade }, keptHistoryOf(req, services.cache), blockMemoOf(req, services.cache));
      const last = page[page.length - 1];
      const nextCursor =
        rows.length > query.limit && last
          ? encodeCursor({ o: query.order, ...(query.order === "strategy" ? { e: last.expected_key } : {}), k: last.due_key, a: last.amount_overdue, id: last.loan_id, r: rankBefore + page.length })
          : null;
      return { items, nextCursor, asOf: at };
    },
  );
}
