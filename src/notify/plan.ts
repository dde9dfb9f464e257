/**
 * A lender's notice plan: which trigger sends which template, on which channels in which order of
 * fallback, as JSON validated here (zod). One shape for the CLI's file, the API's body and the
 * stored row (src/db/notice-plans.ts):
 *
 *   {
 *     "version": 1,                                  // the plan format's version (not the stored plan's)
 *     "webhook": { "url": "https://lender.example/hooks/duetrail" },   // optional: where `webhook: true` rules post
 *     "caps": { "perDay": 2, "per7Days": 5 },        // optional: notices per borrower (defaults 2 and 5)
 *     "default": { "rules": [ ...rules ] },          // the ruleset for every borrower...
 *     "segments": { "hardship": { "rules": [...], "caps": {...} } }  // ...unless the strategy puts one in a segment
 *   }
 *
 * A rule: `{ "trigger", "when"?, "dpd"?, "template", "channels", "webhook"?, "kind"? }`.
 *  - trigger: an indexed event (ReminderTriggered, PenaltyAssessed, ClassificationChanged,
 *    LoanDefaulted, RestructureProposed, PromiseRecorded; relief: PaymentHolidayGranted,
 *    SettlementOffered, LoanSettled), a derived one (PromiseBroken; DpdReached,
 *    below), or Request (POST /v1/loans/{id}/notices: the rules say which templates and channels a
 *    request may use).
 *  - when: narrows it: `minDpd`/`maxDpd` (any trigger: the DPD it happened at), `stage`,
 *    `minOffsetDays`/`maxOffsetDays` (ReminderTriggered: the policy's reminder stage and its day
 *    offset, negative before the due date), `classification` (ClassificationChanged: the new one).
 *  - DpdReached with `dpd: N`: the lawyer's demand letter at the DPD the lender sets. There is no
 *    such event: the first indexed event of the loan that carries a DPD of N or more and the
 *    installment it is about (ReminderTriggered, PenaltyAssessed, LoanDefaulted) triggers it, once
 *    per installment of a schedule version (its trigger id, {@link dpdReachedTriggerId}, is the
 *    same for every later event, so the outbox holds one notice however many events cross N).
 *  - channels: the borrower's channels (sms, email, letter) in fallback order: the first the
 *    contact rules allow is used, the next if it is not allowed or fails for good.
 *  - webhook: also post the notice to the lender's webhook (plan `webhook.url`), whatever happens
 *    on the borrower's channels.
 *  - kind: reminder or notice (a formal notice, recorded on chain as such); default the template's.
 */
import crypto from "node:crypto";
import { z } from "zod";
import { DEFAULT_NOTICE_CAPS } from "../domain";
import { canonicalJson } from "../domain/canonical-json";
import { NoticePlanError } from "./errors";
import { CLASSIFICATION_NAMES } from "./templates/format";
import { TEMPLATE_IDS, TEMPLATES, type TemplateId } from "./templates/catalog";

import { NOTICE_TRIGGERS, type NoticeTriggerName } from "./triggers";

export { NOTICE_TRIGGERS, type NoticeTriggerName };

/** The borrower's channels a rule can name, in fallback order (the lender's webhook is `webhook: true`). */
export const BORROWER_CHANNELS = ["sms", "email", "letter"] as const;
export type BorrowerChannel = (typeof BORROWER_CHANNELS)[number];

/** Notices per borrower when a plan sets no caps (src/domain's contact rules: 2 a day, 5 in 7 days). */
export { DEFAULT_NOTICE_CAPS };

/** The message of a missing or mistyped object (other issues keep their own). */
const objectError = (what: string) => ({ error: (i: { code: string; input?: unknown }) => (i.code !== "invalid_type" ? undefined : i.input === undefined ? "is required" : `must be ${what}`) });

const int = (min: number, max: number) => z.number({ error: `must be an integer from ${min} to ${max}` }).int(`must be an integer from ${min} to ${max}`).min(min, `must be an integer from ${min} to ${max}`).max(max, `must be an integer from ${min} to ${max}`);

const caps = z
  .strictObject({ perDay: int(0, 50).optional(), per7Days: int(0, 200).optional() }, objectError("an object { perDay, per7Days }"))
  .refine((c) => c.perDay === undefined || c.per7Days === undefined || c.perDay <= c.per7Days, { path: ["perDay"], message: "must not exceed per7Days" });

