import { z } from "../openapi";
import { BUCKET_LABELS } from "../../domain";
import { STATUS_NAMES } from "../services/loans";
import { AddressOut, Amount, Settlement, CursorId, CursorPaddedAmount, cursorSchema, CursorUint, Limit, listOf } from "./common";
import { ChannelIn, ChannelOut, FLAG_NAMES, KindIn, KindOut } from "./collection";

export const QUEUE_ORDERS = ["strategy", "due"] as const;

export const QueueQuery = z
  .object({
    limit: Limit,
    order: z.enum(QUEUE_ORDERS).default("strategy").openapi({ description: "strategy (default): expected recovery first; due: oldest due date first (the order before strategies)" }),
    cursor: cursorSchema(z.object({ o: z.enum(QUEUE_ORDERS).optional(), e: CursorPaddedAmount.optional(), k: CursorUint, a: CursorPaddedAmount, id: CursorId, r: CursorUint })).optional(),
    channel: ChannelIn.optional().openapi({ description: "Channel the contact window is computed for (default call)" }),
    kind: KindIn.optional().openapi({ description: "Kind the contact window is computed for (default contact_made, the strictest call)" }),
  })
  .strict();
export type QueueQuery = z.infer<typeof QueueQuery>;

export const BrokenPromise = z
  .object({ seq: z.number().int(), amount: Amount, dueBy: z.number().int(), madeAt: z.number().int() })
  .openapi("BrokenPromise");

export const ReminderOut = z
  .object({
    stage: z.number().int(),
    offsetDays: z.number().int().openapi({ description: "Days relative to the installment's due date (negative: before)" }),
    installment: z.number().int(),
    dueDate: z.number().int(),
    dpd: z.number().int(),
    emittedAt: z.number().int().openapi({ description: "Block timestamp of the reminder event" }),
    block: z.number().int(),
  })
  .openapi("Reminder");

export const ContactWindowOut = z
  .object({
    channel: ChannelOut,
    kind: KindOut,
    allowedNow: z.boolean(),
    nextAllowedAt: z.number().int().nullable().openapi({ description: "Earliest chain time a contact would carry no flag if nothing else happens; null when only the borrower or lender can lift the block" }),
    reasons: z.array(z.enum(FLAG_NAMES)),
  })
  .openapi("ContactWindow");

export const ScoreReason = z.object({ feature: z.string(), text: z.string(), points: z.number().int() }).openapi("ScoreReason");

export const NEXT_ACTION_NAMES = ["call", "sms", "email", "letter", "visit", "legal-notice", "relief-offer", "none"] as const;

export const QueueStrategyOut = z
  .object({
    score: z.object({
      kind: z.enum(["behavioural", "earlyWarning"]).openapi({ description: "behavioural: P(pays the amount overdue within the horizon), for a delinquent loan; earlyWarning: P(reaches 30+ DPD within 90 days), for a current one" }),
      probability: z.number(),
      points: z.number().int(),
      model: z.string(),
      scoredAt: z.number().int().openapi({ description: "Chain time the score is as of" }),
      reasons: z.array(ScoreReason).openapi({ description: "Up to three features that lowered the score most against the portfolio average" }),
    }),
    segment: z.string(),
    arm: z.enum(["champion", "challenger"]),
    strategyVersion: z.number().int(),
    expectedRecovery: Amount.openapi({ description: "P(pays) × amount overdue (0 for a current loan), minor units" }),
    treatment: z.object({
      noticePlan: z.string(),
      maxContactsPer7Days: z.number().int(),
      escalation: z.array(z.object({ atDpd: z.number().int(), step: z.string() })),
      relief: z.string(),
    }),
    nextBestAction: z.object({
      action: z.enum(NEXT_ACTION_NAMES),
      // A union, not .nullable(): the document then says anyOf [Channel, null], which typed clients read as Channel | null.
      channel: z.union([ChannelOut, z.null()]).openapi({ description: "The action's channel; null when no contact is planned" }),
      dueAt: z.number().int().openapi({ description: "Chain time the treatment plans it for (score time + its days)" }),
      allowedNow: z.boolean().nullable().openapi({ description: "Whether the contact rules allow it now (null when no contact is planned)" }),
      nextAllowedAt: z.number().int().nullable(),
    }),
  })
  .openapi("QueueStrategy");

export const QueueItem = z
  .object({
    loanId: z.string(),
    rank: z.number().int().openapi({ description: "1-based position in the caller's queue (see the operation's description)" }),
    lender: AddressOut,
    borrower: AddressOut,
    settlement: Settlement.openapi({ description: "What amounts are in: a token (GET /v1/tokens/{address} for its decimals) or an ISO 4217 currency" }),
    state: z.enum(STATUS_NAMES),
    dpd: z.number().int(),
    bucket: z.enum(BUCKET_LABELS),
    amountOverdue: Amount,
    penaltyAccrued: Amount,
    promises: z.object({ broken: z.array(BrokenPromise), pending: z.number().int(), kept: z.number().int() }),
    reminder: ReminderOut.nullable().openapi({ description: "The latest reminder stage emitted for the loan" }),
    disputeOpen: z.boolean(),
    restrictedChannels: z.array(ChannelOut),
    contactWindow: ContactWindowOut,
    strategy: QueueStrategyOut.nullable().openapi({ description: "The loan's score, segment and next best action under its lender's strategy; null when the lender has none or the loan is not scored yet" }),
  })
  .openapi("QueueItem");
export type QueueItem = z.infer<typeof QueueItem>;

export const QueueList = listOf(QueueItem, "QueueList");
