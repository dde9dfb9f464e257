import { z } from "../openapi";
import { BUCKET_LABELS } from "../../domain";
import { CLASSIFICATION_NAMES } from "../services/loans";
import { Address, AddressOut, Amount, AsOf } from "./common";
import { MAX_TREND_MONTHS } from "../services/portfolio-trends";

export const PortfolioQuery = z
  .object({
    lender: Address.optional().openapi({ description: "Only this lender's loans (auditors: any lender; lenders: one they act for)" }),
  })
  .strict();

const Figures = {
  loans: z.number().int().openapi({ description: "Open loans (active or charged off)" }),
  outstandingPrincipal: Amount,
  amountOverdue: Amount,
  penaltyAccrued: Amount.openapi({ description: "Default interest and late fees accrued and unpaid at asOf" }),
};

export const PortfolioFigures = z.object(Figures).openapi("PortfolioFigures");

const Destination = z.enum([...BUCKET_LABELS, "closed", "written_off", "settled"]);

const ARM = z.enum(["champion", "challenger"]);

export const PortfolioStrategy = z
  .object({
    scoreDistribution: z
      .array(z.object({ kind: z.enum(["behavioural", "earlyWarning"]), bands: z.array(z.object({ from: z.number(), to: z.number(), loans: z.number().int() })) }))
      .openapi({ description: "Open scored loans by probability band (10 bands of 0.1), per score" }),
    segments: z.array(z.object({ arm: ARM, segment: z.string(), loans: z.number().int() })).openapi({ description: "Open scored loans per arm and segment" }),
    championChallenger: z.object({
      windowDays: z.number().int(),
      arms: z.array(
        z.object({
          arm: ARM,
          loans: z.number().int().openapi({ description: "Loans the arm scored as delinquent (behavioural) in the window" }),
          cured: z.number().int().openapi({ description: "Of those, loans now current or repaid" }),
          cureRate: z.number().nullable(),
          recovered: Amount.openapi({ description: "Repaid by those loans in the window (minor units)" }),
          contacts: z.number().int().openapi({ description: "Contact attempts, contacts made and promises taken on them in the window" }),
          recoveredPerContact: Amount.nullable(),
          promisesMade: z.number().int(),
          disputesFiled: z.number().int(),
        }),
      ),
    }),
  })
  .openapi("PortfolioStrategy");

export const Portfolio = z
  .object({
    totals: PortfolioFigures,
    buckets: z.array(z.object({ bucket: z.enum(BUCKET_LABELS), ...Figures })).openapi({ description: "M0..M7+, all eight, in order" }),
    classifications: z.array(z.object({ classification: z.enum(CLASSIFICATION_NAMES), ...Figures })).openapi({ description: "The five categories, in order" }),
    statuses: z
      .object({ active: z.number().int(), charged_off: z.number().int(), written_off: z.number().int(), closed: z.number().int(), settled: z.number().int() })
      .openapi({ description: "Every loan in scope by lifecycle status (buckets and classifications count open loans only)" }),
    rollRates: z.object({
      windowDays: z.number().int(),
      from: z.object({ timestamp: z.number().int().openapi({ description: "T0 = asOf.timestamp − windowDays days (chain time)" }) }),
      rates: z.array(
        z.object({
          from: z.enum(BUCKET_LABELS),
          to: z.enum(BUCKET_LABELS),
          loans: z.number().int().openapi({ description: "Loans in `from` at T0 (the denominator)" }),
          rolled: z.number().int().openapi({ description: "Of those, loans in `to` (the next bucket) at asOf" }),
          rate: z.number().nullable().openapi({ description: "rolled / loans, 4 decimals; null when no loan was in `from`" }),
        }),
      ),
      transitions: z
        .array(z.object({ from: z.enum(BUCKET_LABELS), to: Destination, loans: z.number().int() }))
        .openapi({ description: "The full matrix: loans by bucket at T0 and bucket (or closed / written_off / settled) at asOf; zero cells omitted" }),
    }),
    recoveries: z.object({ count: z.number().int(), amount: Amount }).openapi({ description: "Repayments flagged recovery (received after a charge-off)" }),
    collectors: z
      .array(
        z.object({
          collector: AddressOut,
          actions: z.number().int(),
          contactsMade: z.number().int(),
          promises: z.number().int(),
          flagged: z.number().int().openapi({ description: "Actions with any compliance flag" }),
          lastActionAt: z.number().int().nullable().openapi({ description: "Block timestamp of the collector's latest action" }),
        }),
      )
      .openapi({ description: "Actions on the loans in scope, per collector (every collector, also unassigned ones since)" }),
    strategy: PortfolioStrategy,
    relief: z
      .object({
        holidays: z.object({
          loans: z.number().int().openapi({ description: "Loans that were granted a payment holiday (each counts its last)" }),
          inForce: z.number().int().openapi({ description: "Open loans whose holiday has not ended (asOf < to)" }),
          ended: z.number().int().openapi({ description: "Past their `to`, or the loan ended sooner" }),
          curedAfter: z.number().int().openapi({ description: "Of the ended: current (open with DPD 0) or repaid in full at asOf" }),
          cureRate: z.number().nullable().openapi({ description: "curedAfter / ended, 4 decimals; null when none has ended" }),
        }),
        arrearsPlans: z.object({
          loans: z.number().int().openapi({ description: "Loans that had an arrears plan (each counts its last)" }),
          inForce: z.number().int().openapi({ description: "Open loans whose plan is in force" }),
          ended: z.number().int().openapi({ description: "Plans broken or completed, or whose loan ended" }),
          broken: z.number().int().openapi({ description: "Plans ended by a missed part (every plan, not only the last of each loan)" }),
          completed: z.number().int().openapi({ description: "Plans whose every part was kept (every plan)" }),
          partsKept: z.number().int().openapi({ description: "Parts judged kept (every plan)" }),
          curedAfter: z.number().int().openapi({ description: "Of the ended: current (open with DPD 0) or repaid in full at asOf" }),
          cureRate: z.number().nullable().openapi({ description: "curedAfter / ended, 4 decimals; null when none has ended" }),
        }),
        settlements: z.object({
          count: z.number().int(),
          amount: Amount.openapi({ description: "What the settlements paid, in minor units summed across currencies and tokens" }),
          forgiven: z.object({ penalty: Amount, interest: Amount, principal: Amount }),
          offersOpen: z.number().int().openapi({ description: "Open loans whose last settlement offer has not expired" }),
        }),
      })
      .openapi({ description: "Relief: payment holidays and arrears plans and their cure rate afterwards; settlements and what they forgave" }),
    asOf: AsOf,
  })
  .openapi("Portfolio");

