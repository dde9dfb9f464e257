/**
 * A loan's relief as indexed: its last payment holiday, the settlement on offer and the
 * settlement that ended it (src/db/migrations/0012_relief.ts; LoanRelief's events).
 */
import type { Kysely } from "kysely";
import type { Database } from "../../db/schema";
import { HOLIDAY_INTEREST_NAMES, HOLIDAY_PLACEMENT_NAMES } from "../schemas/relief";
import type { AsOf } from "./loans";

/** `open`: the loan is Active or ChargedOff (a holiday or an offer means nothing once it has ended). */
export async function loanRelief(db: Kysely<Database>, loanId: number, at: AsOf, open: boolean) {
  const [holiday, offer, settlement] = await Promise.all([
    db.selectFrom("holidays").selectAll().where("loan_id", "=", loanId).orderBy("block_number", "desc").orderBy("log_index", "desc").limit(1).executeTakeFirst(),
    db.selectFrom("settlement_offers").selectAll().where("loan_id", "=", loanId).orderBy("block_number", "desc").orderBy("log_index", "desc").limit(1).executeTakeFirst(),
    db.selectFrom("settlements").selectAll().where("loan_id", "=", loanId).limit(1).executeTakeFirst(),
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
