/**
 * Placements read from the indexed event tables (migration 0015), at a chain time: which loans an
 * agency or its collectors may work now (CollectionLog.mayWorkPlaced), and the placements and
 * payments an agency statement is computed from (src/domain/agency.ts).
 */
import type { Kysely } from "kysely";
import { placementActiveAt, type Placement, type Recovery } from "../domain";
import type { Database } from "./schema";
import { settlementOf } from "./loans";

/** The placements matching `where` (by agency or lender, or all), with their loans and recall. */
export async function loadPlacements(db: Kysely<Database>, where: { agency?: string; lender?: string; ids?: number[] } = {}): Promise<Placement[]> {
  let q = db.selectFrom("placements").selectAll();
  if (where.agency !== undefined) q = q.where("agency", "=", where.agency);
  if (where.lender !== undefined) q = q.where("lender", "=", where.lender);
  if (where.ids !== undefined) q = where.ids.length ? q.where("placement_id", "in", where.ids) : q.where("placement_id", "=", -1);
  const rows = await q.orderBy("placement_id").execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.placement_id);
  const [loans, recalls] = await Promise.all([
    db.selectFrom("placement_loans").select(["placement_id", "loan_id"]).where("placement_id", "in", ids).orderBy("loan_id").execute(),
    db.selectFrom("placement_recalls").select(["placement_id", "recalled_at"]).where("placement_id", "in", ids).execute(),
  ]);
  const loansOf = new Map<number, number[]>();
  for (const l of loans) (loansOf.get(l.placement_id) ?? loansOf.set(l.placement_id, []).get(l.placement_id)!).push(l.loan_id);
  const recalledAt = new Map(recalls.map((r) => [r.placement_id, Number(r.recalled_at)]));
  return rows.map((r) => ({
    id: r.placement_id,
    lender: r.lender,
    agency: r.agency,
    commissionBps: r.commission_bps,
    start: Number(r.start_at),
    end: Number(r.end_at),
    recalledAt: recalledAt.get(r.placement_id) ?? null,
    loanIds: loansOf.get(r.placement_id) ?? [],
  }));
}

/**
 * The loans `account` may work through a placement at chain time `at`: every loan of the active
 * placements it is the agency of, and the loans of active placements its agency assigned it to
 * (the latest AgencyCollectorAssigned/Unassigned of each placement and loan decides). Also whether
 * any agency ever assigned it (`agencyCollector`): then, as for an agency, which loans those are
 * depends on the chain time alone (placements start, end and are recalled).
 */
export async function agencyLoansOf(db: Kysely<Database>, account: string, at: number): Promise<{ loans: number[]; agencyCollector: boolean }> {
  const [asAgency, assignments] = await Promise.all([
    db
      .selectFrom("placements")
      .innerJoin("placement_loans", "placement_loans.placement_id", "placements.placement_id")
      .leftJoin("placement_recalls", "placement_recalls.placement_id", "placements.placement_id")
      .select("placement_loans.loan_id")
      .where("placements.agency", "=", account)
      .where("placement_recalls.placement_id", "is", null)
      .where("placements.start_at", "<=", at)
      .where("placements.end_at", ">", at)
      .execute(),
    db.selectFrom("agency_assignments").select(["placement_id", "loan_id", "assigned"]).where("collector", "=", account).orderBy("block_number").orderBy("log_index").execute(),
  ]);
  const out = new Set(asAgency.map((r) => r.loan_id));
  if (assignments.length > 0) {
    const latest = new Map<string, { placement: number; loan: number; on: boolean }>();
    for (const a of assignments) latest.set(`${a.placement_id}:${a.loan_id}`, { placement: a.placement_id, loan: a.loan_id, on: a.assigned === 1 });
    const held = [...latest.values()].filter((a) => a.on);
    const placements = new Map((await loadPlacements(db, { ids: [...new Set(held.map((a) => a.placement))] })).map((p) => [p.id, p]));
    for (const a of held) {
      const p = placements.get(a.placement);
      if (p && placementActiveAt(p, at)) out.add(a.loan);
    }
  }
  return { loans: [...out].sort((a, b) => a - b), agencyCollector: assignments.length > 0 };
}

/** The payments (LoanRepaid and LoanSettled) of `loanIds` with paidAt in [from, to), in chain order, each with its loan's unit. */
export async function recoveriesOf(db: Kysely<Database>, loanIds: number[], from: number, to: number): Promise<Recovery[]> {
  if (loanIds.length === 0) return [];
  const out: Recovery[] = [];
  const units = new Map<number, string>();
  // In slices: SQLite binds at most 32,766 parameters a statement.
  for (let i = 0; i < loanIds.length; i += 5_000) {
    const ids = loanIds.slice(i, i + 5_000);
    const [loans, repayments, settlements] = await Promise.all([
      db.selectFrom("loans").select(["loan_id", "token", "currency"]).where("loan_id", "in", ids).execute(),
      db.selectFrom("repayments").select(["loan_id", "amount", "paid_at", "block_number", "log_index", "tx_hash"]).where("loan_id", "in", ids).where("paid_at", ">=", from).where("paid_at", "<", to).execute(),
      db.selectFrom("settlements").select(["loan_id", "amount", "paid_at", "block_number", "log_index", "tx_hash"]).where("loan_id", "in", ids).where("paid_at", ">=", from).where("paid_at", "<", to).execute(),
    ]);
    for (const l of loans) {
      const s = settlementOf(l);
      units.set(l.loan_id, s.token ?? s.currency ?? "");
    }
    const row = (kind: Recovery["kind"]) => (r: (typeof repayments)[number]): Recovery => ({
      loanId: r.loan_id, amount: BigInt(r.amount), paidAt: Number(r.paid_at), kind, blockNumber: Number(r.block_number), logIndex: r.log_index, txHash: r.tx_hash, unit: units.get(r.loan_id) ?? "",
    });
    out.push(...repayments.map(row("repayment")), ...settlements.map(row("settlement")));
  }
  return out.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
}
