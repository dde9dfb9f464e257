import type { Kysely } from "kysely";
import type { Address } from "viem";
import type { Database } from "../../db/schema";
import { AUDITOR_ROLE, LENDER_ROLE } from "../../chain/roles";

export { AUDITOR_ROLE, LENDER_ROLE } from "../../chain/roles";

/** What a caller may see, from the indexed chain: LoanLedger roles, servicer delegations, collector assignments. */
export interface Scope {
  address: Address;
  lender: boolean;
  auditor: boolean;
  /** Lenders whose loans the caller may see: itself if a lender, and those it services. */
  lenders: string[];
  /** Assigned to at least one loan now. */
  collector: boolean;
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
  const [lender, auditor, servicing, assigned] = await Promise.all([
    hasRole(db, LENDER_ROLE, address),
    hasRole(db, AUDITOR_ROLE, address),
    db.selectFrom("servicers").select(["lender", "allowed"]).where("servicer", "=", address).orderBy("block_number").orderBy("log_index").execute(),
    db.selectFrom("current_collectors").select("loan_id").where("collector", "=", address).limit(1).executeTakeFirst(),
  ]);
  const serviced = new Map<string, boolean>();
  for (const s of servicing) serviced.set(s.lender, s.allowed === 1);
  const lenders = [...(lender ? [address] : []), ...[...serviced].filter(([, ok]) => ok).map(([l]) => l)];
  return { address, lender, auditor, lenders, collector: assigned !== undefined };
}
