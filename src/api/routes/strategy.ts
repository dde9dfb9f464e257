import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import { Problem } from "../openapi";
import { route } from "../route";
import { StrategyPut, StrategyQuery, StrategyRecord } from "../schemas/strategy";
import { lenderOf, readStrategy, writeStrategy } from "../services/strategy";

const FORBIDDEN = { description: "Not the lender, one of its servicers or (to read) an auditor", schema: Problem, contentType: "application/problem+json" };
const NOT_FOUND = { description: "The lender has no strategy", schema: Problem, contentType: "application/problem+json" };

/** GET and PUT /v1/strategy: a lender's collection strategy and the models it reads (not chain data: never cached). */
export function registerStrategyRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/strategy",
      summary: "A lender's collection strategy in force, with its models",
      description: [
        "The strategy the scores, the queue's order and the notices follow for the lender's loans (its newest version, with the hash the chain",
        "records), and a summary of each model it reads: training window, horizons, features and held-out AUC, KS and Brier. `lender` defaults",
        "to the caller's when it acts for exactly one. Readable by the lender, its servicers and auditors; anyone else 403; 404 when none is set.",
      ].join(" "),
      tags: ["strategy"],
      request: { query: StrategyQuery },
      responses: { 200: { description: "The strategy in force", schema: StrategyRecord }, 403: FORBIDDEN, 404: NOT_FOUND },
    },
    async ({ query }, req) => {
      const scope = scopeOf(req);
      return readStrategy(services.db, scope, lenderOf(scope, query.lender));
    },
  );

  route(
    router,
    registry,
    {
      method: "put",
      path: "/v1/strategy",
      summary: "Set a lender's collection strategy",
      description: [
        "Validates the strategy (400 naming the field at fault) and puts it in force as the lender's next version: 201; the strategy in force",
        "sent again makes no version: 200. The models it names must be stored, or the one it names sent as `model` (a model file from",
        "`strategy train`). The lender and its servicers may set it; anyone else 403. Loans are scored under it at the next scoring pass.",
      ].join(" "),
      tags: ["strategy"],
      request: { query: StrategyQuery, body: StrategyPut },
      responses: { 201: { description: "Stored as a new version", schema: StrategyRecord }, 200: { description: "Already the strategy in force", schema: StrategyRecord }, 403: FORBIDDEN },
    },
    async ({ query, body }, req, res) => {
      const scope = scopeOf(req);
      const { record, created } = await writeStrategy(services.db, scope, lenderOf(scope, query.lender), body.strategy, body.model, services.now());
      res.status(created ? 201 : 200).json(record);
      return undefined;
    },
  );
}
