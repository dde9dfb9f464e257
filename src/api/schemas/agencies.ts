import { z } from "../openapi";
import { Address, AddressOut, Amount, AsOf } from "./common";

/** The longest statement period, days: a statement is one response. */
export const MAX_STATEMENT_DAYS = 400;

export const AgencyParam = z.object({
  agency: Address.openapi({ param: { name: "agency", in: "path" }, description: "The agency's address" }),
});

/** A chain time: unix seconds, or a UTC date YYYY-MM-DD (its 00:00:00 UTC). */
const ChainTime = z
  .string()
  .regex(/^(\d{1,11}|\d{4}-\d{2}-\d{2})$/, "must be unix seconds or a UTC date YYYY-MM-DD")
  .transform((v, ctx) => {
    if (/^\d+$/.test(v)) return Number(v);
    const t = Date.parse(`${v}T00:00:00Z`);
    if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== v) {
      ctx.addIssue({ code: "custom", message: `not a calendar date: ${v}` });
      return z.NEVER;
    }
    return t / 1000;
  });

export const StatementQuery = z
  .object({
    from: ChainTime.openapi({ description: "Start of the period (inclusive): unix seconds or a UTC date YYYY-MM-DD", example: "2026-11-01" }),
    to: ChainTime.openapi({ description: "End of the period (exclusive): unix seconds or a UTC date YYYY-MM-DD", example: "2026-12-01" }),
  })
  .strict()
  .refine((q) => q.to > q.from, { message: "`to` must be after `from`", path: ["to"] })
  .refine((q) => q.to - q.from <= MAX_STATEMENT_DAYS * 86_400, { message: `a statement covers at most ${MAX_STATEMENT_DAYS} days`, path: ["to"] });

export const StatementLine = z
  .object({
    placementId: z.string().openapi({ description: "Placement id (decimal string, as loan ids)" }),
    loanId: z.string(),
    kind: z.enum(["repayment", "settlement"]).openapi({ description: "LoanRepaid or LoanSettled" }),
    amount: Amount,
    paidAt: z.number().int().openapi({ description: "The event's paidAt (chain time)" }),
    unit: z.string().openapi({ description: "What the amounts are in: the loan's token address, or its ISO 4217 currency" }),
    commissionBps: z.number().int(),
    commission: Amount.openapi({ description: "floor(amount × commissionBps / 10,000)" }),
    txHash: z.string(),
    blockNumber: z.number().int(),
    logIndex: z.number().int(),
  })
  .openapi("AgencyStatementLine");

export const AgencyStatement = z
  .object({
    agency: AddressOut,
    from: z.number().int(),
    to: z.number().int(),
    rounding: z.string().openapi({ description: "How the commission is rounded" }),
    lines: z.array(StatementLine),
    totals: z.array(z.object({ placementId: z.string(), unit: z.string(), payments: z.number().int(), recovered: Amount, commission: Amount })),
    asOf: AsOf,
  })
  .openapi("AgencyStatement");

export const AgencyPlacement = z
  .object({
    placementId: z.string(),
    lender: AddressOut,
    agency: AddressOut,
    commissionBps: z.number().int(),
    start: z.number().int(),
    end: z.number().int(),
    recalledAt: z.number().int().nullable(),
    status: z.enum(["scheduled", "active", "recalled", "ended"]).openapi({ description: "At asOf (chain time)" }),
    loanIds: z.array(z.string()),
  })
  .openapi("AgencyPlacement");

export const AgencyPlacements = z.object({ items: z.array(AgencyPlacement), asOf: AsOf }).openapi("AgencyPlacements");
