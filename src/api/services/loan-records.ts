/**
 * Which of a loan's optional records exist, asked in one statement. Most loans have no payment
 * holiday, arrears plan, settlement offer, settlement, score or promise to pay: the loan detail
 * reads only the tables this finds rows in, instead of one statement per table every time.
 */
import { sql, type ExpressionBuilder, type Kysely } from "kysely";
import type { Database } from "../../db/schema";
import { preparedQuery } from "../../db/prepared";

export interface LoanRecords {
  holiday: boolean;
  arrearsPlan: boolean;
  settlementOffer: boolean;
  settlement: boolean;
  score: boolean;
  scoreHistory: boolean;
  /** Promises indexed at or before the request's block. */
  promises: boolean;
}

/** Every record present: read them all (for callers that did not ask). */
export const ALL_RECORDS: LoanRecords = { holiday: true, arrearsPlan: true, settlementOffer: true, settlement: true, score: true, scoreHistory: true, promises: true };

/** The selections saying which of `loanId`'s optional records exist, promises as of `atBlock` (one boolean column each). */
export function recordsSelections(eb: ExpressionBuilder<Database, never>, loanId: number, atBlock: number) {
  const one = sql<number>`1`.as("one");
  return [
    eb.exists(eb.selectFrom("holidays").select(one).where("loan_id", "=", loanId)).as("holiday"),
    eb.exists(eb.selectFrom("arrears_plans").select(one).where("loan_id", "=", loanId)).as("arrears_plan"),
    eb.exists(eb.selectFrom("settlement_offers").select(one).where("loan_id", "=", loanId)).as("settlement_offer"),
    eb.exists(eb.selectFrom("settlements").select(one).where("loan_id", "=", loanId)).as("settlement"),
    eb.exists(eb.selectFrom("loan_scores").select(one).where("loan_id", "=", loanId)).as("score"),
    eb.exists(eb.selectFrom("loan_score_history").select(one).where("loan_id", "=", loanId)).as("score_history"),
    eb.exists(eb.selectFrom("promises").select(one).where("loan_id", "=", loanId).where("block_number", "<=", atBlock)).as("promises"),
  ] as const;
}

/** Which of `loanId`'s optional records exist, promises as of `atBlock`. */
const recordsOf = preparedQuery((db, p: { loanId: number; atBlock: number }) => db.selectNoFrom((eb) => recordsSelections(eb, p.loanId, p.atBlock)));

/** A boolean as the database answers it: SQLite 0 or 1, PostgreSQL true or false. */
export const sqlTrue = (v: unknown): boolean => v === true || Number(v) === 1;

export async function loanRecords(db: Kysely<Database>, loanId: number, atBlock: number): Promise<LoanRecords> {
  const [r] = await recordsOf(db, { loanId, atBlock });
  // A select without FROM answers one row; were there none, every record is read (ALL_RECORDS).
  return r ? recordsFrom(r) : ALL_RECORDS;
}

/** The records present, from a row with the columns of {@link recordsSelections}. */
export function recordsFrom(r: Record<"holiday" | "arrears_plan" | "settlement_offer" | "settlement" | "score" | "score_history" | "promises", unknown>): LoanRecords {
  const present = sqlTrue;
  return {
    holiday: present(r.holiday),
    arrearsPlan: present(r.arrears_plan),
    settlementOffer: present(r.settlement_offer),
    settlement: present(r.settlement),
    score: present(r.score),
    scoreHistory: present(r.score_history),
    promises: present(r.promises),
  };
}
