import { z } from "../openapi";
import { languageTag } from "../../pii/contact";
import { TEMPLATE_IDS } from "../../notify/template-ids";
import { Address, AddressOut, CursorUint, cursorSchema, Limit } from "./common";

export const NOTICE_STATUSES = ["pending", "deferred", "sent", "delivered", "failed", "cancelled", "orphaned"] as const;
export const NOTICE_CHANNELS = ["sms", "email", "letter", "webhook"] as const;
export const NOTICE_RECORD_STATES = ["due", "submitted", "recorded", "none"] as const;

/** `ntc_` + 32 hex digits (src/notify/ids.ts noticeId). */
const NoticeIdText = z.string().regex(/^ntc_[0-9a-f]{32}$/, "must be a notice id (ntc_ followed by 32 hex digits)");

export const NoticeIdParam = z.object({
  noticeId: NoticeIdText.openapi({ param: { name: "noticeId", in: "path" }, example: `ntc_${"0f".repeat(16)}` }),
});

const SORTS = ["-triggerAt", "triggerAt"] as const;
export type NoticeSort = (typeof SORTS)[number];

/** The key of a notices page: the sort, the last notice's trigger time and its id. */
const NoticesCursor = z.object({ s: z.enum(SORTS), k: CursorUint, id: NoticeIdText });

const listFields = {
  status: z.enum(NOTICE_STATUSES).optional(),
  channel: z.enum(NOTICE_CHANNELS).optional(),
  sort: z.enum(SORTS).default("-triggerAt").openapi({ description: "By the trigger's chain time: newest first (default) or oldest first" }),
  limit: Limit,
  cursor: cursorSchema(NoticesCursor).optional(),
};

export const NoticeListQuery = z
  .object({
    ...listFields,
    loanId: z
      .string()
      .regex(/^[1-9]\d{0,14}$/, "must be a positive integer loan id")
      .transform(Number)
      .optional(),
  })
  .strict();

export const LoanNoticeListQuery = z.object(listFields).strict();

export const Notice = z
  .object({
    id: z.string(),
    loanId: z.string(),
    lender: AddressOut,
    trigger: z
      .object({
        name: z.string().openapi({ description: "ReminderTriggered, PenaltyAssessed, ClassificationChanged, LoanDefaulted, RestructureProposed, PromiseRecorded, PaymentHolidayGranted, SettlementOffered, LoanSettled, ArrearsPlanCreated, ArrearsPlanBroken, PromiseBroken or Request" }),
        id: z.string(),
        at: z.number().int().openapi({ description: "Chain time of the trigger (its block, or the request)" }),
        block: z.number().int().nullable(),
        logIndex: z.number().int().nullable(),
        txHash: z.string().nullable(),
        requestedBy: AddressOut.nullable(),
      })
      .openapi({ description: "What caused the notice: a contract event (with its position), a derived trigger, or a request" }),
    channel: z.enum(NOTICE_CHANNELS),
    kind: z.string().openapi({ description: "reminder or notice (a formal notice, a demand letter)" }),
    step: z.number().int().openapi({ description: "Position in the plan's fallback order (0 first)" }),
    fallbackOf: z.string().nullable(),
    template: z.string(),
    templateVersion: z.number().int().nullable(),
    language: z.string().nullable(),
    status: z.enum(NOTICE_STATUSES),
    reason: z.string().nullable().openapi({ description: "Why deferred, failed or cancelled" }),
    nextAttemptAt: z.number().int().nullable().openapi({ description: "Pending or deferred: chain time from which it may be sent" }),
    attempts: z.number().int(),
    evidenceHash: z.string().nullable().openapi({ description: "0x SHA-256 of the exact rendered bytes (in the evidence store)" }),
    providerId: z.string().nullable(),
    sentAt: z.number().int().nullable(),
    deliveredAt: z.number().int().nullable(),
    onChain: z
      .object({ state: z.enum(NOTICE_RECORD_STATES).nullable(), txHash: z.string().nullable(), actionSeq: z.number().int().nullable() })
      .openapi({ description: "The notice's action in the loan's CollectionLog trail" }),
  })
  .openapi("Notice");

export const NoticeList = z.object({ items: z.array(Notice), nextCursor: z.string().nullable() }).openapi("NoticeList");

export const NoticeRequestBody = z
  .object({
    template: z
      .string()
      .min(1)
      .max(64)
      .openapi({ description: `A template id: ${TEMPLATE_IDS.join(", ")}`, example: "reminder.overdue" }),
    channel: z.enum(NOTICE_CHANNELS),
    language: languageTag.optional().openapi({ type: "string", description: "BCP 47 (zh-CN, en); default the borrower's preferred language" }),
  })
  .strict()
  .openapi("NoticeRequest");

export const NoticeRequestHeaders = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, "1 to 128 visible ASCII characters")
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description: "Same key and same request: the same notice, never a second one (kept 24 h in the database, per caller)",
    }),
});

const StatusCounts = z.object(Object.fromEntries(NOTICE_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof NOTICE_STATUSES)[number], z.ZodNumber>);

export const NoticeCounts = z
  .object({
    total: z.number().int(),
    statuses: StatusCounts,
    channels: z.array(z.object({ channel: z.enum(NOTICE_CHANNELS), total: z.number().int(), statuses: StatusCounts })).openapi({ description: "sms, email, letter, webhook: all four, in order" }),
  })
  .openapi("NoticeCounts");

export const NoticeCountsQuery = z
  .object({ lender: Address.optional().openapi({ description: "Only this lender's notices (auditors: any lender; lenders: one they act for)" }) })
  .strict();
