import type { Kysely } from "kysely";
import type { Address } from "viem";
import type { Database } from "../../db/schema";
import { AUDITOR_ROLE, LENDER_ROLE } from "../../chain/roles";
import { agencyLoansOf } from "../../db/placements";

export { AUDITOR_ROLE, LENDER_ROLE } from "../../chain/roles";

/** What a caller may see, from the indexed chain: LoanLedger roles, servicer delegations, collector assignments. */
export interface Scope {
  address: Address;
  lender: boolean;
  auditor: boolean;
  /** Lenders whose loans the caller may see: itself if a lender, and those it services. */
  lenders: string[];
  /** Assigned to at least one loan now, by its lender or through a placement. */
  collector: boolean;
  /** Assigned to at least one loan now by its lender (current_collectors). */
  assigned: boolean;
  /** The agency of at least one placement (active or not): it may read its statements. */
  agency: boolean;
  /** Loans it may work now through placements (as their agency or an agency's collector), at the indexed chain time. */
  agencyLoans: number[];
}

async function hasRole(db: Kysely<Database>, role: string, account: string): Promise<boolean> {
  const last = await db
    .selectFrom("role_changes")
    .select("granted")
    .where("contract", "=", "LoanLedger")
    .where("role", "=", role)
    .where("account", "=", account)
    .orderBy("block_number", "desc")
    .orderBy("log_index", "desc")
    .limit(1)
    .executeTakeFirst();
  return last?.granted === 1;
}

export async function resolveScope(db: Kysely<Database>, address: Address): Promise<Scope> {
  return (await loadScope(db, address)).scope;
}

/**
 * The caller's scope, and whether it depends on the chain time as well as on the tables whose
 * changes `cache_epochs.scopes` counts (migration 0017): an agency's, or an agency collector's,
 * loans change as placements start and end, with no event. Any other scope stays the same until
 * that count moves.
 */
export async function loadScope(db: Kysely<Database>, address: Address): Promise<{ scope: Scope; timed: boolean }> {
  const [lender, auditor, servicing, assigned, placed, cursor] = await Promise.all([
    hasRole(db, LENDER_ROLE, address),
    hasRole(db, AUDITOR_ROLE, address),
    db.selectFrom("servicers").select(["lender", "allowed"]).where("servicer", "=", address).orderBy("block_number").orderBy("log_index").execute(),
    db.selectFrom("current_collectors").select("loan_id").where("collector", "=", address).limit(1).executeTakeFirst(),
    db.selectFrom("placements").select("placement_id").where("agency", "=", address).limit(1).executeTakeFirst(),
    db.selectFrom("cursor").select("block_timestamp").where("id", "=", 1).executeTakeFirst(),
  ]);
  const serviced = new Map<string, boolean>();
  for (const s of servicing) serviced.set(s.lender, s.allowed === 1);
  const lenders = [...(lender ? [address] : []), ...[...serviced].filter(([, ok]) => ok).map(([l]) => l)];
  // Chain time, as the contract checks it: a recall or the end date ends access without another event.
  const agency = cursor ? await agencyLoansOf(db, address, Number(cursor.block_timestamp)) : undefined;
  const agencyLoans = agency?.loans ?? [];
  const scope: Scope = {
    address,
    lender,
    auditor,
    lenders,
    collector: assigned !== undefined || agencyLoans.length > 0,
    assigned: assigned !== undefined,
    agency: placed !== undefined,
    agencyLoans,
  };
  return { scope, timed: !agency || placed !== undefined || agency.agencyCollector };
}
