import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database, LoansTable } from "../../db/schema";
import { BUCKET_LABELS, bucketOf, classify, DAY_SECONDS, daysLate, LoanStatus, penaltyOutstandingAt } from "../../domain";
import { bucket, classification, dpd, dueKeyRange, penaltyStarted, policyThresholds } from "../../db/rules-sql";
import { loansAt } from "./portfolio-at";
import { strategyFigures } from "./portfolio-strategy";
import { reliefFigures } from "./portfolio-relief";
import { loadPolicies } from "../../db/policies";
import { projectionFromRow, schedulesFrom } from "../../db/loans";
import { CLASSIFICATION_NAMES, type AsOf, type BucketName, type ClassificationName } from "./loans";
import { amountFromChunks, sumAmountColumns } from "./sql-amounts";

/** Which loans a portfolio covers: every lender's (auditors), or those of the listed lenders. */
export type PortfolioScope = { lenders: "all" } | { lenders: string[] };

/** Roll-rate look-back: buckets at asOf − 30 days are compared with buckets at asOf. */
export const ROLL_WINDOW_DAYS = 30;


export interface Figures {
  loans: number;
  outstandingPrincipal: bigint;
  amountOverdue: bigint;
  penaltyAccrued: bigint;
}

const emptyFigures = (): Figures => ({ loans: 0, outstandingPrincipal: 0n, amountOverdue: 0n, penaltyAccrued: 0n });

/** Where-clause restricting `loans` to the scope's lenders. */
export function lenderFilter(scope: PortfolioScope): RawBuilder<unknown> {
  if (scope.lenders === "all") return sql`1 = 1`;
  if (scope.lenders.length === 0) return sql`1 = 0`;
  return sql`loans.lender in (${sql.join(scope.lenders)})`;
}

/** Classification 0..4 of a loan with DPD `d`, by its policy's thresholds (the policies row is aliased `p`). */
function classificationOf(d: RawBuilder<number>): RawBuilder<number> {
  return classification(d, policyThresholds("p"), sql.ref("loans.status"));
}

const OPEN = sql`loans.status in (${sql.lit(LoanStatus.Active)}, ${sql.lit(LoanStatus.ChargedOff)})`;

type Cell = { b: number; c: number } & Figures;

/**
 * Counts, outstanding principal and amount overdue per (bucket, classification) of the open loans,
 * in two aggregate queries; then penalty accrued for the loans past their grace period.
 */
