/**
 * The portfolio's history (GET /v1/portfolio/trends): ageing at each of the last months' ends, and
 * vintage curves (share of an origination month's loans 30+ DPD by months on book). Every figure at a
 * month-end T is the roll rates' position at T ({@link loansAt}): no second DPD rule. One aggregate
 * query per month-end (so `months` bounds the work, whatever the book's size) and one for the
 * originations.
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database } from "../../db/schema";
import { BUCKET_LABELS } from "../../domain";
import { bucket, dueKeyRange } from "../../db/rules-sql";
import type { AsOf, BucketName } from "./loans";
import { lenderFilter, type PortfolioScope } from "./portfolio";
import { loansAt, repaidByAt } from "./portfolio-at";
import { amountFromChunks, sumAmountColumns } from "./sql-amounts";

/** A vintage curve counts loans at least this many days past due ("30+"). */
export const VINTAGE_DPD = 30;

/** The most months a trends answer covers. */
export const MAX_TREND_MONTHS = 36;

/** A UTC month boundary: `at` (00:00:00 UTC of a month's first day) ends `month` ("YYYY-MM", the month before). */
export interface MonthEnd {
  month: string;
  at: number;
}

/**
 * The last `months` UTC month boundaries at or before `asOf` (chain time), oldest first, and the one
 * before them (the start of the first month): `months + 1` boundaries.
 */
export function monthBoundaries(asOf: number, months: number): MonthEnd[] {
  const now = new Date(asOf * 1000);
  const [y, m] = [now.getUTCFullYear(), now.getUTCMonth()];
  return Array.from({ length: months + 1 }, (_, i) => {
    const k = months - i; // months back from the current month's start
    const at = Date.UTC(y, m - k, 1) / 1000;
    const ended = new Date(Date.UTC(y, m - k - 1, 1));
    return { month: `${ended.getUTCFullYear()}-${String(ended.getUTCMonth() + 1).padStart(2, "0")}`, at };
  });
}

/** Index j of the vintage whose origination month is [bounds[j].at, bounds[j+1].at), or -1 outside the window. */
function vintageOf(registeredAt: RawBuilder<unknown>, bounds: MonthEnd[]): RawBuilder<number> {
  const arms = bounds.slice(1).map((b, j) => sql`when ${registeredAt} < ${sql.lit(b.at)} then ${sql.lit(j)}`);
  return sql<number>`case when ${registeredAt} < ${sql.lit(bounds[0]!.at)} then -1 ${sql.join(arms, sql` `)} else -1 end`;
}

const ZERO = sql`cast('0' as text)`;

interface Cell {
  b: number;
  v: number;
  loans: number;
  late: number;
  overdue: bigint;
}

/**
 * Per (bucket, vintage) at month-end `t`: loans in the population, those 30+ DPD, and the amount
 * overdue as the domain's `overdueAt` defines it (principal + interest of every installment at least
 * a day late from the cursor on, less what was paid on the cursor installment). What was paid on the
 * cursor installment at `t` is the version's repaid principal and interest up to `t` less the amounts
 * of the installments before the cursor; it only counts when the cursor installment itself is late.
 */