const when = z.strictObject(
  {
    minDpd: int(0, 36_500).optional(),
    maxDpd: int(0, 36_500).optional(),
    stage: z.array(int(0, 255), { error: "must be an array of stages" }).min(1, "must list at least one stage").max(32, "at most 32 stages").optional(),
    minOffsetDays: int(-3650, 3650).optional(),
    maxOffsetDays: int(-3650, 3650).optional(),
    classification: z
      .array(z.enum(CLASSIFICATION_NAMES, { error: (i) => `unknown classification ${JSON.stringify(i.input)} (one of ${CLASSIFICATION_NAMES.join(", ")})` }), { error: "must be an array of classifications" })
      .min(1, "must list at least one classification")
      .optional(),
  },
  objectError("an object of conditions"),
);

/** Which `when` fields apply to which triggers (absent: all). */
const WHEN_ONLY: Partial<Record<keyof z.infer<typeof when>, readonly NoticeTriggerName[]>> = {
  stage: ["ReminderTriggered"],
  minOffsetDays: ["ReminderTriggered"],
  maxOffsetDays: ["ReminderTriggered"],
  classification: ["ClassificationChanged"],
};

const rule = z
  .strictObject(
    {
      trigger: z.enum(NOTICE_TRIGGERS, { error: (i) => (i.input === undefined ? "is required" : `unknown trigger ${JSON.stringify(i.input)} (one of ${NOTICE_TRIGGERS.join(", ")})`) }),
      when: when.optional(),
      dpd: int(1, 36_500).optional(),
      template: z.enum(TEMPLATE_IDS, { error: (i) => (i.input === undefined ? "is required" : `unknown template ${JSON.stringify(i.input)}`) }),
      channels: z.array(
        z.enum(BORROWER_CHANNELS, { error: (i) => `unknown channel ${JSON.stringify(i.input)} (one of ${BORROWER_CHANNELS.join(", ")}; the lender's webhook is "webhook": true)` }),
        { error: (i) => (i.input === undefined ? "is required" : "must be an array of channels in fallback order") },
      ),
      webhook: z.boolean({ error: "must be true or false" }).optional(),
      kind: z.enum(["reminder", "notice"], { error: 'must be "reminder" or "notice"' }).optional(),
    },
    objectError("an object (a rule)"),
  )
  .superRefine((r, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if (r.channels.length === 0 && !r.webhook) issue(["channels"], "must name at least one channel (or set webhook)");
    r.channels.forEach((c, i) => {
      if (r.channels.indexOf(c) !== i) issue(["channels", i], `"${c}" is listed twice`);
      else if (!TEMPLATES[r.template].channels.includes(c)) issue(["channels", i], `template "${r.template}" has no ${c} form (it has ${TEMPLATES[r.template].channels.join(", ")})`);
    });
    if (r.webhook && !TEMPLATES[r.template].channels.includes("webhook")) issue(["webhook"], `template "${r.template}" has no webhook form`);
    if (r.trigger === "DpdReached" && r.dpd === undefined) issue(["dpd"], "is required for DpdReached (the DPD that sends it)");
    if (r.trigger !== "DpdReached" && r.dpd !== undefined) issue(["dpd"], "applies to DpdReached only (use when.minDpd)");
    for (const [field, triggers] of Object.entries(WHEN_ONLY)) {
      if (r.when?.[field as keyof typeof WHEN_ONLY] !== undefined && !triggers!.includes(r.trigger)) issue(["when", field], `applies to ${triggers!.join(", ")} only`);
    }
    const w = r.when;
    if (w?.minDpd !== undefined && w.maxDpd !== undefined && w.minDpd > w.maxDpd) issue(["when", "maxDpd"], "must not be below minDpd");
    if (w?.minOffsetDays !== undefined && w.maxOffsetDays !== undefined && w.minOffsetDays > w.maxOffsetDays) issue(["when", "maxOffsetDays"], "must not be below minOffsetDays");
  });

const ruleset = z.strictObject({ rules: z.array(rule, { error: "must be an array of rules" }).max(100, "at most 100 rules"), caps: caps.optional() }, objectError("an object { rules, caps? }"));

