import { z } from "../openapi";
import { AddressOut, AsOf } from "./common";
import { BatchLeafOut } from "./batches";
import { ChannelOut, FLAG_NAMES, KindOut } from "./collection";

export const TrailAction = z
  .object({
    seq: z.number().int(),
    collector: AddressOut,
    channel: ChannelOut,
    kind: KindOut,
    outcome: z.number().int(),
    occurredAt: z.number().int(),
    evidenceHash: z.string(),
    flags: z.object({ mask: z.number().int(), names: z.array(z.enum(FLAG_NAMES)) }),
    head: z.string().openapi({ description: "Trail head after this action (from the event)" }),
    txHash: z.string(),
    block: z.number().int(),
    logIndex: z.number().int(),
    timestamp: z.number().int(),
    notice: z
      .object({
        id: z.string(),
        template: z.string(),
        templateVersion: z.number().int().nullable(),
        language: z.string().nullable(),
        channel: z.enum(["sms", "email", "letter", "webhook"]),
        status: z.string(),
        trigger: z.string(),
        evidenceMatches: z.boolean().openapi({ description: "The action's evidenceHash is the SHA-256 of the rendered notice the outbox kept" }),
      })
      .nullable()
      .openapi({ description: "When the action is an automated notice: which one (GET /v1/notices/{id}), null otherwise" }),
  })
  .openapi("TrailAction");

export const BatchMembership = z
  .object({
    batchId: z.number().int(),
    merkleRoot: z.string(),
    count: z.number().int(),
    uri: z.string(),
    submitter: AddressOut,
    anchor: z.object({ block: z.number().int(), txHash: z.string() }),
    leaves: z.array(BatchLeafOut).openapi({ description: "This loan's leaves of the batch, each with its inclusion proof" }),
  })
  .openapi("BatchMembership");

export const TrailVerification = z
  .object({
    count: z.number().int().openapi({ description: "Indexed actions folded" }),
    onChainCount: z.number().int().nullable(),
    onChainHead: z.string().nullable().openapi({ description: "CollectionLog.trailOf at checkedAtBlock; null without chain access" }),
    recomputedHead: z.string().nullable().openapi({ description: "head_n recomputed from the indexed actions (src/domain trail)" }),
    valid: z.boolean(),
    checkedAtBlock: z.number().int(),
    reason: z.string().nullable().openapi({ description: "Why valid is false (null when valid)" }),
    problems: z.array(z.object({ kind: z.string(), seq: z.number().int(), message: z.string() })),
  })
  .openapi("TrailVerification");

export const LoanEvidence = z
  .object({
    loanId: z.string(),
    actions: z.array(TrailAction),
    batches: z.array(BatchMembership),
    verification: TrailVerification,
    asOf: AsOf,
  })
  .openapi("LoanEvidence");
