/**
 * The lender's plan in force (src/db/notice-plans.ts: its newest version, else the built-in plan)
 * as the planner and the dispatcher ask it: which notices a trigger makes (src/notify/plan-rules.ts
 * noticesFor, with the ruleset of the loan's strategy segment), the frequency caps, the webhook
 * URL. A plan is read once per lender per minute.
 */
import type { Kysely } from "kysely";
import type { Address } from "viem";
import { currentPlan, type StoredNoticePlan } from "../db/notice-plans";
import { noticeSegmentOf, treatmentsOf } from "../db/strategies";
import type { Treatment } from "../strategy/strategy-file";
import type { Database } from "../db/schema";
import type { NoticeCaps } from "../domain";
import { capsFor as planCaps, dpdReachedTriggerId, noticesFor, webhookUrlOf, type NoticeTrigger } from "./plan-rules";
import type { PlannedNotice, TriggerFacts } from "./planner";

const TTL_MS = 60_000;
const cache = new Map<string, { at: number; plan: Promise<StoredNoticePlan> }>();

/** The plan in force for `lender`, cached for a minute (a new version applies within it). */
export function planInForce(db: Kysely<Database>, lender: string): Promise<StoredNoticePlan> {
  const hit = cache.get(lender);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.plan;
  const plan = currentPlan(db, lender as Address);
  plan.catch(() => cache.delete(lender));
  cache.set(lender, { at: Date.now(), plan });
  return plan;
}

const n = (v: unknown) => Number(v ?? 0);

/** The plan-rules view of a trigger. */
function triggerOf(t: TriggerFacts): NoticeTrigger | undefined {
  const a = t.args;
  const dpd = t.dpd ?? 0;
  switch (t.name) {
    case "ReminderTriggered":
      return { name: t.name, stage: n(a.stage), offsetDays: n(a.offsetDays), installment: n(a.installment), dpd };
    case "PenaltyAssessed":
    case "LoanDefaulted":
      return { name: t.name, installment: n(a.installment), dpd };
    case "ClassificationChanged":
      return { name: t.name, from: n(a.from), to: n(a.to), dpd };
    case "RestructureProposed":
    case "PromiseRecorded":
    case "PromiseBroken":
    case "PaymentHolidayGranted":
    case "SettlementOffered":
    case "LoanSettled":
    case "ArrearsPlanCreated":
    case "ArrearsPlanBroken":
      return { name: t.name, dpd };
    default:
      return undefined;
  }
}

/** The notices the lender's plan in force makes of trigger `t` (the planner's PlanFor). */
export async function planFor(db: Kysely<Database>, t: TriggerFacts): Promise<readonly PlannedNotice[]> {
  const trigger = triggerOf(t);
  if (!trigger) return [];
  const stored = await currentPlan(db, t.lender as Address); // inside the planner's transaction: not cached, so a plan set before the event applies
  // The loan's strategy segment picks the plan's ruleset (the plan's default when it has none of that name).
  const segment = noticeSegmentOf((await treatmentsOf(db, [Number(t.loanId)])).get(Number(t.loanId)));
  const out = noticesFor(stored.plan, trigger, segment);
  if (out.length === 0) return [];
  const version = out.some((p) => p.dpdReached) ? ((await db.selectFrom("loans").select("version").where("loan_id", "=", Number(t.loanId)).executeTakeFirst())?.version ?? 1) : 1;
  return out.map((p) => ({
    template: p.template,
    channels: p.channels,
    kind: p.kind,
    planVersion: stored.version,
    ...(p.dpdReached ? { triggerId: dpdReachedTriggerId(t.loanId, version, p.dpdReached.installment, p.dpdReached.dpd), trigger: "DpdReached" } : {}),
  }));
}

/**
 * The frequency caps for a loan of `lender` under `treatment` (its strategy segment's): the plan's
 * ruleset for that segment, its 7-day cap lowered to the treatment's contact intensity.
 */
export async function capsFor(db: Kysely<Database>, lender: string, treatment?: Treatment): Promise<NoticeCaps> {
  const caps = planCaps((await planInForce(db, lender)).plan, noticeSegmentOf(treatment));
  if (!treatment) return caps;
  const per7Days = Math.min(caps.per7Days, treatment.maxContactsPer7Days);
  return { perDay: Math.min(caps.perDay, per7Days), per7Days };
}

/** The lender's webhook URL in its plan in force, if any. */
export async function webhookUrlFor(db: Kysely<Database>, lender: string): Promise<string | undefined> {
  return webhookUrlOf((await planInForce(db, lender)).plan);
}
