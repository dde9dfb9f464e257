/**
 * Scoring: a loan's features now (the same replay and the same featuresAt as training's
 * snapshots) and its score under a model — the behavioural score when it is delinquent, the
 * early-warning score when it is current — with the reasons in words.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import { featuresAt, replayHistory, scoreWith, type LoanFeatures, type Score } from "../domain";
import { loadHistories } from "./history";
import { scorecardOf, type ModelFile } from "./model-file";
import type { ScoreKind } from "./snapshots";

/** The features of each of `loanIds` at chain time `t` (loans not registered by then are left out). */
export async function featuresAtTime(db: Kysely<Database>, loanIds: readonly number[], t: number): Promise<LoanFeatures[]> {
  const histories = await loadHistories(db, loanIds);
  return histories.filter((h) => h.terms.registeredAt <= BigInt(t)).map((h) => featuresAt(replayHistory(h).advance(BigInt(t))));
}

export interface LoanScore extends Score {
  loanId: number;
  kind: ScoreKind;
  model: string;
  /** Chain time the score is as of. */
  t: bigint;
}

/** The loan's score under `model`: behavioural when delinquent, early warning when current; undefined when closed. */
export function scoreLoan(model: ModelFile, f: LoanFeatures): LoanScore | undefined {
  if (!f.open) return undefined;
  const kind: ScoreKind = f.dpd >= 1n ? "behavioural" : "earlyWarning";
  return { loanId: f.loanId, kind, model: model.version, t: f.t, ...scoreWith(scorecardOf(model, kind), f) };
}
