/**
 * A loan's position at an earlier chain time T, from the indexed rows: the one definition the roll
 * rates (bucket at T0) and the trends (ageing and vintages at each month-end) share. DPD and bucket
 * come from rules-sql.ts, i.e. from the domain's own rules.
 *
 * The population at T: every loan registered at or before T whose current schedule version started
 * at or before T, not written off or closed at T, and not fully repaid at T. Its cursor installment
 * at T is the current version's installment at the cursor after the last repayment of that version
 * paid at or before T (`paidAt`: the block time of an on-chain payment, the value date of an
 * off-chain one), or the first installment without one; a loan without such an installment (repaid
 * at T) drops out of the join. A loan restructured after T is left out at T (its earlier version's
 * cursor is not indexed per repayment).
 */
import { sql, type RawBuilder } from "kysely";
import { dpd } from "../../db/rules-sql";

/** SQL pieces of the population at `t`: `loans`, its current version `sv` and `i0`, the cursor installment at `t`. */
export interface LoansAt {
  /** `loans join schedule_versions sv ... join installments i0 ...` (put after `from`). */
  readonly from: RawBuilder<unknown>;
  /** The population's condition (with the caller's lender filter). */
  readonly where: RawBuilder<boolean>;
  /** DPD at `t` of the cursor installment (rules-sql `dpd`). */
  readonly dpd: RawBuilder<number>;
}

/** Where {@link repaidByAt} finds the loan and its current version's event: `loans`/`sv` in {@link loansAt}'s join. */
export interface VersionRefs {
  loanId: string;
  block: string;
  logIndex: string;
}

const JOINED: VersionRefs = { loanId: "loans.loan_id", block: "sv.block_number", logIndex: "sv.log_index" };

/** `r` is a repayment of the loan's current version (recorded after the version's event), paid at or before `t`. */
export function repaidByAt(r: string, t: number, on: VersionRefs = JOINED): RawBuilder<boolean> {
  const ref = (c: string) => sql.ref(`${r}.${c}`);
  const [block, log] = [sql.ref(on.block), sql.ref(on.logIndex)];
  return sql<boolean>`${ref("loan_id")} = ${sql.ref(on.loanId)} and ${ref("paid_at")} <= ${sql.lit(t)}
    and (${ref("block_number")} > ${block} or (${ref("block_number")} = ${block} and ${ref("log_index")} > ${log}))`;
}

/**
 * The population at `t` (see the module comment), restricted by `lenders` (a condition on `loans`).
 * @param t unix seconds (chain time), a safe integer: entered as a literal, as rules-sql requires.
 */
export function loansAt(lenders: RawBuilder<unknown>, t: number): LoansAt {
  const at = sql.lit(t);
  const cursorAt = sql`coalesce((select max(r.cursor_after) from repayments r where ${repaidByAt("r", t)}), 0)`;
  return {
    from: sql`loans
      join schedule_versions sv on sv.loan_id = loans.loan_id and sv.version = loans.version
      join installments i0 on i0.loan_id = loans.loan_id and i0.version = loans.version and i0.idx = ${cursorAt}`,
    where: sql<boolean>`${lenders} and loans.registered_at <= ${at} and sv.started_at <= ${at}
      and (loans.written_off_at is null or loans.written_off_at > ${at})
      and (loans.closed_at is null or loans.closed_at > ${at})`,
    dpd: dpd(sql.ref("i0.due_date"), t),
  };
}
