/**
 * The plan in force for a lender, as the planner and the dispatcher ask it. (Temporary built-in
 * plan until the lenders' stored plans land: reminders by SMS with email as fallback, formal
 * notices by letter and email.)
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import { DEFAULT_NOTICE_CAPS, type NoticeCaps } from "../domain";
import type { PlannedNotice, TriggerFacts } from "./planner";

export async function planFor(_db: Kysely<Database>, t: TriggerFacts): Promise<readonly PlannedNotice[]> {
  const offset = Number(t.args.offsetDays ?? 0);
  switch (t.name) {
    case "ReminderTriggered":
      return [{ template: offset < 0 ? "reminder.before-due" : offset === 0 ? "reminder.due" : "reminder.overdue", channels: ["sms", "email"], kind: "reminder", planVersion: null }];
    case "LoanDefaulted":
      return [{ template: "default.notice", channels: ["letter", "email"], kind: "notice", planVersion: null }];
    case "PromiseBroken":
      return [{ template: "promise.broken", channels: ["sms", "email"], kind: "reminder", planVersion: null }];
    case "PromiseRecorded":
      return [{ template: "promise.confirmation", channels: ["sms", "email"], kind: "reminder", planVersion: null }];
    case "RestructureProposed":
      return [{ template: "restructure.proposed", channels: ["email", "letter"], kind: "notice", planVersion: null }];
    default:
      return [];
  }
}

export async function capsFor(_db: Kysely<Database>, _lender: string): Promise<NoticeCaps> {
  return DEFAULT_NOTICE_CAPS;
}

export async function webhookUrlFor(_db: Kysely<Database>, _lender: string): Promise<string | undefined> {
  return undefined;
}
