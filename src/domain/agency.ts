/**
 * Collection agencies, the twin of CollectionLog's placements (contracts/interfaces/IPlacements.sol,
 * docs/agencies.md): who may work a placed loan at a time, and what an agency earns.
 *
 * A placement is active in [start, end) unless recalled first. Its recoveries are the payments of
 * its loans (LoanRepaid and LoanSettled amounts) with paidAt in [start, min(end, recalledAt)); the
 * commission on each is floor(amount × commissionBps / 10,000) in the loan's minor units, rounded
 * down per payment (never on a sum), so a statement for any period adds up from its payments.
 */
import { BPS } from "./constants";
import { DomainError } from "./errors";

/** CollectionLog.MAX_PLACEMENT_LOANS. */
export const MAX_PLACEMENT_LOANS = 200;

export interface Placement {
  id: number;
  lender: string;
  agency: string;
  commissionBps: number;
  /** Chain time, seconds. */
  start: number;
  end: number;
  /** When it was recalled; null while not. */
  recalledAt: number | null;
  loanIds: readonly number[];
}

/** Active at `t`: started, not ended, not recalled. */
export const placementActiveAt = (p: Placement, t: number): boolean => p.recalledAt === null && p.start <= t && t < p.end;

/** Recalled or past its end: it gives no access and holds no loan. */
export const placementOverAt = (p: Placement, t: number): boolean => p.recalledAt !== null || t >= p.end;

/** The window whose payments are the placement's: [start, min(end, recalledAt)); empty when recalled before it started. */
export function recoveryWindow(p: Placement): { from: number; to: number } {
  const to = p.recalledAt === null ? p.end : Math.min(p.end, p.recalledAt);
  return { from: p.start, to: Math.max(p.start, to) };
}

/** How a commission is rounded, as statements state it. */
export const COMMISSION_ROUNDING = "floor(amount × commissionBps / 10,000) per payment, in the loan's minor units";

/** The commission on one payment: floor(amount × bps / 10,000). */
export function commissionOf(amount: bigint, commissionBps: number): bigint {
  if (amount < 0n) throw new PlacementError(`A payment cannot be negative (got ${amount}).`, "");
  return (amount * BigInt(commissionBps)) / BPS;
}

// ------------------------------------------------------------------ errors (the contract's, by name)

/** A placement rule was broken; `contractError` is the CollectionLog custom error for the same case. */
export class PlacementError extends DomainError {
  override name = "PlacementError";
  constructor(
    message: string,
    readonly contractError: string,
  ) {
    super(message);
  }
}

// ------------------------------------------------------------------ the placement book

/**
 * Placements and agency collectors as CollectionLog keeps them, for a model of the chain (the
 * property test drives both with the same steps) and for the indexer's checks. Loan ownership is
 * given by `lenderOf`.
 */
export class PlacementBook {
  readonly placements: Placement[] = [];
  private readonly latest = new Map<number, number>();
  /** `${loanId}:${collector}` → placement id that let the collector in. */
  private readonly agencyCollectors = new Map<string, number>();

  constructor(private readonly lenderOf: (loanId: number) => string | undefined) {}

  get(id: number): Placement | undefined {
    return this.placements[id - 1];
  }

  placementOfLoan(loanId: number): number {
    return this.latest.get(loanId) ?? 0;
  }

  place(sender: string, loanIds: readonly number[], agency: string, commissionBps: number, start: number, end: number, now: number): Placement {
    const n = loanIds.length;
    if (n === 0 || n > MAX_PLACEMENT_LOANS) throw new PlacementError(`A placement takes 1 to ${MAX_PLACEMENT_LOANS} loans, got ${n}.`, "CollectionLogInvalidPlacementSize");
    if (/^0x0{40}$/i.test(agency) || same(agency, sender)) throw new PlacementError(`${agency} cannot be the agency: not zero, not the lender.`, "CollectionLogInvalidAgency");
    if (commissionBps > 10_000) throw new PlacementError(`A commission is at most 10,000 bps, got ${commissionBps}.`, "CollectionLogInvalidCommission");
    if (start < now || end <= start) throw new PlacementError(`A placement runs from now or later to a later end (start ${start}, end ${end}, now ${now}).`, "CollectionLogInvalidPlacementPeriod");
    const id = this.placements.length + 1;
    const named = new Set<number>();
    for (const loanId of loanIds) {
      if (!same(this.lenderOf(loanId) ?? "", sender)) throw new PlacementError(`${sender} is not loan ${loanId}'s lender.`, "CollectionLogNotLender");
      // A loan named twice is refused by the second naming: the first made it this placement's.
      const previous = named.has(loanId) ? id : this.latest.get(loanId);
      if (previous !== undefined && (previous === id || !placementOverAt(this.get(previous)!, now))) {
        throw new PlacementError(`Loan ${loanId} is in placement ${previous}, which has not ended.`, "CollectionLogLoanPlaced");
      }
      named.add(loanId);
    }
    for (const loanId of named) this.latest.set(loanId, id);
    const p: Placement = { id, lender: sender, agency, commissionBps, start, end, recalledAt: null, loanIds: [...loanIds] };
    this.placements.push(p);
    return p;
  }

  recall(sender: string, id: number, now: number): void {
    const p = this.require(id);
    if (!same(sender, p.lender)) throw new PlacementError(`${sender} is not placement ${id}'s lender.`, "CollectionLogNotPlacementLender");
    if (placementOverAt(p, now)) throw new PlacementError(`Placement ${id} is already recalled or ended.`, "CollectionLogPlacementOver");
    p.recalledAt = now;
  }