async function cellsAt(db: Kysely<Database>, lenders: RawBuilder<unknown>, t: number, bounds: MonthEnd[]): Promise<Cell[]> {
  const then = loansAt(lenders, t);
  const lateDue = sql.lit(dueKeyRange(t, 1, Number.MAX_SAFE_INTEGER).hi); // due at or before: at least a day late at t
  const inst = (cond: RawBuilder<unknown>) => sql`select x.b, x.v, 0 as one, 0 as late, ix.principal as p, ix.interest as i, ${ZERO} as mp, ${ZERO} as mi
      from x join installments ix on ix.loan_id = x.loan_id and ix.version = x.version and ${cond}`;
  const on = { loanId: "x.loan_id", block: "x.sv_block", logIndex: "x.sv_log" };
  const res = await sql<Record<string, unknown>>`
    with x as (
      select loans.loan_id, loans.version, i0.idx as c, sv.block_number as sv_block, sv.log_index as sv_log,
        ${bucket(then.dpd)} as b, ${then.dpd} as d, ${vintageOf(sql.ref("loans.registered_at"), bounds)} as v
      from ${then.from} where ${then.where})
    select y.b, y.v, sum(y.one) as n, sum(y.late) as late,
      ${sql.join([...sumAmountColumns(sql.ref("y.p"), "p"), ...sumAmountColumns(sql.ref("y.i"), "i"), ...sumAmountColumns(sql.ref("y.mp"), "mp"), ...sumAmountColumns(sql.ref("y.mi"), "mi")])}
    from (
      select x.b, x.v, 1 as one, case when x.d >= ${sql.lit(VINTAGE_DPD)} then 1 else 0 end as late, ${ZERO} as p, ${ZERO} as i, ${ZERO} as mp, ${ZERO} as mi from x
      union all ${inst(sql`ix.idx >= x.c and ix.due_date <= ${lateDue}`)}
      union all ${inst(sql`ix.idx < x.c and x.d >= 1`)}
      union all select x.b, x.v, 0, 0, ${ZERO}, ${ZERO}, r.principal, r.interest from x join repayments r on ${repaidByAt("r", t, on)} and x.d >= 1
    ) y
    group by y.b, y.v`.execute(db);
  return res.rows.map((r) => ({
    b: Number(r.b),
    v: Number(r.v),
    loans: Number(r.n),
    late: Number(r.late),
    overdue: amountFromChunks(r, "p") + amountFromChunks(r, "i") - amountFromChunks(r, "mp") - amountFromChunks(r, "mi"),
  }));
}

/** share = count / of, 4 decimals (as the roll rates' `rate`); null when `of` is 0. */
const share = (count: number, of: number) => (of === 0 ? null : Math.round((count / of) * 10_000) / 10_000);

/** The trends of `scope` over the last `months` month-ends up to `at` (see GET /v1/portfolio/trends). */
export async function portfolioTrends(db: Kysely<Database>, scope: PortfolioScope, at: AsOf, months: number) {
  const lenders = lenderFilter(scope);
  const bounds = monthBoundaries(at.timestamp, months);
  const ends = bounds.slice(1);
  const perEnd: Cell[][] = [];
  // One at a time: each is a full aggregate over the book; running them together only contends.
  for (const e of ends) perEnd.push(await cellsAt(db, lenders, e.at, bounds));
  const originated = await sql<{ v: number; n: number }>`
    select x.v, count(*) as n from (select ${vintageOf(sql.ref("loans.registered_at"), bounds)} as v from loans
      where ${lenders} and loans.registered_at >= ${sql.lit(bounds[0]!.at)} and loans.registered_at < ${sql.lit(ends[ends.length - 1]!.at)}) x
    group by x.v`.execute(db);

  const ageing = ends.map((e, j) => {
    const buckets = BUCKET_LABELS.map((label, b) => {
      const cells = perEnd[j]!.filter((c) => c.b === b);
      return { bucket: label as BucketName, loans: cells.reduce((s, c) => s + c.loans, 0), amountOverdue: cells.reduce((s, c) => s + c.overdue, 0n).toString() };
    });
    return { month: e.month, at: e.at, buckets };
  });
  const vintages = ends.flatMap((e, v) => {
    const n = Number(originated.rows.find((r) => Number(r.v) === v)?.n ?? 0);
    if (n === 0) return [];
    // Months on book k is the end of the origination month plus k months: ends[v + k], while at or before asOf.
    const points = ends.slice(v).map((p, k) => {
      const loans = perEnd[v + k]!.filter((c) => c.v === v).reduce((s, c) => s + c.late, 0);
      return { monthsOnBook: k, at: p.at, loans, share: share(loans, n) };
    });
    return [{ month: e.month, originated: n, points }];
  });
  return { months, vintageDpd: VINTAGE_DPD, ageing, vintages, asOf: at };
}
