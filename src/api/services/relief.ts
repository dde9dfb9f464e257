/**
 * A loan's relief as indexed: its last payment holiday, its last arrears plan with each part's
 * outcome, the settlement on offer and the settlement that ended it (src/db/migrations/0012_relief.ts
 * and 0013_arrears_plans.ts; LoanRelief's events).
 */
import type { Kysely } from "kysely";
import type { Database } from "../../db/schema";
import { HOLIDAY_INTEREST_NAMES, HOLIDAY_PLACEMENT_NAMES } from "../schemas/relief";
import type { AsOf } from "./loans";
import { ALL_RECORDS, type LoanRecords } from "./loan-records";

/**
 * `open`: the loan is Active or ChargedOff (a holiday or an offer means nothing once it has ended).
 * `present`: the records known to exist (src/api/services/loan-records.ts); the others are not read.
 */
export async function loanRelief(db: Kysely<Database>, loanId: number, at: AsOf, open: boolean, present: LoanRecords = ALL_RECORDS) {
  const [holiday, plan, offer, settlement] = await Promise.all([
    present.holiday
      ? db.selectFrom("holidays").selectAll().where("loan_id", "=", loanId).orderBy("block_number", "desc").orderBy("log_index", "desc").limit(1).executeTakeFirst()
      : undefined,
    present.arrearsPlan ? lastArrearsPlan(db, loanId, open) : null,
    present.settlementOffer
      ? db.selectFrom("settlement_offers").selectAll().where("loan_id", "=", loanId).orderBy("block_number", "desc").orderBy("log_index", "desc").limit(1).executeTakeFirst()
      : undefined,
    present.settlement ? db.selectFrom("settlements").selectAll().where("loan_id", "=", loanId).limit(1).executeTakeFirst() : undefined,
  ]);
  return {
    holiday: holiday
      ? {
          version: holiday.version,
          from: holiday.from_time,
          to: holiday.to_time,
          inForce: open && holiday.from_time <= at.timestamp && at.timestamp < holiday.to_time,
          installments: holiday.installments,
          interest: HOLIDAY_INTEREST_NAMES[holiday.interest] ?? "accrued",
          placement: HOLIDAY_PLACEMENT_NAMES[holiday.placement] ?? "end",
          deferredPrincipal: holiday.deferred_principal,
          deferredInterest: holiday.deferred_interest,
          waivedInterest: holiday.waived_interest,
          forgivenPenalty: holiday.forgiven_penalty,
          txHash: holiday.tx_hash,
        }
      : null,
    arrearsPlan: plan,
    // A settlement takes up the offer (the contract deletes it), and a loan that ended otherwise
    // cannot take it up: only an open loan's last offer is on offer.
    settlementOffer:
      offer && !settlement && open
        ? {
            amount: offer.amount,
            deadline: offer.deadline,
            expired: at.timestamp > offer.deadline,
            offeredAt: offer.block_timestamp,
            owed: { penalty: offer.penalty_owed, interest: offer.interest_owed, principal: offer.principal_owed },
            txHash: offer.tx_hash,
          }
        : null,
    settlement: settlement
      ? {
          amount: settlement.amount,
          payer: settlement.payer,
          paid: { penalty: settlement.penalty_paid, interest: settlement.interest_paid, principal: settlement.principal_paid },
          forgiven: { penalty: settlement.penalty_forgiven, interest: settlement.interest_forgiven, principal: settlement.principal_forgiven },
          paidAt: settlement.paid_at,
          offChain: settlement.off_chain === 1,
          bankRef: settlement.bank_ref,
          txHash: settlement.tx_hash,
        }
      : null,
  };
}

/** The outcome of a part: judged kept or missed, or still to come (`pending`; `unjudged` once the plan ended otherwise). */
type PartOutcome = "kept" | "missed" | "pending" | "unjudged";

/**
 * The loan's last arrears plan: its figures at the creation, what was repaid towards it since, and
 * each part with its outcome. `status`: in_force, broken (a part missed), completed (every part kept)
 * or ended (the loan ended while it was in force: settled, repaid, written off).
 */
async function lastArrearsPlan(db: Kysely<Database>, loanId: number, open: boolean) {
  const plan = await db.selectFrom("arrears_plans").selectAll().where("loan_id", "=", loanId).orderBy("block_number", "desc").orderBy("log_index", "desc").limit(1).executeTakeFirst();
  if (plan === undefined) return null;
  const [outcomes, row] = await Promise.all([
    db
      .selectFrom("arrears_outcomes")
      .selectAll()
      .where("loan_id", "=", loanId)
      .where((eb) => eb.or([eb("block_number", ">", plan.block_number), eb.and([eb("block_number", "=", plan.block_number), eb("log_index", ">", plan.log_index)])]))
      .orderBy("block_number")
      .orderBy("log_index")
      .execute(),
    db.selectFrom("loans").select(["plan_paid", "plan_in_force"]).where("loan_id", "=", loanId).executeTakeFirstOrThrow(),
  ]);
  const judged = new Map(outcomes.filter((o) => o.part !== null).map((o) => [o.part!, o]));
  const broken = outcomes.some((o) => o.outcome === "broken");
  const completed = outcomes.some((o) => o.outcome === "completed");
  const inForce = open && row.plan_in_force === 1;
  const status = inForce ? "in_force" : broken ? "broken" : completed ? "completed" : "ended";
  const parts = (JSON.parse(plan.parts) as [string, string][]).map(([dueDate, amount], i) => {
    const o = judged.get(i);
    const outcome: PartOutcome = o === undefined ? (inForce ? "pending" : "unjudged") : o.outcome === "kept" ? "kept" : "missed";
    return { dueDate: Number(dueDate), amount, outcome, required: o?.required ?? null, paid: o?.paid ?? null, judgedAt: o?.block_timestamp ?? null };
  });
  return {
    createdAt: plan.created_at,
    arrears: plan.arrears,
    amountOverdue: plan.amount_overdue,
    penaltyOutstanding: plan.penalty_outstanding,
    status,
    // While in force the loans row has the running total; after, the last outcome's (what the plan was judged on).
    paid: inForce ? row.plan_paid : (outcomes[outcomes.length - 1]?.paid ?? row.plan_paid),
    parts,
    txHash: plan.tx_hash,
  };
}
