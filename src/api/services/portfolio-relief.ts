/**
 * The relief section of GET /v1/portfolio: loans that had a payment holiday — in force now, ended,
 * and of those ended how many are current or repaid (the cure rate after a holiday) — and the
 * arrears plans: in force, ended (broken, completed, or the loan ended) and of the ended how many are
 * current or repaid now, with the parts kept and missed — and the
 * settlements: how many, what they brought in and what they forgave, and the offers still open.
 * Each loan counts its last holiday (the loans row keeps it); a holiday has ended at its `to`, or when
 * the loan ended sooner (repaid counts as cured; settled, written off do not). Services know no HTTP.
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import { dpd } from "../../db/rules-sql";
import type { Database } from "../../db/schema";
import { LoanStatus } from "../../domain";
import type { AsOf } from "./loans";

/** The relief section for the loans `filter` keeps (a condition on `loans`). */
export async function reliefFigures(db: Kysely<Database>, filter: RawBuilder<unknown>, at: AsOf) {
  const t = sql.lit(at.timestamp);
  const open = sql`loans.status in (${sql.lit(LoanStatus.Active)}, ${sql.lit(LoanStatus.ChargedOff)})`;
  const current = sql`(loans.status = ${sql.lit(LoanStatus.Closed)} or (${open} and ${dpd(sql.ref("loans.due_key"), at.timestamp)} = 0))`;
  const [holidays, plans, outcomes, settlements, offers] = await Promise.all([
    sql<{ granted: number; in_force: number | null; ended: number | null; cured: number | null }>`
      select count(*) as granted,
        sum(case when loans.holiday_to > ${t} and ${open} then 1 else 0 end) as in_force,
        sum(case when loans.holiday_to <= ${t} or not ${open} then 1 else 0 end) as ended,
        sum(case when (loans.holiday_to <= ${t} or not ${open}) and ${current} then 1 else 0 end) as cured
      from loans where loans.holiday_from is not null and ${filter}`.execute(db),
    // Each loan counts its last plan (the loans row keeps it): in force while flagged and the loan is open.
    sql<{ created: number; in_force: number | null; cured: number | null }>`
      select count(*) as created,
        sum(case when loans.plan_in_force = 1 and ${open} then 1 else 0 end) as in_force,
        sum(case when not (loans.plan_in_force = 1 and ${open}) and ${current} then 1 else 0 end) as cured
      from loans where loans.plan_created_at is not null and ${filter}`.execute(db),
    sql<{ outcome: string; n: number }>`
      select o.outcome, count(*) as n from arrears_outcomes o join loans on loans.loan_id = o.loan_id
      where ${filter} group by o.outcome`.execute(db),
    sql<{ amount: string; penalty_forgiven: string; interest_forgiven: string; principal_forgiven: string }>`
      select s.amount, s.penalty_forgiven, s.interest_forgiven, s.principal_forgiven
      from settlements s join loans on loans.loan_id = s.loan_id where ${filter}`.execute(db),
    // The last offer of each open loan (a new offer replaces the old): open while its deadline has not passed.
    sql<{ loan_id: number; deadline: number }>`
      select o.loan_id, o.deadline from settlement_offers o join loans on loans.loan_id = o.loan_id
      where ${open} and ${filter}
      order by o.loan_id, o.block_number, o.log_index`.execute(db),
  ]);
  const h = holidays.rows[0];
  const ended = Number(h?.ended ?? 0);
  const cured = Number(h?.cured ?? 0);
  const sum = (k: "amount" | "penalty_forgiven" | "interest_forgiven" | "principal_forgiven") => settlements.rows.reduce((s, r) => s + BigInt(r[k]), 0n);
  const lastOffer = new Map<number, number>();
  for (const o of offers.rows) lastOffer.set(Number(o.loan_id), Number(o.deadline));
  const p = plans.rows[0];
  const created = Number(p?.created ?? 0);
  const planInForce = Number(p?.in_force ?? 0);
  const planCured = Number(p?.cured ?? 0);
  const outcome = (o: string) => Number(outcomes.rows.find((r) => r.outcome === o)?.n ?? 0);
  return {
    arrearsPlans: {
      loans: created,
      inForce: planInForce,
      ended: created - planInForce,
      broken: outcome("broken"),
      completed: outcome("completed"),
      partsKept: outcome("kept"),
      curedAfter: planCured,
      cureRate: created - planInForce === 0 ? null : Math.round((planCured / (created - planInForce)) * 10_000) / 10_000,
    },
    holidays: {
      loans: Number(h?.granted ?? 0),
      inForce: Number(h?.in_force ?? 0),
      ended,
      curedAfter: cured,
      cureRate: ended === 0 ? null : Math.round((cured / ended) * 10_000) / 10_000,
    },
    settlements: {
      count: settlements.rows.length,
      amount: sum("amount").toString(),
      forgiven: { penalty: sum("penalty_forgiven").toString(), interest: sum("interest_forgiven").toString(), principal: sum("principal_forgiven").toString() },
      offersOpen: [...lastOffer.values()].filter((deadline) => deadline >= at.timestamp).length,
    },
  };
}