const webhookUrl = z
  .string({ error: "must be an http or https URL" })
  .max(2048, "must be at most 2048 characters")
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "https:" || u.protocol === "http:") && u.hostname !== "";
    } catch {
      return false;
    }
  }, "must be an http or https URL")
  .refine((s) => !/^[a-z]+:\/\/[^/?#]*@/i.test(s), "must not carry a user name or password (webhooks are signed, see the Standard Webhooks headers)");

/** A segment's name, as the strategy names it. */
const SEGMENT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The plan, as validated (zod). */
export const noticePlanSchema = z
  .strictObject(
    {
      version: z.literal(1, { error: "must be 1 (the plan format's version)" }),
      webhook: z.strictObject({ url: webhookUrl }, objectError("an object { url }")).optional(),
      caps: caps.optional(),
      default: ruleset,
      segments: z
        .record(z.string().regex(SEGMENT_NAME), ruleset, { error: (i) => (i.code === "invalid_key" ? "a segment name is 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit" : undefined) })
        .refine((s) => Object.keys(s).length <= 50, "at most 50 segments")
        .optional(),
    },
    objectError("a JSON object (a notice plan)"),
  )
  // Runs even when other parts of the plan are invalid (`when`), so the missing URL is reported
  // with the rest: it reads the raw value defensively.
  .superRefine(
    (p, ctx) => {
      if (p.webhook !== undefined) return;
      const sets: [(string | number)[], unknown][] = [[["default"], p.default], ...Object.entries(isObject(p.segments) ? p.segments : {}).map(([name, set]): [(string | number)[], unknown] => [["segments", name], set])];
      for (const [path, set] of sets) {
        const rules = isObject(set) && Array.isArray(set.rules) ? (set.rules as unknown[]) : [];
        rules.forEach((r, i) => {
          if (isObject(r) && r.webhook === true) ctx.addIssue({ code: "custom", path: [...path, "rules", i, "webhook"], message: "needs the plan's webhook.url" });
        });
      }
    },
    { when: (payload) => isObject(payload.value) },
  );

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export type NoticePlan = z.infer<typeof noticePlanSchema>;
export type NoticeRuleset = NoticePlan["default"];
export type NoticeRule = NoticeRuleset["rules"][number];
export type { TemplateId };

/** One problem of a plan: where (`default.rules[2].template`) and what. */
export interface PlanProblem {
  path: string;
  message: string;
}

/** A plan that does not validate: every problem, each with its path. */
export class InvalidNoticePlanError extends NoticePlanError {
  override name = "InvalidNoticePlanError";
  constructor(readonly problems: PlanProblem[]) {
    const lines = problems.map((p) => `${p.path || "(plan)"}: ${p.message}`);
    super(`invalid notice plan: ${lines[0]}${lines.length > 1 ? ` (and ${lines.length - 1} more)` : ""}`, lines.length > 1 ? { details: lines.join("\n") } : {});
  }
}

/** `default.rules[2].template` for the path ["default", "rules", 2, "template"]. */
export function planPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, p) => (typeof p === "number" ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), "");
}

/**
 * Validates a plan (parsed JSON).
 * @throws InvalidNoticePlanError (a NoticePlanError) listing every problem with its path, e.g.
 *   `default.rules[2].template: unknown template "x"`.
 */
export function parseNoticePlan(raw: unknown): NoticePlan {
  const r = noticePlanSchema.safeParse(raw);
  if (r.success) return r.data;
  throw new InvalidNoticePlanError(r.error.issues.flatMap((i) => (i.code === "unrecognized_keys" ? i.keys.map((k) => ({ path: planPath([...i.path, k]), message: "is not a field of a notice plan" })) : [{ path: planPath(i.path), message: i.message }])));
}

/** The plan's canonical JSON (sorted keys, no whitespace): what is stored and hashed. */
export function canonicalPlan(plan: NoticePlan): string {
  return canonicalJson(plan);
}

/** 0x + SHA-256 of the plan's canonical JSON. */
export function noticePlanHash(plan: NoticePlan): `0x${string}` {
  return `0x${crypto.createHash("sha256").update(canonicalPlan(plan)).digest("hex")}`;
}