  assign(sender: string, id: number, loanIds: readonly number[], collector: string, now: number): void {
    const p = this.require(id);
    if (!same(sender, p.agency)) throw new PlacementError(`${sender} is not placement ${id}'s agency.`, "CollectionLogNotAgency");
    if (!placementActiveAt(p, now)) throw new PlacementError(`Placement ${id} is not active at ${now}.`, "CollectionLogPlacementNotActive");
    if (/^0x0{40}$/i.test(collector)) throw new PlacementError("The collector cannot be the zero address.", "CollectionLogInvalidCollector");
    const added: string[] = [];
    try {
      for (const loanId of loanIds) {
        if (this.placementOfLoan(loanId) !== id) throw new PlacementError(`Loan ${loanId} is not in placement ${id}.`, "CollectionLogNotInPlacement");
        const key = `${loanId}:${collector.toLowerCase()}`;
        if (this.agencyCollectors.get(key) === id) throw new PlacementError(`${collector} already works loan ${loanId} in placement ${id}.`, "CollectionLogAlreadyAssigned");
        this.agencyCollectors.set(key, id);
        added.push(key);
      }
    } catch (err) {
      for (const key of added) this.agencyCollectors.delete(key); // all or nothing, as the transaction
      throw err;
    }
  }

  unassign(sender: string, id: number, loanId: number, collector: string): void {
    const p = this.require(id);
    if (!same(sender, p.agency) && !same(sender, p.lender)) throw new PlacementError(`${sender} is neither placement ${id}'s agency nor its lender.`, "CollectionLogNotAgency");
    const key = `${loanId}:${collector.toLowerCase()}`;
    if (this.agencyCollectors.get(key) !== id) throw new PlacementError(`${collector} does not work loan ${loanId} in placement ${id}.`, "CollectionLogNotAssigned");
    this.agencyCollectors.delete(key);
  }

  /** CollectionLog.mayWorkPlaced: the agency of the loan's active placement, or a collector it assigned to the loan there. */
  mayWork(loanId: number, account: string, now: number): boolean {
    const id = this.placementOfLoan(loanId);
    const p = id ? this.get(id) : undefined;
    if (!p || !placementActiveAt(p, now)) return false;
    return same(account, p.agency) || this.agencyCollectors.get(`${loanId}:${account.toLowerCase()}`) === id;
  }

  private require(id: number): Placement {
    const p = this.get(id);
    if (!p) throw new PlacementError(`There is no placement ${id}.`, "CollectionLogUnknownPlacement");
    return p;
  }
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

// ------------------------------------------------------------------ statements

/** A payment on a loan, from LoanRepaid (`amount`) or LoanSettled (`amount`). */
export interface Recovery {
  loanId: number;
  amount: bigint;
  paidAt: number;
  kind: "repayment" | "settlement";
  /** Where it is on chain: block number and log index (for ordering and checking). */
  blockNumber: number;
  logIndex: number;
  txHash: string;
  /** What the amount is in: the loan's token address, or its ISO 4217 currency code. */
  unit: string;
}

export interface StatementLine extends Recovery {
  placementId: number;
  commissionBps: number;
  commission: bigint;
}

export interface AgencyStatement {
  agency: string;
  from: number;
  to: number;
  lines: StatementLine[];
  /** Per placement and unit (amounts in different tokens or currencies are never added). */
  totals: { placementId: number; unit: string; payments: number; recovered: bigint; commission: bigint }[];
}

/**
 * The agency's statement for [from, to): every payment on its placements' loans with paidAt inside
 * both the period and the placement's recovery window, with its commission; sorted by chain order.
 */
export function agencyStatement(agency: string, placements: readonly Placement[], recoveries: readonly Recovery[], from: number, to: number): AgencyStatement {
  if (!(to > from)) throw new PlacementError(`A statement period ends after it starts (from ${from}, to ${to}).`, "");
  const byLoan = new Map<number, Placement[]>();
  for (const p of placements) {
    if (!same(p.agency, agency)) continue;
    for (const id of p.loanIds) (byLoan.get(id) ?? byLoan.set(id, []).get(id)!).push(p);
  }
  const lines: StatementLine[] = [];
  for (const r of recoveries) {
    if (r.paidAt < from || r.paidAt >= to) continue;
    // At most one placement of a loan is open at any time, so at most one window holds paidAt.
    const p = byLoan.get(r.loanId)?.find((q) => {
      const w = recoveryWindow(q);
      return r.paidAt >= w.from && r.paidAt < w.to;
    });
    if (p) lines.push({ ...r, placementId: p.id, commissionBps: p.commissionBps, commission: commissionOf(r.amount, p.commissionBps) });
  }
  lines.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  const totals = new Map<string, AgencyStatement["totals"][number]>();
  for (const l of lines) {
    const key = `${l.placementId}:${l.unit}`;
    const t = totals.get(key) ?? { placementId: l.placementId, unit: l.unit, payments: 0, recovered: 0n, commission: 0n };
    t.payments++;
    t.recovered += l.amount;
    t.commission += l.commission;
    totals.set(key, t);
  }
  return { agency, from, to, lines, totals: [...totals.values()].sort((a, b) => a.placementId - b.placementId || a.unit.localeCompare(b.unit)) };
}
