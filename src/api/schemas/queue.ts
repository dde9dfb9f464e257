import { z } from "../openapi";
import { BUCKET_LABELS } from "../../domain";
import { STATUS_NAMES } from "../services/loans";
import { AddressOut, Amount, CursorId, CursorPaddedAmount, cursorSchema, CursorUint, Limit, listOf } from "./common";
import { ChannelIn, ChannelOut, FLAG_NAMES, KindIn, KindOut } from "./collection";

export const QueueQuery = z
  .object({
    limit: Limit,
    cursor: cursorSchema(z.object({ k: CursorUint, a: CursorPaddedAmount, id: CursorId, r: CursorUint })).optional(),
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

export const QueueItem = z
  .object({
    loanId: z.string(),
    rank: z.number().int().openapi({ description: "1-based position in the caller's queue (see the operation's description)" }),
    lender: AddressOut,
    borrower: AddressOut,
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
  })
  .openapi("QueueItem");
export type QueueItem = z.infer<typeof QueueItem>;

export const QueueList = listOf(QueueItem, "QueueList");
