import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import { Problem } from "../openapi";
import { route } from "../route";
import { AgencyParam, AgencyPlacements, AgencyStatement, MAX_STATEMENT_DAYS, StatementQuery } from "../schemas/agencies";
import { asOf } from "../services/loans";
import { placementStatus, ROUNDING, statementFor, visiblePlacements } from "../services/agencies";

const FORBIDDEN = { description: "Not the agency, a lender that placed loans with it (or its servicer), or an auditor", schema: Problem, contentType: "application/problem+json" } as const;

export function registerAgencyRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/agencies/:agency/placements",
      summary: "An agency's placements: loans, commission, period and status",
      description: [
        "The placements of loans with `agency` (CollectionLog's PlacementCreated and PlacementRecalled), oldest first. The agency sees",
        "all of its own; a lender (or its servicer) those of the lenders it acts for; an auditor all; anyone else 403.",
        "`status` is at `asOf` (chain time): scheduled before `start`, active in [start, end), ended from `end`, recalled once recalled.",
      ].join("\n"),
      cache: services.cache,
      tags: ["agencies"],
      request: { params: AgencyParam },
      responses: { 200: { description: "The placements", schema: AgencyPlacements }, 403: FORBIDDEN },
    },
    async ({ params }, req) => {
      const at = await asOf(services.db);
      const placements = await visiblePlacements(services.db, scopeOf(req), params.agency);
      return {
        items: placements.map((p) => ({
          placementId: String(p.id), lender: p.lender, agency: p.agency, commissionBps: p.commissionBps, start: p.start, end: p.end,
          recalledAt: p.recalledAt, status: placementStatus(p, at.timestamp), loanIds: p.loanIds.map(String),
        })),
        asOf: at,
      };
    },
  );

  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/agencies/:agency/statement",
      summary: "An agency's commission statement for a period, recomputable from chain events",
      description: [
        "Every payment on the agency's placed loans (LoanRepaid and LoanSettled `amount`) with `paidAt` in [from, to) and inside its",
        "placement's window [start, min(end, recalledAt)), with the commission on it, in chain order; totals per placement and unit",
        `(token or currency: amounts in different units are never added). Rounding: ${ROUNDING}.`,
        "The same statement comes from the chain alone with `npm run cli -- agencies statement --agency A --from F --to T`.",
        `\`from\` and \`to\` are unix seconds or UTC dates (YYYY-MM-DD, midnight UTC); at most ${MAX_STATEMENT_DAYS} days. Payments are as indexed at \`asOf\`.`,
        "Who sees what is as for the placements: a lender's statement has only its own placements' lines.",
      ].join("\n"),
      cache: services.cache,
      tags: ["agencies"],
      request: { params: AgencyParam, query: StatementQuery },
      responses: { 200: { description: "The statement", schema: AgencyStatement }, 403: FORBIDDEN },
    },
    async ({ params, query }, req) => statementFor(services.db, scopeOf(req), params.agency, query.from, query.to, await asOf(services.db)),
  );
}