async function cells(db: Kysely<Database>, scope: PortfolioScope, at: AsOf): Promise<Cell[]> {
  const t = at.timestamp;
  const d = dpd(sql.ref("loans.due_key"), t);
  const where = sql`${OPEN} and ${lenderFilter(scope)}`;
  // 1. counts and amount overdue (the row's amount_overdue is as of the cursor, i.e. asOf).
  const counts = await sql<Record<string, unknown>>`
    select x.b, x.c, count(*) as n, ${sql.join(sumAmountColumns(sql.ref("x.amount_overdue"), "ov"))}
    from (select ${bucket(d)} as b, ${classificationOf(d)} as c, loans.amount_overdue
          from loans join policies p on p.policy_id = loans.policy_id where ${where}) x
    group by x.b, x.c`.execute(db);
  // 2. outstanding principal: the current version's installments from the cursor on (one row
  //    each), less the principal part of what was paid on the cursor installment (one row per
  //    loan). Interest is paid first, so that part is max(0, paid − interest); decimal strings
  //    without leading zeros compare by length, then as text.
  const principal = await sql<Record<string, unknown>>`
    select x.b, x.c, ${sql.join(sumAmountColumns(sql.ref("x.principal"), "pr"))}
    from (select ${bucket(d)} as b, ${classificationOf(d)} as c, i.principal
          from loans
          join policies p on p.policy_id = loans.policy_id
          join installments i on i.loan_id = loans.loan_id and i.version = loans.version and i.idx >= loans.cursor
          where ${where}) x
    group by x.b, x.c`.execute(db);
  const paidPrincipal = await sql<Record<string, unknown>>`
    select x.b, x.c, ${sql.join([...sumAmountColumns(sql.ref("x.paid"), "pd"), ...sumAmountColumns(sql.ref("x.interest"), "in")])}
    from (select ${bucket(d)} as b, ${classificationOf(d)} as c, loans.paid, i.interest
          from loans
          join policies p on p.policy_id = loans.policy_id
          join installments i on i.loan_id = loans.loan_id and i.version = loans.version and i.idx = loans.cursor
          where ${where} and (length(loans.paid) > length(i.interest) or (length(loans.paid) = length(i.interest) and loans.paid > i.interest))) x
    group by x.b, x.c`.execute(db);
  const byKey = new Map<string, Cell>();
  const cell = (b: number, c: number) => {
    const key = `${b}:${c}`;
    let v = byKey.get(key);
    if (!v) byKey.set(key, (v = { b, c, ...emptyFigures() }));
    return v;
  };
  for (const r of counts.rows) {
    const v = cell(Number(r.b), Number(r.c));
    v.loans = Number(r.n);
    v.amountOverdue = amountFromChunks(r, "ov");
  }
  for (const r of principal.rows) cell(Number(r.b), Number(r.c)).outstandingPrincipal += amountFromChunks(r, "pr");
  for (const r of paidPrincipal.rows) cell(Number(r.b), Number(r.c)).outstandingPrincipal -= amountFromChunks(r, "pd") - amountFromChunks(r, "in");
  // 3. penalty accrued needs the domain's per-installment math (rounding, cap, late fee), so it is
  //    computed here — only for open loans with at least one penalty day (DPD > grace days), and
  //    only from their installments that have penalty days (the rest contribute nothing).
  // (DPD >= 1 follows from the penalty test; said on due_key alone, it lets the due_key index serve.)
  const eligible = sql<boolean>`${OPEN} and ${lenderFilter(scope)} and loans.due_key <= ${sql.lit(dueKeyRange(t, 1, Number.MAX_SAFE_INTEGER).hi)}
    and ${penaltyStarted(sql.ref("loans.due_key"), t, sql.ref("loans.grace_days"))}`;
  const rows = (await db.selectFrom("loans").selectAll().where(eligible).orderBy("loan_id").execute()) as LoansTable[];
  if (rows.length > 0) {
    const inst = await db
      .selectFrom("installments as i")
      .innerJoin("loans", (j) => j.onRef("loans.loan_id", "=", "i.loan_id").onRef("loans.version", "=", "i.version"))
      .select(["i.loan_id", "i.idx", "i.due_date", "i.principal", "i.interest"])
      .where(eligible)
      .where(sql<boolean>`i.idx >= loans.cursor and ${penaltyStarted(sql.ref("i.due_date"), t, sql.ref("loans.grace_days"))}`)
      .orderBy("i.loan_id")
      .orderBy("i.idx")
      .execute();
    const schedules = schedulesFrom(inst);
    const policies = await loadPolicies(db, [...new Set(rows.map((r) => r.policy_id))]);
    const tt = BigInt(t);
    for (const row of rows) {
      const policy = policies.get(row.policy_id);
      const overdue = schedules.get(row.loan_id);
      if (!policy || !overdue) continue;
      // The penalty-bearing installments, re-based so the cursor installment is index 0: the
      // domain's penalty math only looks at installments from the cursor on, by relative position.
      const { state } = projectionFromRow({ ...row, cursor: 0 }, overdue, policy);
      const late = daysLate(BigInt(row.due_key), tt);
      cell(bucketOf(late), classify(late, policy, row.status as LoanStatus)).penaltyAccrued += penaltyOutstandingAt(state, tt > state.lastPaidAt ? tt : state.lastPaidAt);
    }
  }
  return [...byKey.values()];
}

export interface RollRate {
  from: BucketName;
  to: BucketName;
  loans: number;
  rolled: number;
  rate: number | null;
}

export type RollDestination = BucketName | "closed" | "written_off" | "settled";

/**
 * Bucket transitions between T0 = asOf − 30 days and asOf (see the route description for the exact
 * definition): one aggregate query. The bucket at T0 is {@link loansAt}'s (shared with the trends).
 */
async function transitions(db: Kysely<Database>, scope: PortfolioScope, at: AsOf): Promise<{ from: number; to: number; n: number }[]> {
  const t0 = at.timestamp - ROLL_WINDOW_DAYS * DAY_SECONDS;
  const then = loansAt(lenderFilter(scope), t0);
  const dpdNow = dpd(sql.ref("loans.due_key"), at.timestamp);
  const res = await sql<{ b0: number; b1: number; n: number }>`
    select x.b0, x.b1, count(*) as n
    from (select ${bucket(then.dpd)} as b0,
            case when loans.status = ${sql.lit(LoanStatus.WrittenOff)} then 9 when loans.status = ${sql.lit(LoanStatus.Closed)} then 8
                 when loans.status = ${sql.lit(LoanStatus.Settled)} then 10 else ${bucket(dpdNow)} end as b1
          from ${then.from}
          where ${then.where}) x
    group by x.b0, x.b1`.execute(db);
  return res.rows.map((r) => ({ from: Number(r.b0), to: Number(r.b1), n: Number(r.n) }));
}

