/** The collection strategy's tables (migration 0010), as Kysely types. */
import type { Int } from "./columns";

/** LoanLedger's CollectionStrategySet: a lender's strategy hash recorded on chain with its policy then (an event table). */
export interface StrategyRecordsTable {
  block_number: Int;
  log_index: Int;
  lender: string;
  policy_id: Int;
  /** 0x SHA-256 of the strategy's canonical JSON. */
  strategy_hash: string;
  block_timestamp: Int;
}

/** A lender's strategy at one version (src/strategy/strategy-file.ts), canonical JSON and its hash. */
export interface StrategiesTable {
  lender: string;
  version: Int;
  strategy: string;
  strategy_hash: string;
  created_by: string;
  /** Server clock, unix seconds. */
  created_at: Int;
}

/** A model file (src/strategy/model-file.ts) a strategy may name, by its version. */
export interface StrategyModelsTable {
  version: string;
  model: string;
  /** Chain time of the newest data it was trained on. */
  trained_at: Int;
}

/** An open loan's current score, segment and arm (the queue's strategy order reads it). */
export interface LoanScoresTable {
  loan_id: Int;
  lender: string;
  model: string;
  kind: "behavioural" | "earlyWarning";
  /** P(target) in millionths. */
  probability_ppm: Int;
  points: Int;
  /** JSON: [{ feature, text, points }], up to three. */
  reasons: string;
  segment: string;
  arm: "champion" | "challenger";
  strategy_version: Int;
  /** P(pays) × amount overdue in minor units, zero-padded to 40 digits (text order is numeric order); 0 for a current loan. */
  expected_recovery: string;
  /** Chain time the score is as of. */
  scored_at: Int;
  /** The loans row's updated_block when scored: a changed row is scored again. */
  loan_updated_block: Int;
}

/** Every score a loan has had. */
export interface LoanScoreHistoryTable {
  loan_id: Int;
  scored_at: Int;
  model: string;
  kind: "behavioural" | "earlyWarning";
  probability_ppm: Int;
  points: Int;
  segment: string;
  arm: "champion" | "challenger";
}