export const PortfolioTrendsQuery = z
  .object({
    lender: Address.optional().openapi({ description: "Only this lender's loans (auditors: any lender; lenders: one they act for)" }),
    months: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_TREND_MONTHS)
      .default(12)
      .openapi({ description: `How many month-ends to cover, back from asOf (1..${MAX_TREND_MONTHS}, default 12)` }),
  })
  .strict();

const MonthEnd = {
  month: z.string().openapi({ description: "The month (UTC, YYYY-MM) that ends at `at`", example: "2025-03" }),
  at: z.number().int().openapi({ description: "The month-end: 00:00:00 UTC of the next month's first day (chain time, unix seconds)" }),
};

export const PortfolioTrends = z
  .object({
    months: z.number().int(),
    vintageDpd: z.number().int().openapi({ description: "A vintage point counts loans at least this many days past due (30: \"30+ DPD\")" }),
    ageing: z
      .array(
        z.object({
          ...MonthEnd,
          buckets: z
            .array(
              z.object({
                bucket: z.enum(BUCKET_LABELS),
                loans: z.number().int().openapi({ description: "Open loans in the bucket at the month-end" }),
                amountOverdue: Amount.openapi({ description: "Their principal and interest at least a day late and unpaid at the month-end" }),
              }),
            )
            .openapi({ description: "M0..M7+, all eight, in order" }),
        }),
      )
      .openapi({ description: "One entry per month-end, oldest first" }),
    vintages: z
      .array(
        z.object({
          month: z.string().openapi({ description: "Origination month (UTC, YYYY-MM): loans registered in it" }),
          originated: z.number().int().openapi({ description: "Loans in scope registered in that month (the denominator)" }),
          points: z.array(
            z.object({
              monthsOnBook: z.number().int().openapi({ description: "0 at the end of the origination month, k at the end of the k-th month after it" }),
              at: z.number().int().openapi({ description: "That month-end (chain time, unix seconds; never after asOf)" }),
              loans: z.number().int().openapi({ description: "Loans of the vintage at least `vintageDpd` days past due then" }),
              share: z.number().nullable().openapi({ description: "loans / originated, 4 decimals" }),
            }),
          ),
        }),
      )
      .openapi({ description: "Origination months within the window that originated any loan, oldest first" }),
    asOf: AsOf,
  })
  .openapi("PortfolioTrends");
