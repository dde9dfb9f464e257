/**
 * The portfolio's strategy figures: how the open loans' current scores are distributed (by score
 * and probability band), how many loans each segment holds, and the champion / challenger
 * comparison over the last 30 chain days — for the loans each arm scored in the window: how many
 * cured (were delinquent, now current or repaid), the amount recovered, per contact, promises
 * made, disputes filed. Services know no HTTP.
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import { dpd } from "../../db/rules-sql";
import type { Database } from "../../db/schema";
import { DAY_SECONDS, LoanStatus } from "../../domain";
import type { AsOf } from "./loans";
import { amountFromChunks, sumAmountColumns } from "./sql-amounts";

/** Days the champion / challenger comparison looks back. */
export const ARM_WINDOW_DAYS = 30;
const ARMS = ["champion", "challenger"] as const;
const KINDS = ["behavioural", "earlyWarning"] as const;

/** The strategy section of GET /v1/portfolio for the loans `filter` keeps (a condition on `loans`). */
export async function strategyFigures(db: Kysely<Database>, filter: RawBuilder<unknown>, at: AsOf) {
  const since = at.timestamp - ARM_WINDOW_DAYS * DAY_SECONDS;
  // Loans each arm scored in the window (the arm is drawn per loan: a loan is in one arm per strategy).
  const armLoans = sql`(select distinct h.loan_id, h.arm from loan_score_history h join loans on loans.loan_id = h.loan_id
      where ${filter} and h.scored_at > ${sql.lit(since)} and h.kind = 'behavioural')`;
  const [bands, segments, arms, recovered, contacts, promises, disputes] = await Promise.all([
    sql<{ kind: string; band: number; n: number }>`select s.kind, s.probability_ppm / 100000 as band, count(*) as n
      from loan_scores s join loans on loans.loan_id = s.loan_id where ${filter} group by s.kind, s.probability_ppm / 100000`.execute(db),
    sql<{ arm: string; segment: string; n: number }>`select s.arm, s.segment, count(*) as n
      from loan_scores s join loans on loans.loan_id = s.loan_id where ${filter} group by s.arm, s.segment order by s.arm, s.segment`.execute(db),
    sql<{ arm: string; n: number; cured: number }>`select a.arm, count(*) as n,
        sum(case when loans.status = ${sql.lit(LoanStatus.Closed)} or (loans.status in (0, 1) and ${dpd(sql.ref("loans.due_key"), at.timestamp)} = 0) then 1 else 0 end) as cured
      from ${armLoans} a join loans on loans.loan_id = a.loan_id group by a.arm`.execute(db),
    sql<Record<string, unknown>>`select a.arm, ${sql.join(sumAmountColumns(sql.ref("r.amount"), "am"))}
      from ${armLoans} a join repayments r on r.loan_id = a.loan_id where r.paid_at > ${sql.lit(since)} group by a.arm`.execute(db),
    sql<{ arm: string; n: number }>`select a.arm, count(*) as n from ${armLoans} a join actions x on x.loan_id = a.loan_id
      where x.occurred_at > ${sql.lit(since)} and x.kind in (0, 1, 2) group by a.arm`.execute(db),
    sql<{ arm: string; n: number }>`select a.arm, count(*) as n from ${armLoans} a join promises p on p.loan_id = a.loan_id
      where p.made_at > ${sql.lit(since)} group by a.arm`.execute(db),
    sql<{ arm: string; n: number }>`select a.arm, count(*) as n from ${armLoans} a join disputes d on d.loan_id = a.loan_id
      join loan_events e on e.block_number = d.block_number and e.log_index = d.log_index
      where d.event = 'filed' and e.block_timestamp > ${sql.lit(since)} group by a.arm`.execute(db),
  ]);
  const of = (rows: { arm: string; n: number }[], arm: string) => Number(rows.find((r) => r.arm === arm)?.n ?? 0);
  return {
    scoreDistribution: KINDS.map((kind) => ({
      kind,
      bands: Array.from({ length: 10 }, (_, b) => ({
        from: b / 10,
        to: (b + 1) / 10,
        // A probability of exactly 1 (1,000,000 ppm) counts in the last band.
        loans: bands.rows.filter((r) => r.kind === kind && Math.min(9, Number(r.band)) === b).reduce((a, r) => a + Number(r.n), 0),
      })),
    })),
    segments: segments.rows.map((r) => ({ arm: r.arm as (typeof ARMS)[number], segment: r.segment, loans: Number(r.n) })),
    championChallenger: {
      windowDays: ARM_WINDOW_DAYS,
      arms: ARMS.map((arm) => {
        const a = arms.rows.find((r) => r.arm === arm);
        const loans = Number(a?.n ?? 0);
        const amount = amountFromChunks(recovered.rows.find((r) => r.arm === arm) ?? {}, "am");
        const contactCount = of(contacts.rows, arm);
        return {
          arm,
          loans,
          cured: Number(a?.cured ?? 0),
          cureRate: loans === 0 ? null : Math.round((Number(a?.cured ?? 0) / loans) * 10_000) / 10_000,
          recovered: amount.toString(),
          contacts: contactCount,
          recoveredPerContact: contactCount === 0 ? null : (amount / BigInt(contactCount)).toString(),
          promisesMade: of(promises.rows, arm),
          disputesFiled: of(disputes.rows, arm),
        };
      }),
    },
  };
}
