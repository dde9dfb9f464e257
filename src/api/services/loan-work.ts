/**
 * What a collector works a loan with, beside its status: every promise to pay with its state (pending,
 * kept, broken: src/domain's promiseStatus over the repayments at the indexed block) and the contact
 * window of a channel and kind now (src/domain's contactWindow, as the queue computes it).
 */
import type { Kysely } from "kysely";
import { contactWindow, promiseStatus } from "../../domain";
import type { Database, LoansTable, PromisesTable } from "../../db/schema";
import { complianceStates, contactPolicies, jurisdictionRules } from "../../db/compliance";
import { channelOut, kindOut } from "../schemas/collection";
import type { AsOf } from "./loans";

export type PromiseState = ReturnType<typeof promiseStatus>;

export interface PromiseOut {
  seq: number;
  amount: string;
  dueBy: number;
  madeAt: number;
  status: PromiseState;
}

/** Each promise with its state at `t` (promises the contract would refuse, and so never indexed, are left out). */
export function promisesWithStatus(rows: readonly Pick<PromisesTable, "seq" | "amount" | "due_by" | "made_at">[], paid: { amount: bigint; at: bigint }[], t: bigint): PromiseOut[] {
  const out: PromiseOut[] = [];
  for (const p of rows) {
    let status: PromiseState;
    try {
      status = promiseStatus({ amount: BigInt(p.amount), dueBy: BigInt(p.due_by), madeAt: BigInt(p.made_at) }, paid, t);
    } catch {
      continue; // the contract refuses such promises (zero amount, due in the past); none can be indexed
    }
    out.push({ seq: p.seq, amount: p.amount, dueBy: p.due_by, madeAt: p.made_at, status });
  }
  return out;
}

/** The loan's promises at the indexed block, in the order they were made (none read when `present` says it has none). */
export async function loanPromises(db: Kysely<Database>, loanId: number, at: AsOf, present = true): Promise<PromiseOut[]> {
  if (!present) return [];
  const [promises, repayments] = await Promise.all([
    db.selectFrom("promises").select(["seq", "amount", "due_by", "made_at"]).where("loan_id", "=", loanId).where("block_number", "<=", at.block).orderBy("seq").execute(),
    db.selectFrom("repayments").select(["amount", "paid_at"]).where("loan_id", "=", loanId).where("block_number", "<=", at.block).execute(),
  ]);
  return promisesWithStatus(promises, repayments.map((p) => ({ amount: BigInt(p.amount), at: BigInt(p.paid_at) })), BigInt(at.timestamp));
}

/** Whether `channel`/`kind` may reach the borrower at the indexed block's time, and if not, when and why. */
export async function loanContactWindow(db: Kysely<Database>, row: LoansTable, at: AsOf, query: { channel: number; kind: number }) {
  const [policies, states, rules] = await Promise.all([contactPolicies(db, [row.lender]), complianceStates(db, [row], at.timestamp), jurisdictionRules(db, [row.jurisdiction])]);
  const window = contactWindow(
    states.get(row.loan_id)!,
    policies.get(row.lender)!,
    BigInt(at.timestamp),
    { oldestUnpaidDueDate: row.cursor_due === null ? null : BigInt(row.cursor_due), channel: query.channel, kind: query.kind },
    rules.get(row.jurisdiction),
  );
  return {
    channel: channelOut(query.channel),
    kind: kindOut(query.kind),
    allowedNow: window.allowedNow,
    nextAllowedAt: window.nextAllowedAt === null ? null : Number(window.nextAllowedAt),
    reasons: window.reasons,
  };
}
