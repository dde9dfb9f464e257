import { JURISDICTION_PATTERN } from "../../domain/jurisdiction";
import { z } from "../openapi";
import { LoanScores } from "./strategy";
import { LoanRelief } from "./relief";
import { BUCKET_LABELS } from "../../domain";
import { CLASSIFICATION_NAMES, STATUS_NAMES } from "../services/loans";
import { Address, AddressOut, Amount, AsOf, Settlement, CursorId, CursorLogIndex, CursorPaddedAmount, cursorSchema, CursorUint, Limit, listOf } from "./common";

export const LoanStatusBlock = z
  .object({
    state: z.enum(STATUS_NAMES),
    dpd: z.number().int(),
    bucket: z.enum(BUCKET_LABELS),
    classification: z.enum(CLASSIFICATION_NAMES),
    amountOverdue: Amount,
    penaltyAccrued: Amount,
    outstandingPrincipal: Amount,
    outstandingInterest: Amount,
    nextDue: z.object({ date: z.number().int(), amount: Amount, installment: z.number().int() }).nullable(),
    defaulted: z.boolean(),
    observation: z.boolean(),
  })
  .openapi("LoanStatus");

export { Settlement };

export const LoanSummary = z
  .object({
    loanId: z.string(),
    lender: AddressOut,
    borrower: AddressOut,
    settlement: Settlement,
    principal: Amount,
    jurisdiction: z.string().openapi({ description: "ISO 3166 code the loan was registered under", example: "CN" }),
    status: LoanStatusBlock,
  })
  .openapi("LoanSummary");

export const LoanList = listOf(LoanSummary, "LoanList");

const SORTS = ["dpd", "-dpd", "amountOverdue", "-amountOverdue", "nextDue", "-nextDue"] as const;

/** The key of a loans page: the sort column's value (padded amount text, or the due key) and the loan id. */
const LoansCursor = z.union([
  z.object({ s: z.enum(["amountOverdue", "-amountOverdue"]), k: CursorPaddedAmount, id: CursorId }),
  z.object({ s: z.enum(["dpd", "-dpd", "nextDue", "-nextDue"]), k: CursorUint, id: CursorId }),
]);

export const LoanListQuery = z
  .object({
    status: z.enum(STATUS_NAMES).optional(),
    bucket: z.enum(BUCKET_LABELS).optional(),
    classification: z.enum(CLASSIFICATION_NAMES).optional(),
    lender: Address.optional(),
    collector: Address.optional(),
    jurisdiction: z
      .string()
      .regex(JURISDICTION_PATTERN, "must be an ISO 3166 code such as CN, GB or US-CA")
      .optional()
      .openapi({ description: "Only loans registered under this code; a country (US) also takes its subdivisions (US-NY)" }),
    minDpd: z.coerce.number().int().min(0).max(100_000).optional(),
    maxDpd: z.coerce.number().int().min(0).max(100_000).optional(),
    sort: z.enum(SORTS).default("-dpd"),
    limit: Limit,
    cursor: cursorSchema(LoansCursor).optional(),
  })
  .strict();

export const Installment = z.object({ index: z.number().int(), dueDate: z.number().int(), principal: Amount, interest: Amount }).openapi("Installment");

export const ScheduleVersion = z
  .object({
    version: z.number().int(),
    startedAt: z.number().int(),
    principal: Amount,
    scheduleHash: z.string().nullable(),
    replacedInterest: Amount,
    forgivenPenalty: Amount,
    txHash: z.string(),
    installments: z.array(Installment),
  })
  .openapi("ScheduleVersion");

export const LoanDetail = z
  .object({
    loanId: z.string(),
    lender: AddressOut,
    borrower: AddressOut,
    borrowerRef: z.string(),
    settlement: Settlement,
    principal: Amount,
    contractRateBps: z.number().int(),
    utcOffsetMinutes: z.number().int(),
    jurisdiction: z.string().openapi({ description: "ISO 3166 code the loan was registered under (CN, GB, US-CA); its rate cap and contact rules apply", example: "CN" }),
    policyId: z.number().int(),
    penaltyTerms: z.object({ graceDays: z.number().int(), penaltyRateBps: z.number().int(), capRoomBps: z.number().int(), lateFee: Amount }),
    registered: z.object({ block: z.number().int(), timestamp: z.number().int(), txHash: z.string() }),
    version: z.number().int(),
    status: LoanStatusBlock,
    scheduleVersions: z.array(ScheduleVersion),
    collectors: z.array(AddressOut),
    trail: z.object({ count: z.number().int(), head: z.string().nullable() }),
    restrictedChannels: z.array(z.number().int()),
    disputeOpen: z.boolean(),
    promises: z
      .array(z.object({ seq: z.number().int(), amount: Amount, dueBy: z.number().int(), madeAt: z.number().int(), status: z.enum(["pending", "kept", "broken"]) }))
      .openapi({ description: "Promises to pay in the order made, each pending, kept (paid in full by dueBy) or broken, at asOf" }),
    scores: LoanScores.openapi({ description: "The loan's strategy score now (null when its lender has no strategy or it is not scored yet) and its history" }),
    relief: LoanRelief,
    asOf: AsOf,
  })
  .openapi("LoanDetail");

export const TimelineEvent = z
  .object({
    block: z.number().int(),
    logIndex: z.number().int(),
    timestamp: z.number().int(),
    txHash: z.string(),
    contract: z.enum(["LoanLedger", "CollectionLog"]),
    event: z.string(),
    args: z.record(z.string(), z.unknown()),
  })
  .openapi("TimelineEvent");

export const Timeline = listOf(TimelineEvent, "Timeline");

export const TimelineQuery = z
  .object({
    limit: Limit,
    cursor: cursorSchema(z.object({ b: CursorUint, l: CursorLogIndex })).optional(),
  })
  .strict();

export { AsOf };
