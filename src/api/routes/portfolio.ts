import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import type { Scope } from "../auth/scope";
import { ForbiddenError } from "../services/errors";
import { Problem } from "../openapi";
import { route } from "../route";
import { Portfolio, PortfolioQuery, PortfolioTrends, PortfolioTrendsQuery } from "../schemas/portfolio";
import { asOf } from "../services/loans";
import { portfolioReport, ROLL_WINDOW_DAYS, type PortfolioScope } from "../services/portfolio";
import { portfolioTrends, VINTAGE_DPD } from "../services/portfolio-trends";

/** Auditors see every lender (optionally one); lenders the lenders they act for (themselves, and those they service); others nothing. */
export function portfolioScope(scope: Scope, lender: string | undefined): PortfolioScope {
  if (scope.auditor) return { lenders: lender ? [lender] : "all" };
  if (scope.lenders.length === 0) throw new ForbiddenError("the portfolio is available to lenders and auditors");
  if (lender && !scope.lenders.includes(lender)) throw new ForbiddenError(`not a lender you act for: ${lender}`);
  return { lenders: lender ? [lender] : scope.lenders };
}

export function registerPortfolioRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/portfolio",
      summary: "Portfolio quality: buckets, classifications, roll rates, recoveries, collector activity",
      description: [
        "Lenders get their own loans (and those of lenders they service); auditors every loan, or one lender's with `?lender=`; anyone else 403.",
        "All figures are as of the indexed block in `asOf` (chain time), amounts decimal strings in minor units.",
        "",
        "**Buckets and classifications** cover open loans (active or charged off): DPD at asOf from the oldest unpaid installment,",
        "bucket M0 (0 DPD), M1 1–30, ..., M7+ over 180; classification with the loan's policy thresholds. Per group: loan count,",
        "outstanding principal, amount overdue (installments at least a day late, less what was paid on them) and penalty accrued",
        "(default interest plus late fees, unpaid). `statuses` counts every loan by lifecycle status.",
        "",
        `**Roll rates** compare T0 = asOf − ${ROLL_WINDOW_DAYS} days with asOf. The population is every loan registered at or before T0,`,
        "whose current schedule version started at or before T0, not written off or closed at T0 and not fully repaid at T0.",
        "Its bucket at T0 is the bucket of its DPD at T0, with the oldest unpaid installment at T0 taken as the current version's",
        "installment at the cursor after the last repayment of that version paid at or before T0 (`paidAt`: the block time of an",
        "on-chain payment, the value date of an off-chain one), or the first installment without one. Its state at asOf is its",
        "bucket at asOf, or `closed` / `written_off`. `rates[k]` is, for bucket Mk (k = 0..6): `loans` in Mk at T0, `rolled` = those",
        "in Mk+1 at asOf, `rate` = rolled / loans. `transitions` is the whole matrix.",
        "",
        "**Recoveries**: repayments with the recovery flag (paid after a charge-off): count and amount. **Collectors**: every",
        "action recorded on the loans in scope, per collector: all actions, contacts made (kind contact_made), promises to pay,",
        "actions carrying any compliance flag, and the time of the latest.",
      ].join("\n"),
      cache: services.cache,
      tags: ["portfolio"],
      request: { query: PortfolioQuery },
      responses: {
        200: { description: "The portfolio report", schema: Portfolio },
        403: { description: "Not a lender or auditor, or a lender filter the caller does not act for", schema: Problem, contentType: "application/problem+json" },
      },
    },
    async ({ query }, req) => {
      const scope = portfolioScope(scopeOf(req), query.lender);
      return portfolioReport(services.db, scope, await asOf(services.db));
    },
  );

  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/portfolio/trends",
      summary: "Portfolio history: ageing at each month-end, vintage curves",
      description: [
        "Who sees what is as for `GET /v1/portfolio`: lenders their own loans (and those of lenders they service), auditors every",
        "loan or one lender's with `?lender=`, anyone else 403. Chain time only: the month-ends are UTC month boundaries",
        "(00:00:00 UTC of a month's first day) at or before `asOf.timestamp`, the last `months` of them, oldest first.",
        "",
        "A loan's position at a month-end T is the roll rates' position at T0 (see `GET /v1/portfolio`): loans registered at or",
        "before T whose current schedule version started at or before T, not written off or closed at T and not fully repaid at T;",
        "the oldest unpaid installment at T is the current version's installment at the cursor after the last repayment of that",
        "version paid at or before T. DPD and bucket follow from it (M0 0 DPD, M1 1–30, ..., M7+ over 180). A loan restructured",
        "after T is not counted at T.",
        "",
        "**Ageing**: per month-end, open loans and amount overdue per bucket. Amount overdue is the unpaid principal and interest of",
        "every installment at least a day late at T (the version's repaid principal and interest up to T settle installments",
        "oldest first), in minor units.",
        "",
        `**Vintages**: per origination month (UTC month of registration) within the window, the loans originated, and for months on`,
        `book k = 0, 1, ... (the end of the origination month, then each month-end after it, never after asOf) the loans at least`,
        `${VINTAGE_DPD} days past due then, and their share of the loans originated. Closed and written-off loans count as not past due.`,
      ].join("\n"),
      cache: services.cache,
      tags: ["portfolio"],
      request: { query: PortfolioTrendsQuery },
      responses: {
        200: { description: "The month-end series", schema: PortfolioTrends },
        403: { description: "Not a lender or auditor, or a lender filter the caller does not act for", schema: Problem, contentType: "application/problem+json" },
      },
    },
    async ({ query }, req) => {
      const scope = portfolioScope(scopeOf(req), query.lender);
      return portfolioTrends(services.db, scope, await asOf(services.db), query.months);
    },
  );
}
