/**
 * The strategy part of a queue item: the loan's stored score (src/strategy/scorer.ts), its
 * segment's treatment under the strategy version that scored it, and the next best action with
 * whether the contact rules allow it now. Services know no HTTP.
 */
import type { Kysely } from "kysely";
import type { Address } from "viem";
import { Channel, contactWindow, DAY_SECONDS, Kind, type ComplianceState, type ContactPolicy, type JurisdictionRules } from "../../domain";
import type { Database, LoanScoresTable, LoansTable } from "../../db/schema";
import { strategyOf, type StoredStrategy } from "../../db/strategies";
import { armOfStrategy } from "../../strategy/segments";
import type { NEXT_ACTIONS } from "../../strategy/strategy-file";
import { channelOut } from "../schemas/collection";
import type { QueueItem } from "../schemas/queue";

/** The channel and kind of a next action (null: no contact planned). */
const CONTACT: Record<(typeof NEXT_ACTIONS)[number], { channel: number; kind: number } | null> = {
  call: { channel: Channel.Call, kind: Kind.ContactMade },
  sms: { channel: Channel.Sms, kind: Kind.ContactAttempt },
  email: { channel: Channel.Email, kind: Kind.ContactAttempt },
  letter: { channel: Channel.Letter, kind: Kind.ContactAttempt },
  visit: { channel: Channel.Visit, kind: Kind.ContactMade },
  "legal-notice": { channel: Channel.LawyerLetter, kind: Kind.LegalNotice },
  "relief-offer": { channel: Channel.Call, kind: Kind.PlanOffer },
  none: null,
};

/** The query of the stored score rows of `ids`. */
export function scoresQuery(db: Kysely<Database>, ids: number[]) {
  return db.selectFrom("loan_scores").selectAll().where("loan_id", "in", ids);
}

/** The stored scores of the loans whose score rows (scoresQuery) were read, and the strategy versions that made them. */
export async function scoresFrom(db: Kysely<Database>, rows: readonly LoanScoresTable[]): Promise<{ scores: Map<number, LoanScoresTable>; strategies: Map<string, StoredStrategy> }> {
  const scores = new Map<number, LoanScoresTable>();
  const strategies = new Map<string, StoredStrategy>();
  for (const r of rows) scores.set(Number(r.loan_id), r as LoanScoresTable);
  const wanted = new Map(rows.map((r) => [`${r.lender}:${r.strategy_version}`, r]));
  await Promise.all(
    [...wanted].map(async ([key, r]) => {
      const s = await strategyOf(db, r.lender as Address, Number(r.strategy_version));
      if (s) strategies.set(key, s);
    }),
  );
  return { scores, strategies };
}

/** The item's `strategy`: null when the loan has no score or its strategy version is gone. */
export function strategyOut(
  score: LoanScoresTable | undefined,
  strategies: Map<string, StoredStrategy>,
  row: LoansTable,
  state: ComplianceState,
  policy: ContactPolicy,
  t: bigint,
  rules?: JurisdictionRules | null,
): QueueItem["strategy"] {
  if (!score) return null;
  const stored = strategies.get(`${score.lender}:${score.strategy_version}`);
  const segment = stored && armOfStrategy(stored.strategy, score.arm).segments.find((s) => s.name === score.segment);
  if (!segment) return null;
  const next = segment.treatment.nextAction;
  const contact = CONTACT[next.action];
  const dueAt = Number(score.scored_at) + next.inDays * DAY_SECONDS;
  const window = contact
    ? contactWindow(state, policy, t > BigInt(dueAt) ? t : BigInt(dueAt), { oldestUnpaidDueDate: row.cursor_due === null ? null : BigInt(row.cursor_due), channel: contact.channel, kind: contact.kind }, rules)
    : undefined;
  return {
    score: {
      kind: score.kind,
      probability: Number(score.probability_ppm) / 1_000_000,
      points: Number(score.points),
      model: score.model,
      scoredAt: Number(score.scored_at),
      reasons: JSON.parse(score.reasons) as NonNullable<QueueItem["strategy"]>["score"]["reasons"],
    },
    segment: score.segment,
    arm: score.arm,
    strategyVersion: Number(score.strategy_version),
    expectedRecovery: BigInt(score.expected_recovery).toString(),
    treatment: {
      noticePlan: segment.treatment.noticePlan,
      maxContactsPer7Days: segment.treatment.maxContactsPer7Days,
      escalation: segment.treatment.escalation ?? [],
      relief: segment.treatment.relief ?? "none",
    },
    nextBestAction: {
      action: next.action,
      channel: contact ? channelOut(contact.channel) : null,
      dueAt,
      allowedNow: window ? window.allowedNow && t >= BigInt(dueAt) : null,
      nextAllowedAt: window ? (window.nextAllowedAt === null ? null : Number(window.nextAllowedAt)) : null,
    },
  };
}
