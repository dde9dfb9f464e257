/**
 * A lender's collection strategy: which segment each open loan is in (score band × bucket ×
 * balance, first match wins) and what each segment's treatment is, plus an optional challenger that
 * a seeded share of every segment is assigned to. One shape for the CLI's file, the API's body and
 * the stored row (src/db/strategies.ts); its hash (SHA-256 of the canonical JSON) is what the chain
 * records with the lender's policy.
 *
 *   {
 *     "version": 1,
 *     "model": "m-5e1c0c2a9b1f",                   // the model version whose scores it reads
 *     "segments": [
 *       { "name": "self-cure", "when": { "score": "behavioural", "minProbability": 0.6, "buckets": ["M1"] },
 *         "treatment": { "noticePlan": "default", "nextAction": { "action": "sms", "inDays": 3 }, "maxContactsPer7Days": 1 } },
 *       …,
 *       { "name": "standard", "treatment": { … } }  // the last segment has no `when`: every other loan
 *     ],
 *     "challenger": { "share": 0.1, "seed": "2027-q1", "segments": [ … ] }   // optional
 *   }
 *
 * `when` (all optional, all must hold): `score` (which score applies: behavioural for a delinquent
 * loan, earlyWarning for a current one), `minProbability`/`maxProbability` (that score's
 * probability, inclusive), `buckets`, `minOverdue`/`maxOverdue` (amount overdue in minor units, as
 * decimal strings), `disputeOpen`.
 * A treatment: `noticePlan` (a segment of the lender's notice plan, or "default"), `nextAction`
 * (what the collector does next and in how many days), `maxContactsPer7Days` (contact intensity),
 * `escalation` (steps at a DPD: formal notice, lawyer's letter, legal action), `relief` (offer a
 * restructuring, a payment holiday, an arrears plan or a settlement: LoanRelief's, docs/ledger-rules.md "Relief").
 */
import crypto from "node:crypto";
import { z } from "zod";
import { BUCKET_LABELS, canonicalJson } from "../domain";
import { StrategyFileError } from "./errors";

export const NEXT_ACTIONS = ["call", "sms", "email", "letter", "visit", "legal-notice", "relief-offer", "none"] as const;
export const ESCALATION_STEPS = ["formal-notice", "lawyer-letter", "legal-action"] as const;
export const RELIEF_OFFERS = ["none", "restructure", "payment-holiday", "arrears-plan", "settlement"] as const;

const int = (min: number, max: number) => z.number({ error: `must be an integer from ${min} to ${max}` }).int(`must be an integer from ${min} to ${max}`).min(min, `must be an integer from ${min} to ${max}`).max(max, `must be an integer from ${min} to ${max}`);
const probability = z.number({ error: "must be a probability from 0 to 1" }).min(0, "must be a probability from 0 to 1").max(1, "must be a probability from 0 to 1");
const amount = z.string({ error: "must be an amount in minor units, as a decimal string" }).regex(/^(0|[1-9]\d{0,77})$/, "must be an amount in minor units, as a decimal string");
const oneOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `must be one of ${values.join(", ")}` });

const when = z
  .strictObject({
    score: oneOf(["behavioural", "earlyWarning"] as const).optional(),
    minProbability: probability.optional(),
    maxProbability: probability.optional(),
    buckets: z.array(oneOf(BUCKET_LABELS)).min(1, "must list at least one bucket").optional(),
    minOverdue: amount.optional(),
    maxOverdue: amount.optional(),
    disputeOpen: z.boolean({ error: "must be true or false" }).optional(),
  })
  .refine((w) => w.minProbability === undefined || w.maxProbability === undefined || w.minProbability <= w.maxProbability, { path: ["minProbability"], message: "must not exceed maxProbability" })
  .refine((w) => w.minOverdue === undefined || w.maxOverdue === undefined || BigInt(w.minOverdue) <= BigInt(w.maxOverdue), { path: ["minOverdue"], message: "must not exceed maxOverdue" });

const treatment = z.strictObject({
  noticePlan: z.string({ error: "must name a segment of the lender's notice plan, or default" }).regex(/^[A-Za-z0-9_-]{1,40}$/, "must name a segment of the lender's notice plan, or default"),
  nextAction: z.strictObject({ action: oneOf(NEXT_ACTIONS), inDays: int(0, 365) }),
  maxContactsPer7Days: int(0, 50),
  escalation: z
    .array(z.strictObject({ atDpd: int(1, 3650), step: oneOf(ESCALATION_STEPS) }))
    .max(10, "at most 10 steps")
    .refine((steps) => steps.every((s, i) => i === 0 || s.atDpd > steps[i - 1]!.atDpd), "steps must be in increasing atDpd")
    .optional(),
  relief: oneOf(RELIEF_OFFERS).optional(),
});

const segment = z.strictObject({
  name: z.string({ error: "must be a segment name" }).regex(/^[a-z][a-z0-9-]{0,39}$/, "must be lower-case letters, digits and dashes (at most 40), starting with a letter"),
  when: when.optional(),
  treatment,
});

const segments = z
  .array(segment)
  .min(1, "must list at least one segment")
  .max(50, "at most 50 segments")
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `${s.name} is named twice` });
      seen.add(s.name);
    });
    const last = list[list.length - 1];
    if (last?.when !== undefined && Object.keys(last.when).length > 0) ctx.addIssue({ code: "custom", path: [list.length - 1, "when"], message: "the last segment takes every other loan: it has no when" });
  });

const modelVersion = z.string({ error: "must be a model version m-<12 hex>" }).regex(/^m-[0-9a-f]{12}$/, "must be a model version m-<12 hex>");

export const strategyFileSchema = z.strictObject({
  version: z.literal(1, { error: "must be 1 (the strategy format's version)" }),
  model: modelVersion,
  segments,
  challenger: z
    .strictObject({
      share: z.number({ error: "must be a share from 0.01 to 0.5" }).min(0.01, "must be a share from 0.01 to 0.5").max(0.5, "must be a share from 0.01 to 0.5"),
      seed: z.string({ error: "must be a seed text (1–64 characters)" }).min(1, "must be a seed text (1–64 characters)").max(64, "must be a seed text (1–64 characters)"),
      model: modelVersion.optional(),
      segments,
    })
    .optional(),
});

/** A strategy file as the CLI reads it: `model` may be left out and given as a model file instead. */
export const strategyInputSchema = strategyFileSchema.extend({ model: modelVersion.optional() });

export type StrategyFile = z.infer<typeof strategyFileSchema>;
export type Segment = z.infer<typeof segment>;
export type Treatment = z.infer<typeof treatment>;

/**
 * Validates a strategy.
 * @throws StrategyFileError naming the first field at fault.
 */
export function parseStrategy(raw: unknown): StrategyFile {
  const r = strategyFileSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new StrategyFileError(`${i.path.join(".") || "(top level)"}: ${i.message}`);
  }
  return r.data;
}

/** The strategy's canonical JSON (keys sorted): what is stored and hashed. */
export const canonicalStrategy = (s: StrategyFile) => canonicalJson(s);

/** 0x SHA-256 of the canonical JSON: the hash the chain records with the lender's policy. */
export function strategyHash(s: StrategyFile): `0x${string}` {
  return `0x${crypto.createHash("sha256").update(canonicalStrategy(s)).digest("hex")}`;
}
