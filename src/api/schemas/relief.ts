import { z } from "../openapi";
import { AddressOut, Amount } from "./common";

export const HOLIDAY_INTEREST_NAMES = ["accrued", "capitalised", "waived"] as const;
export const HOLIDAY_PLACEMENT_NAMES = ["end", "spread"] as const;
export const ARREARS_PLAN_STATUS_NAMES = ["in_force", "broken", "completed", "ended"] as const;
export const ARREARS_PART_OUTCOME_NAMES = ["kept", "missed", "pending", "unjudged"] as const;

const Breakdown = z.object({ penalty: Amount, interest: Amount, principal: Amount });

/** A loan's relief (docs/ledger-rules.md, "Relief"), as indexed. */
export const LoanRelief = z
  .object({
    holiday: z
      .object({
        version: z.number().int().openapi({ description: "The schedule version the holiday created" }),
        from: z.number().int().openapi({ description: "Granted at (block time)" }),
        to: z.number().int().openapi({ description: "Nothing is due or emitted until then: the last deferred installment's original due date" }),
        inForce: z.boolean().openapi({ description: "The loan is open and from <= asOf < to" }),
        installments: z.number().int(),
        interest: z.enum(HOLIDAY_INTEREST_NAMES),
        placement: z.enum(HOLIDAY_PLACEMENT_NAMES),
        deferredPrincipal: Amount,
        deferredInterest: Amount,
        waivedInterest: Amount,
        forgivenPenalty: Amount,
        txHash: z.string(),
      })
      .nullable()
      .openapi({ description: "The loan's last payment holiday, or null" }),
    arrearsPlan: z
      .object({
        createdAt: z.number().int().openapi({ description: "Created at (block time)" }),
        arrears: Amount.openapi({ description: "The arrears the parts add up to: amountOverdue + penaltyOutstanding at the creation" }),
        amountOverdue: Amount,
        penaltyOutstanding: Amount,
        status: z.enum(ARREARS_PLAN_STATUS_NAMES).openapi({
          description: "in_force; broken (a part was missed); completed (every part kept); ended (the loan ended while it was in force)",
        }),
        paid: Amount.openapi({ description: "Repaid since the creation (every part of every repayment), as the plan counts it" }),
        parts: z.array(
          z.object({
            dueDate: z.number().int(),
            amount: Amount,
            outcome: z.enum(ARREARS_PART_OUTCOME_NAMES).openapi({
              description: "kept or missed (judged by the first poke at or after dueDate); pending (not yet judged); unjudged (the plan ended first)",
            }),
            required: Amount.nullable().openapi({ description: "What had to be repaid since the creation by dueDate: the parts so far plus the installments due since; null until judged" }),
            paid: Amount.nullable().openapi({ description: "What had been repaid when the part was judged; null until judged" }),
            judgedAt: z.number().int().nullable(),
          }),
        ),
        txHash: z.string(),
      })
      .nullable()
      .openapi({ description: "The loan's last arrears plan (docs/ledger-rules.md, \"Arrears plan\"), or null" }),
    settlementOffer: z
      .object({
        amount: Amount,
        deadline: z.number().int(),
        expired: z.boolean().openapi({ description: "asOf > deadline: the offer can no longer be taken up" }),
        offeredAt: z.number().int(),
        owed: Breakdown.openapi({ description: "What was owed when it was offered" }),
        txHash: z.string(),
      })
      .nullable()
      .openapi({ description: "The last settlement offered and not taken up, while the loan is open; else null" }),
    settlement: z
      .object({
        amount: Amount,
        payer: AddressOut,
        paid: Breakdown,
        forgiven: Breakdown.openapi({ description: "What the settlement forgave (credit reporting, tax)" }),
        paidAt: z.number().int(),
        offChain: z.boolean(),
        bankRef: z.string(),
        txHash: z.string(),
      })
      .nullable()
      .openapi({ description: "The settlement that ended the loan, or null" }),
  })
  .openapi("LoanRelief");
