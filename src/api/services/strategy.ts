/**
 * Lenders' strategies through the API: who may read and set them, over src/db/strategies.ts. The
 * lender and its servicers may set its strategy; they and auditors may read it; anyone else is
 * refused. A loan's scores are read with the loan (whoever may see the loan sees its scores).
 */
import type { Kysely } from "kysely";
import type { Address } from "viem";
import type { Scope } from "../auth/scope";
import type { Database } from "../../db/schema";
import { loadModels, modelsOf, setStrategy, storeModel, strategyOf, type StoredStrategy } from "../../db/strategies";
import { StrategyError } from "../../strategy/errors";
import { parseModelFile, type ModelFile } from "../../strategy/model-file";
import type { StrategyFile } from "../../strategy/strategy-file";
import type { LoanScores, StrategyRecord } from "../schemas/strategy";
import { ForbiddenError, InvalidRequestError, NotFoundError } from "./errors";
import { ALL_RECORDS, type LoanRecords } from "./loan-records";

const actsFor = (scope: Scope, lender: Address) => scope.lenders.includes(lender);

/** The lender asked about: the one given, or the caller's only one. */
export function lenderOf(scope: Scope, lender: Address | undefined): Address {
  if (lender) return lender;
  if (scope.lenders.length === 1) return scope.lenders[0]! as Address;
  throw new InvalidRequestError("which lender's strategy?", [{ path: "query.lender", message: "is required (the caller does not act for exactly one lender)" }]);
}

function summary(m: ModelFile): StrategyRecord["models"][number] {
  const score = (k: "behavioural" | "earlyWarning") => {
    const s = m.scores[k];
    return { target: s.target, features: s.scorecard.features.map((f) => f.name), metrics: { trainSnapshots: s.metrics.trainSnapshots, testSnapshots: s.metrics.testSnapshots, auc: s.metrics.auc, ks: s.metrics.ks, brier: s.metrics.brier } };
  };
  return { version: m.version, trainedAt: m.trainedAt, window: m.window, horizons: m.horizons, dataHash: m.dataHash, scores: { behavioural: score("behavioural"), earlyWarning: score("earlyWarning") } };
}

async function recordOf(db: Kysely<Database>, s: StoredStrategy): Promise<StrategyRecord> {
  const [models, records, versions] = await Promise.all([
    loadModels(db, modelsOf(s.strategy)),
    db.selectFrom("strategy_records").selectAll().where("lender", "=", s.lender).orderBy("block_number", "desc").orderBy("log_index", "desc").limit(50).execute(),
    db.selectFrom("strategies").select(["version", "strategy_hash"]).where("lender", "=", s.lender).execute(),
  ]);
  const versionOf = new Map(versions.map((v) => [v.strategy_hash, Number(v.version)]));
  return {
    ...s,
    models: modelsOf(s.strategy).flatMap((v) => (models.has(v) ? [summary(models.get(v)!)] : [])),
    onChain: records.map((r) => ({ strategyHash: r.strategy_hash, version: versionOf.get(r.strategy_hash) ?? null, policyId: Number(r.policy_id), block: Number(r.block_number), timestamp: Number(r.block_timestamp) })),
  };
}

/** The strategy in force for `lender`, with the models it reads. */
export async function readStrategy(db: Kysely<Database>, scope: Scope, lender: Address): Promise<StrategyRecord> {
  if (!actsFor(scope, lender) && !scope.auditor) throw new ForbiddenError(`a strategy is readable by its lender, the lender's servicers and auditors; not by ${scope.address}`);
  const s = await strategyOf(db, lender);
  if (!s) throw new NotFoundError(`lender ${lender} has no strategy`);
  return recordOf(db, s);
}

/**
 * Puts `strategy` in force for `lender` (storing `model` first when given).
 * @param now server clock, unix seconds.
 */
export async function writeStrategy(db: Kysely<Database>, scope: Scope, lender: Address, strategy: StrategyFile, model: unknown, now: number): Promise<{ record: StrategyRecord; created: boolean }> {
  if (!actsFor(scope, lender)) throw new ForbiddenError(`only the lender or its servicers may set its strategy; ${scope.address} does not act for ${lender}`);
  try {
    if (model !== undefined) await storeModel(db, parseModelFile(JSON.stringify(model), "body.model"));
    const r = await setStrategy(db, lender, strategy, scope.address, now);
    return { record: await recordOf(db, (await strategyOf(db, lender, r.version))!), created: r.created };
  } catch (err) {
    if (err instanceof StrategyError) throw new InvalidRequestError(err.shortMessage, [{ path: model !== undefined && /body\.model/.test(err.shortMessage) ? "body.model" : "body.strategy", message: err.shortMessage }]);
    throw err;
  }
}

/** A loan's current score and its history (newest first, at most 100); `present`: the records known to exist (the others are not read). */
export async function loanScores(db: Kysely<Database>, loanId: number, present: Pick<LoanRecords, "score" | "scoreHistory"> = ALL_RECORDS): Promise<LoanScores> {
  const [current, history] = await Promise.all([
    present.score ? db.selectFrom("loan_scores").selectAll().where("loan_id", "=", loanId).executeTakeFirst() : undefined,
    present.scoreHistory ? db.selectFrom("loan_score_history").selectAll().where("loan_id", "=", loanId).orderBy("scored_at", "desc").limit(100).execute() : [],
  ]);
  const out = (r: { kind: "behavioural" | "earlyWarning"; probability_ppm: number; points: number; model: string; scored_at: number; segment: string; arm: "champion" | "challenger" }) => ({
    kind: r.kind,
    probability: Number(r.probability_ppm) / 1_000_000,
    points: Number(r.points),
    model: r.model,
    scoredAt: Number(r.scored_at),
    segment: r.segment,
    arm: r.arm,
  });
  return {
    current: current
      ? { ...out(current), reasons: JSON.parse(current.reasons) as NonNullable<LoanScores["current"]>["reasons"], strategyVersion: Number(current.strategy_version), expectedRecovery: BigInt(current.expected_recovery).toString() }
      : null,
    history: history.map(out),
  };
}
