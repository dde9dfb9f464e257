/**
 * Where a scored loan goes: its arm (champion or challenger, drawn from the strategy's seed and
 * the loan id alone, so re-indexing or re-scoring never moves a loan) and its segment (the first
 * whose `when` holds) — whose treatment the queue, the collector and the notices follow.
 */
import crypto from "node:crypto";
import type { BucketLabel } from "../domain";
import type { ScoreKind } from "./snapshots";
import type { Segment, StrategyFile } from "./strategy-file";

export type Arm = "champion" | "challenger";

/** What a segment's `when` reads of a loan. */
export interface SegmentInput {
  kind: ScoreKind;
  probability: number;
  bucket: BucketLabel;
  amountOverdue: bigint;
  disputeOpen: boolean;
}

/** The loan's arm: challenger when the seeded draw u = SHA-256(seed ":" loanId) / 2^256 falls below the share. */
export function armOf(strategy: StrategyFile, loanId: number): Arm {
  const c = strategy.challenger;
  if (!c) return "champion";
  const digest = crypto.createHash("sha256").update(`${c.seed}:${loanId}`).digest();
  // The first 6 bytes as a fraction of 2^48: exact in a double, ample resolution for a share.
  return digest.readUIntBE(0, 6) / 2 ** 48 < c.share ? "challenger" : "champion";
}

/** Whether `segment` takes the loan. */
export function matches(segment: Segment, x: SegmentInput): boolean {
  const w = segment.when;
  if (!w) return true;
  if (w.score !== undefined && w.score !== x.kind) return false;
  if (w.minProbability !== undefined && x.probability < w.minProbability) return false;
  if (w.maxProbability !== undefined && x.probability > w.maxProbability) return false;
  if (w.buckets !== undefined && !w.buckets.includes(x.bucket)) return false;
  if (w.minOverdue !== undefined && x.amountOverdue < BigInt(w.minOverdue)) return false;
  if (w.maxOverdue !== undefined && x.amountOverdue > BigInt(w.maxOverdue)) return false;
  if (w.disputeOpen !== undefined && w.disputeOpen !== x.disputeOpen) return false;
  return true;
}

/** The arm's segments, and the model they read. */
export function armOfStrategy(strategy: StrategyFile, arm: Arm): { model: string; segments: Segment[] } {
  if (arm === "challenger" && strategy.challenger) return { model: strategy.challenger.model ?? strategy.model, segments: strategy.challenger.segments };
  return { model: strategy.model, segments: strategy.segments };
}

/** The first segment that takes the loan (the last one takes every loan). */
export function segmentOf(segments: readonly Segment[], x: SegmentInput): Segment {
  return segments.find((s) => matches(s, x)) ?? segments[segments.length - 1]!;
}