/** The portfolio report of `scope` at `at` (see GET /v1/portfolio). */
export async function portfolioReport(db: Kysely<Database>, scope: PortfolioScope, at: AsOf) {
  const filter = lenderFilter(scope);
  const [cellRows, moves, statusRows, recoveries, collectors, strategy, relief] = await Promise.all([
    cells(db, scope, at),
    transitions(db, scope, at),
    sql<{ status: number; n: number }>`select loans.status, count(*) as n from loans where ${filter} group by loans.status`.execute(db),
    sql<Record<string, unknown>>`select count(*) as n, ${sql.join(sumAmountColumns(sql.ref("r.amount"), "am"))}
      from repayments r join loans on loans.loan_id = r.loan_id where r.recovery = 1 and ${filter}`.execute(db),
    sql<{ collector: string; n: number; contacts: number; promises: number; flagged: number; last_at: number | null }>`
      select a.collector, count(*) as n,
        sum(case when a.kind = 1 then 1 else 0 end) as contacts,
        sum(case when a.kind = 2 then 1 else 0 end) as promises,
        sum(case when a.flags <> 0 then 1 else 0 end) as flagged,
        max(a.block_timestamp) as last_at
      from actions a join loans on loans.loan_id = a.loan_id where ${filter}
      group by a.collector order by a.collector`.execute(db),
    strategyFigures(db, filter, at),
    reliefFigures(db, filter, at),
  ]);

  const buckets = BUCKET_LABELS.map(emptyFigures);
  const classes = CLASSIFICATION_NAMES.map(emptyFigures);
  const total = emptyFigures();
  for (const c of cellRows) {
    for (const f of [buckets[c.b], classes[c.c], total]) {
      f.loans += c.loans;
      f.outstandingPrincipal += c.outstandingPrincipal;
      f.amountOverdue += c.amountOverdue;
      f.penaltyAccrued += c.penaltyAccrued;
    }
  }
  const out = (f: Figures) => ({
    loans: f.loans,
    outstandingPrincipal: f.outstandingPrincipal.toString(),
    amountOverdue: f.amountOverdue.toString(),
    penaltyAccrued: f.penaltyAccrued.toString(),
  });
  const destination = (to: number): RollDestination => (to === 8 ? "closed" : to === 9 ? "written_off" : to === 10 ? "settled" : BUCKET_LABELS[to]);
  const fromTotals = BUCKET_LABELS.map((_, b) => moves.filter((m) => m.from === b).reduce((s, m) => s + m.n, 0));
  const rollRates: RollRate[] = BUCKET_LABELS.slice(0, -1).map((from, b) => {
    const rolled = moves.filter((m) => m.from === b && m.to === b + 1).reduce((s, m) => s + m.n, 0);
    const loans = fromTotals[b];
    return { from, to: BUCKET_LABELS[b + 1], loans, rolled, rate: loans === 0 ? null : Math.round((rolled / loans) * 10_000) / 10_000 };
  });
  const statusCount = (s: number) => Number(statusRows.rows.find((r) => Number(r.status) === s)?.n ?? 0);
  const rec = recoveries.rows[0] ?? {};
  return {
    totals: out(total),
    buckets: BUCKET_LABELS.map((bucket, b) => ({ bucket, ...out(buckets[b]) })),
    classifications: CLASSIFICATION_NAMES.map((classification, c) => ({ classification: classification as ClassificationName, ...out(classes[c]) })),
    statuses: {
      active: statusCount(LoanStatus.Active),
      charged_off: statusCount(LoanStatus.ChargedOff),
      written_off: statusCount(LoanStatus.WrittenOff),
      closed: statusCount(LoanStatus.Closed),
      settled: statusCount(LoanStatus.Settled),
    },
    rollRates: {
      windowDays: ROLL_WINDOW_DAYS,
      from: { timestamp: at.timestamp - ROLL_WINDOW_DAYS * DAY_SECONDS },
      rates: rollRates,
      transitions: moves
        .sort((a, b) => a.from - b.from || a.to - b.to)
        .map((m) => ({ from: BUCKET_LABELS[m.from], to: destination(m.to), loans: m.n })),
    },
    recoveries: { count: Number(rec.n ?? 0), amount: amountFromChunks(rec, "am").toString() },
    collectors: collectors.rows.map((r) => ({
      collector: r.collector,
      actions: Number(r.n),
      contactsMade: Number(r.contacts ?? 0),
      promises: Number(r.promises ?? 0),
      flagged: Number(r.flagged ?? 0),
      lastActionAt: r.last_at === null ? null : Number(r.last_at),
    })),
    strategy,
    relief,
    asOf: at,
  };
}
