/**
 * Lenders' notice plans through the API: who may read and set them, over src/db/notice-plans.ts.
 * The lender itself and its servicers may set its plan; they and auditors may read it; anyone else
 * (a collector, another lender) is refused.
 */
import type { Kysely } from "kysely";
import type { Address } from "viem";
import type { Scope } from "../auth/scope";
import type { Database } from "../../db/schema";
import { currentPlan, setPlan, type StoredNoticePlan } from "../../db/notice-plans";
import type { NoticePlan } from "../../notify/plan";
import { ForbiddenError } from "./errors";

/** Whether the caller acts for `lender` (is it, or services it). */
const actsFor = (scope: Scope, lender: Address) => scope.lenders.includes(lender);

/** The plan in force for `lender` (the built-in plan, version 0, when it set none). */
export async function readNoticePlan(db: Kysely<Database>, scope: Scope, lender: Address): Promise<StoredNoticePlan> {
  if (!actsFor(scope, lender) && !scope.auditor) throw new ForbiddenError(`a notice plan is readable by its lender, the lender's servicers and auditors; not by ${scope.address}`);
  return currentPlan(db, lender);
}

/**
 * Puts `plan` in force for `lender` as its next version, unless it is the plan in force already.
 * @param now server clock, unix seconds.
 * @returns the plan in force afterwards and whether a version was created.
 */
export async function writeNoticePlan(db: Kysely<Database>, scope: Scope, lender: Address, plan: NoticePlan, now: number): Promise<{ stored: StoredNoticePlan; created: boolean }> {
  if (!actsFor(scope, lender)) throw new ForbiddenError(`only the lender or its servicers may set its notice plan; ${scope.address} does not act for ${lender}`);
  const r = await setPlan(db, lender, plan, scope.address, now);
  return { stored: await currentPlan(db, lender), created: r.created };
}
