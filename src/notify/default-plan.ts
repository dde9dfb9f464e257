/**
 * The built-in notice plan: what a lender gets until it sets its own (src/db/notice-plans.ts
 * returns it as version 0). Reminders by SMS with email as fallback before, on and after the due
 * date (at the stages of the lender's LoanLedger policy); a formal default notice by letter, email as
 * fallback; the lawyer's demand letter by post at 90 days past due; the restructuring proposal by
 * email, then SMS, then letter; promise confirmations and broken-promise reminders by SMS, then
 * email; relief (a payment holiday's confirmation, a settlement offer and its confirmation, an arrears
 * plan's confirmation) by email, then letter, then SMS, and an arrears plan's end by SMS, then email; requests may send the fixed custom message on any borrower channel and the demand letter
 * by post from 30 days past due. No penalty or classification notices (a penalty can change every
 * day; the classification is the lender's business), no webhook copies (no URL). Caps: the
 * defaults, 2 a day and 5 in 7 days.
 */
import { parseNoticePlan, type NoticePlan } from "./plan";

export const DEFAULT_NOTICE_PLAN: NoticePlan = parseNoticePlan({
  version: 1,
  default: {
    rules: [
      { trigger: "ReminderTriggered", when: { maxOffsetDays: -1 }, template: "reminder.before-due", channels: ["sms", "email"] },
      { trigger: "ReminderTriggered", when: { minOffsetDays: 0, maxOffsetDays: 0 }, template: "reminder.due", channels: ["sms", "email"] },
      { trigger: "ReminderTriggered", when: { minOffsetDays: 1 }, template: "reminder.overdue", channels: ["sms", "email"] },
      { trigger: "LoanDefaulted", template: "default.notice", channels: ["letter", "email"], kind: "notice" },
      { trigger: "DpdReached", dpd: 90, template: "demand.letter", channels: ["letter"], kind: "notice" },
      { trigger: "RestructureProposed", template: "restructure.proposed", channels: ["email", "sms", "letter"] },
      { trigger: "PromiseRecorded", template: "promise.confirmation", channels: ["sms", "email"] },
      { trigger: "PromiseBroken", template: "promise.broken", channels: ["sms", "email"] },
      { trigger: "PaymentHolidayGranted", template: "holiday.confirmation", channels: ["email", "letter", "sms"] },
      { trigger: "SettlementOffered", template: "settlement.offer", channels: ["email", "letter", "sms"] },
      { trigger: "LoanSettled", template: "settlement.confirmation", channels: ["email", "letter", "sms"] },
      { trigger: "ArrearsPlanCreated", template: "arrears.confirmation", channels: ["email", "letter", "sms"] },
      { trigger: "ArrearsPlanBroken", template: "arrears.broken", channels: ["sms", "email", "letter"] },
      { trigger: "Request", template: "custom.request", channels: ["sms", "email", "letter"] },
      { trigger: "Request", when: { minDpd: 30 }, template: "demand.letter", channels: ["letter"], kind: "notice" },
    ],
  },
});
