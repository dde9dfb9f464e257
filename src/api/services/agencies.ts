/**
 * Agency statements and placements for the API (src/domain/agency.ts computes; src/db/placements.ts reads).
 * Who sees what: the agency its own; a lender (or its servicer) the placements of the lenders it acts
 * for; an auditor all; anyone else 403.
 */
import type { Kysely } from "kysely";
import type { Database } from "../../db/schema";
import { loadPlacements, recoveriesOf } from "../../db/placements";
import { agencyStatement, COMMISSION_ROUNDING, placementActiveAt, recoveryWindow, type Placement } from "../../domain";
import type { Scope } from "../auth/scope";
import { ForbiddenError } from "./errors";
import type { AsOf } from "./loans";

export { COMMISSION_ROUNDING as ROUNDING } from "../../domain";

/** The agency's placements the caller may see. */
export async function visiblePlacements(db: Kysely<Database>, scope: Scope, agency: string): Promise<Placement[]> {
  const self = scope.address.toLowerCase() === agency.toLowerCase();
  if (!self && !scope.auditor && scope.lenders.length === 0) {
    throw new ForbiddenError("an agency's placements and statements are for the agency, the lenders that placed loans with it, and auditors");
  }
  const all = await loadPlacements(db, { agency });
  return self || scope.auditor ? all : all.filter((p) => scope.lenders.includes(p.lender));
}

export function placementStatus(p: Placement, at: number): "scheduled" | "active" | "recalled" | "ended" {
  if (p.recalledAt !== null) return "recalled";
  if (at >= p.end) return "ended";
  return placementActiveAt(p, at) ? "active" : "scheduled";
}

export async function statementFor(db: Kysely<Database>, scope: Scope, agency: string, from: number, to: number, at: AsOf) {
  const placements = await visiblePlacements(db, scope, agency);
  // Only payments inside some placement's window can count: read those loans, from the earliest window start.
  const overlapping = placements.filter((p) => {
    const w = recoveryWindow(p);
    return w.from < to && w.to > from;
  });
  const loanIds = [...new Set(overlapping.flatMap((p) => p.loanIds))];
  const s = agencyStatement(agency, overlapping, await recoveriesOf(db, loanIds, from, to), from, to);
  return {
    agency,
    from,
    to,
    rounding: COMMISSION_ROUNDING,
    lines: s.lines.map((l) => ({
      placementId: String(l.placementId), loanId: String(l.loanId), kind: l.kind, amount: l.amount.toString(), paidAt: l.paidAt, unit: l.unit,
      commissionBps: l.commissionBps, commission: l.commission.toString(), txHash: l.txHash, blockNumber: l.blockNumber, logIndex: l.logIndex,
    })),
    totals: s.totals.map((t) => ({ placementId: String(t.placementId), unit: t.unit, payments: t.payments, recovered: t.recovered.toString(), commission: t.commission.toString() })),
    asOf: at,
  };
}
