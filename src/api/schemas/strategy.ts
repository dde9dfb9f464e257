import { z } from "../openapi";
import { strategyFileSchema } from "../../strategy/strategy-file";
import { Address, AddressOut } from "./common";
import { ScoreReason } from "./queue";

/** A strategy, as src/strategy/strategy-file.ts validates it (the CLI's file and the stored rows use the same schema). */
export const StrategyFile = strategyFileSchema.meta({
  id: "StrategyFile",
  description:
    "Segments (first match wins; the last has no `when`) and their treatments, with an optional seeded challenger: `{ version: 1, model, segments: [{ name, when?: { score, minProbability, maxProbability, buckets, minOverdue, maxOverdue, disputeOpen }, treatment: { noticePlan, nextAction: { action, inDays }, maxContactsPer7Days, escalation?, relief? } }], challenger?: { share, seed, model?, segments } }`.",
});

export const StrategyQuery = z
  .object({
    lender: Address.optional().openapi({ description: "The lender (default: the caller's, when it acts for exactly one)" }),
  })
  .strict();

const ScoreSummary = z.object({
  target: z.string(),
  features: z.array(z.string()),
  metrics: z.object({ trainSnapshots: z.number().int(), testSnapshots: z.number().int(), auc: z.number().nullable(), ks: z.number().nullable(), brier: z.number().nullable() }),
});

export const ModelSummary = z
  .object({
    version: z.string(),
    trainedAt: z.number().int().openapi({ description: "Chain time of the newest data it learnt from" }),
    window: z.object({ from: z.number().int(), to: z.number().int(), testFrom: z.number().int(), dataEnd: z.number().int(), stepDays: z.number().int() }),
    horizons: z.object({ behaviouralDays: z.number().int(), earlyWarningDays: z.number().int(), earlyWarningDpd: z.number().int() }),
    dataHash: z.string(),
    scores: z.object({ behavioural: ScoreSummary, earlyWarning: ScoreSummary }),
  })
  .openapi("ModelSummary");

export const StrategyRecord = z
  .object({
    lender: AddressOut,
    version: z.number().int(),
    strategyHash: z.string().openapi({ description: "0x SHA-256 of the strategy's canonical JSON (sorted keys, no whitespace)" }),
    createdBy: z.string(),
    createdAt: z.number().int().openapi({ description: "When it was set (server clock, unix seconds)" }),
    strategy: StrategyFile,
    models: z.array(ModelSummary).openapi({ description: "The models it reads: its own, then its challenger's when another" }),
    onChain: z
      .array(
        z.object({
          strategyHash: z.string(),
          version: z.number().int().nullable().openapi({ description: "The stored version with that hash (null: none stored here)" }),
          policyId: z.number().int().openapi({ description: "The lender's LoanLedger policy in force when it was recorded" }),
          block: z.number().int(),
          timestamp: z.number().int().openapi({ description: "Block time: from then on this strategy was in force on chain" }),
        }),
      )
      .openapi({ description: "The lender's CollectionStrategySet events (strategy publish), newest first (at most 50): which strategy was in force when" }),
  })
  .openapi("StrategyRecord");
export type StrategyRecord = z.infer<typeof StrategyRecord>;

export const StrategyPut = z
  .object({
    strategy: StrategyFile,
    model: z.record(z.string(), z.unknown()).optional().openapi({ description: "A model file (strategy train's output) to store first, when the strategy names one not stored yet" }),
  })
  .strict()
  .openapi("StrategyPut");

/** What every score of a loan states (current or past). */
const scoreFields = {
  kind: z.enum(["behavioural", "earlyWarning"]),
  probability: z.number(),
  points: z.number().int(),
  model: z.string(),
  scoredAt: z.number().int(),
  segment: z.string(),
  arm: z.enum(["champion", "challenger"]),
};

export const LoanScoreOut = z.object(scoreFields).openapi("LoanScore");

export const LoanScoreNow = z
  .object({ ...scoreFields, reasons: z.array(ScoreReason), strategyVersion: z.number().int(), expectedRecovery: z.string() })
  .openapi("LoanScoreNow");

export const LoanScores = z
  .object({
    current: LoanScoreNow.nullable(),
    history: z.array(LoanScoreOut).openapi({ description: "Scores the loan has had, newest first (at most 100)" }),
  })
  .openapi("LoanScores");
export type LoanScores = z.infer<typeof LoanScores>;
