/**
 * What a notice plan says for one trigger: the pure function the dispatcher's planner calls for each
 * indexed event (and each promise broken or request), and the plan's caps and webhook. See
 * ./plan.ts for the plan's shape.
 */
import { CLASSIFICATION_NAMES } from "./templates/format";
import { TEMPLATES, type TemplateId } from "./templates/catalog";
import { DEFAULT_NOTICE_CAPS, type NoticePlan, type NoticeRule, type NoticeRuleset } from "./plan";
import type { NoticeChannel, NoticeKind } from "./types";

/**
 * A trigger as the planner sees it: the event's name and arguments, and the loan's DPD when it
 * happened (events carry it; for the others the planner reads the loan's).
 */
export type NoticeTrigger =
  | { name: "ReminderTriggered"; stage: number; offsetDays: number; installment: number; dpd: number }
  | { name: "PenaltyAssessed"; installment: number; dpd: number }
  | { name: "ClassificationChanged"; from: number; to: number; dpd: number }
  | { name: "LoanDefaulted"; installment: number; dpd: number }
  | { name: "RestructureProposed"; dpd: number }
  | { name: "PaymentHolidayGranted" | "SettlementOffered" | "LoanSettled" | "ArrearsPlanCreated" | "ArrearsPlanBroken"; dpd: number }
  | { name: "PromiseRecorded"; dpd: number }
  | { name: "PromiseBroken"; dpd: number }
  | { name: "Request"; template: string; channel: NoticeChannel; dpd: number };

/** One notice the plan asks for: a template on channels in fallback order. */
export interface PlannedNotice {
  template: TemplateId;
  /** Fallback order: the first the contact rules allow is tried first. `["webhook"]` for the lender's copy. */
  channels: NoticeChannel[];
  kind: NoticeKind;
  /** The rule that asked for it: `default.rules[2]`, `segments.hardship.rules[0]`. */
  rule: string;
  /**
   * Set when a DpdReached rule asked for it: its trigger is not the event but "installment
   * `installment` reached `dpd` days past due", whose id is {@link dpdReachedTriggerId} (one notice
   * per channel however many events cross the threshold).
   */
  dpdReached?: { dpd: number; installment: number };
}

/** Events that say which installment their DPD is about: the ones a DpdReached rule listens to. */
const DPD_SOURCES = new Set<NoticeTrigger["name"]>(["ReminderTriggered", "PenaltyAssessed", "LoanDefaulted"]);

/**
 * The trigger id of "installment `installment` (the chain's index) of schedule version
 * `scheduleVersion` of loan `loanId` reached `dpd` days past due": the same for every event that
 * crosses the threshold, so the demand letter is created once (src/notify/ids.ts noticeId).
 */
export function dpdReachedTriggerId(loanId: bigint | number, scheduleVersion: number, installment: number, dpd: number): string {
  return `dpd-reached:${loanId}:v${scheduleVersion}:${installment}:${dpd}`;
}

/** The ruleset for `segment` (its own if the plan has one, else the default) and its path. */
function rulesetFor(plan: NoticePlan, segment: string | undefined): { set: NoticeRuleset; path: string } {
  const own = segment !== undefined && plan.segments && Object.prototype.hasOwnProperty.call(plan.segments, segment) ? plan.segments[segment] : undefined;
  return own ? { set: own, path: `segments.${segment}` } : { set: plan.default, path: "default" };
}

/** Whether `rule`'s `when` accepts `t` (the trigger names already match). */
function accepts(rule: NoticeRule, t: NoticeTrigger): boolean {
  const w = rule.when;
  if (!w) return true;
  if (w.minDpd !== undefined && t.dpd < w.minDpd) return false;
  if (w.maxDpd !== undefined && t.dpd > w.maxDpd) return false;
  if (t.name === "ReminderTriggered") {
    if (w.stage && !w.stage.includes(t.stage)) return false;
    if (w.minOffsetDays !== undefined && t.offsetDays < w.minOffsetDays) return false;
    if (w.maxOffsetDays !== undefined && t.offsetDays > w.maxOffsetDays) return false;
  }
  if (t.name === "ClassificationChanged" && w.classification && !w.classification.includes(CLASSIFICATION_NAMES[t.to]!)) return false;
  return true;
}

/**
 * The notices `plan` asks for on trigger `trigger`, for a borrower in `segment` (the segment's
 * ruleset if the plan has one, else the default). Rules are read in order; each matching rule gives
 * a notice on its channels and, with `webhook: true`, one to the lender's webhook. A notice is one
 * per (trigger, channel): a channel an earlier rule took for the same trigger is dropped from later
 * ones (a rule left without channels gives nothing). A Request gets its own template and channel
 * when the first Request rule for that template allows the channel, else nothing.
 */
export function noticesFor(plan: NoticePlan, trigger: NoticeTrigger, segment?: string): PlannedNotice[] {
  const { set, path } = rulesetFor(plan, segment);
  const out: PlannedNotice[] = [];
  const taken = new Set<string>();
  set.rules.forEach((rule, i) => {
    const where = `${path}.rules[${i}]`;
    if (trigger.name === "Request") {
      if (out.length > 0 || rule.trigger !== "Request" || rule.template !== trigger.template || !accepts(rule, trigger)) return;
      const allowed = trigger.channel === "webhook" ? rule.webhook === true : (rule.channels as string[]).includes(trigger.channel);
      if (allowed) out.push({ template: rule.template, channels: [trigger.channel], kind: rule.kind ?? TEMPLATES[rule.template].kind, rule: where });
      return;
    }
    let dpdReached: PlannedNotice["dpdReached"];
    if (rule.trigger === "DpdReached") {
      if (!DPD_SOURCES.has(trigger.name) || trigger.dpd < rule.dpd! || !accepts(rule, trigger)) return;
      dpdReached = { dpd: rule.dpd!, installment: (trigger as { installment: number }).installment };
    } else if (rule.trigger !== trigger.name || !accepts(rule, trigger)) return;
    // Channels are taken per trigger id: the event's own, or the threshold's for DpdReached.
    const key = dpdReached ? `dpd:${dpdReached.dpd}` : "event";
    const free = (channels: readonly NoticeChannel[]) => channels.filter((c) => !taken.has(`${key}|${c}`));
    const kind = rule.kind ?? TEMPLATES[rule.template].kind;
    const groups = [free(rule.channels), rule.webhook ? free(["webhook"]) : []];
    for (const channels of groups) {
      if (channels.length === 0) continue;
      for (const c of channels) taken.add(`${key}|${c}`);
      out.push({ template: rule.template, channels, kind, rule: where, ...(dpdReached ? { dpdReached } : {}) });
    }
  });
  return out;
}

/** The frequency caps for a borrower in `segment`: the segment's, else the plan's, else 2 a day and 5 in 7 days (field by field). */
export function capsFor(plan: NoticePlan, segment?: string): { perDay: number; per7Days: number } {
  const { set } = rulesetFor(plan, segment);
  return {
    perDay: set.caps?.perDay ?? plan.caps?.perDay ?? DEFAULT_NOTICE_CAPS.perDay,
    per7Days: set.caps?.per7Days ?? plan.caps?.per7Days ?? DEFAULT_NOTICE_CAPS.per7Days,
  };
}

/** The lender's webhook endpoint, if the plan has one. */
export function webhookUrlOf(plan: NoticePlan): string | undefined {
  return plan.webhook?.url;
}
