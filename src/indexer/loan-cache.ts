import type { LoanProjection } from "../db/loans";
import type { Policy } from "../domain";
import { LruMap } from "./lru";

/**
 * What the indexer keeps in memory between ranges: the projections of recently touched loans (as
 * of the database's cursor, bounded) and the policies seen. Cleared whenever the database may no
 * longer match them (a failed write, a rollback).
 */
export function createLoanCache(size: number) {
  const projections = new LruMap<number, LoanProjection>(size);
  const policies = new Map<number, Policy>();
  return {
    projections,
    policies,
    clear(): void {
      projections.clear();
      policies.clear();
    },
  };
}

export type LoanCache = ReturnType<typeof createLoanCache>;
