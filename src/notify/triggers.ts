/**
 * What can trigger a notice: the indexed contract events the planner reads, then the triggers no
 * event carries (a promise broken, a request, a DPD threshold reached). One list for the planner
 * (./planner.ts) and the plan's validation (./plan.ts).
 */

/** The contract events that may trigger notices. */
export const TRIGGER_EVENTS = [
  "ReminderTriggered",
  "PenaltyAssessed",
  "ClassificationChanged",
  "LoanDefaulted",
  "RestructureProposed",
  "PromiseRecorded",
  "PaymentHolidayGranted",
  "SettlementOffered",
  "LoanSettled",
  "ArrearsPlanCreated",
  "ArrearsPlanBroken",
] as const;
export type TriggerEvent = (typeof TRIGGER_EVENTS)[number];

/** Every trigger a plan rule may name. */
export const NOTICE_TRIGGERS = [...TRIGGER_EVENTS, "PromiseBroken", "Request", "DpdReached"] as const;
export type NoticeTriggerName = (typeof NOTICE_TRIGGERS)[number];
