/**
 * Keeps every open loan's score current: a pass scores the loans of lenders with a strategy in
 * force whose score is missing, older than a chain day, made before the loan's row last changed
 * (an event), or made under another strategy version; a loan that closed loses its score. Scores
 * are as of the indexed head (chain time), stored with the model version, never on chain. A pass
 * works through `limit` loans at most, a chunk at a time, so memory stays bounded whatever the
 * book's size.
 */
import type { Kysely } from "kysely";
import { AMOUNT_SORT_WIDTH } from "../db/loans";
import type { Database, LoanScoresTable } from "../db/schema";
import { loadModels, modelsOf, strategiesInForce, type StoredStrategy } from "../db/strategies";
import { bucketLabel, bucketOf, DAY_SECONDS } from "../domain";
import { expectedRecovery } from "./backtest";
import { HISTORY_CHUNK } from "./history";
import { scorecardOf, type ModelFile } from "./model-file";
import { featuresAtTime, scoreLoan } from "./score";
import { armOf, armOfStrategy, segmentOf } from "./segments";
import { indexedHead } from "./train";

export interface ScorePassResult {
  scored: number;
  removed: number;
  /** Chain time the scores are as of. */
  at: number;
}

const pad = (v: bigint) => v.toString().padStart(AMOUNT_SORT_WIDTH, "0");

/** The loans a pass should score: open, of a lender with a strategy, and not scored since it last changed, today, under this version. */
async function dueForScoring(db: Kysely<Database>, strategies: Map<string, StoredStrategy>, now: number, limit: number): Promise<number[]> {
  if (strategies.size === 0) return [];
  const versions = [...strategies.values()];
  const rows = await db
    .selectFrom("loans")
    .leftJoin("loan_scores", "loan_scores.loan_id", "loans.loan_id")
    .select("loans.loan_id")
    .where("loans.status", "in", [0, 1])
    .where("loans.lender", "in", versions.map((s) => s.lender))
    .where((eb) =>
      eb.or([
        eb("loan_scores.loan_id", "is", null),
        eb("loan_scores.loan_updated_block", "!=", eb.ref("loans.updated_block")),
        eb("loan_scores.scored_at", "<=", now - DAY_SECONDS),
        eb("loan_scores.scored_at", ">", now), // a rollback below the score: chain time went back
        eb.or(versions.map((s) => eb.and([eb("loans.lender", "=", s.lender), eb("loan_scores.strategy_version", "!=", s.version)]))),
      ]),
    )
    .orderBy("loans.loan_id")
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.loan_id));
}

/** Scores up to `limit` loans that need it (as of the indexed head), and drops the scores of closed loans. */
export async function scorePass(db: Kysely<Database>, options: { limit?: number; models?: Map<string, ModelFile> } = {}): Promise<ScorePassResult> {
  const now = await indexedHead(db);
  const strategies = await strategiesInForce(db);
  const models = options.models ?? new Map<string, ModelFile>();
  const wanted = [...new Set([...strategies.values()].flatMap((s) => modelsOf(s.strategy)))].filter((v) => !models.has(v));
  for (const [v, m] of await loadModels(db, wanted)) models.set(v, m);

  const removed = await db
    .deleteFrom("loan_scores")
    .where((eb) => eb.exists(eb.selectFrom("loans").select("loans.loan_id").whereRef("loans.loan_id", "=", "loan_scores.loan_id").where("loans.status", "not in", [0, 1])))
    .executeTakeFirst();
  const ids = await dueForScoring(db, strategies, now, options.limit ?? 10_000);
  let scored = 0;
  for (let i = 0; i < ids.length; i += HISTORY_CHUNK) {
    const part = ids.slice(i, i + HISTORY_CHUNK);
    const [features, loans] = await Promise.all([
      featuresAtTime(db, part, now),
      db.selectFrom("loans").select(["loan_id", "lender", "updated_block", "dispute_open"]).where("loan_id", "in", part).execute(),
    ]);
    const byId = new Map(loans.map((l) => [Number(l.loan_id), l]));
    const rows: LoanScoresTable[] = [];
    for (const f of features) {
      const loan = byId.get(f.loanId)!;
      const stored = strategies.get(loan.lender)!;
      const arm = armOf(stored.strategy, f.loanId);
      const plan = armOfStrategy(stored.strategy, arm);
      const model = models.get(plan.model)!;
      const s = scoreLoan(model, f);
      if (!s) continue;
      const segment = segmentOf(plan.segments, { kind: s.kind, probability: s.probability, bucket: bucketLabel(bucketOf(f.dpd)), amountOverdue: f.amounts.amountOverdue, disputeOpen: loan.dispute_open === 1 });
      const expected = s.kind === "behavioural" ? expectedRecovery(scorecardOf(model, "behavioural"), f) : 0n;
      rows.push({
        loan_id: f.loanId,
        lender: loan.lender,
        model: model.version,
        kind: s.kind,
        probability_ppm: Math.round(s.probability * 1_000_000),
        points: s.points,
        reasons: JSON.stringify(s.reasons),
        segment: segment.name,
        arm,
        strategy_version: stored.version,
        expected_recovery: pad(expected),
        scored_at: now,
        loan_updated_block: Number(loan.updated_block),
      });
    }
    if (rows.length === 0) continue;
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto("loan_scores")
        .values(rows)
        .onConflict((oc) =>
          oc.column("loan_id").doUpdateSet((eb) => ({
            lender: eb.ref("excluded.lender"),
            model: eb.ref("excluded.model"),
            kind: eb.ref("excluded.kind"),
            probability_ppm: eb.ref("excluded.probability_ppm"),
            points: eb.ref("excluded.points"),
            reasons: eb.ref("excluded.reasons"),
            segment: eb.ref("excluded.segment"),
            arm: eb.ref("excluded.arm"),
            strategy_version: eb.ref("excluded.strategy_version"),
            expected_recovery: eb.ref("excluded.expected_recovery"),
            scored_at: eb.ref("excluded.scored_at"),
            loan_updated_block: eb.ref("excluded.loan_updated_block"),
          })),
        )
        .execute();
      await tx
        .insertInto("loan_score_history")
        .values(rows.map((r) => ({ loan_id: r.loan_id, scored_at: r.scored_at, model: r.model, kind: r.kind, probability_ppm: r.probability_ppm, points: r.points, segment: r.segment, arm: r.arm })))
        .onConflict((oc) => oc.columns(["loan_id", "scored_at"]).doNothing())
        .execute();
    });
    scored += rows.length;
  }
  return { scored, removed: Number(removed.numDeletedRows), at: now };
}
