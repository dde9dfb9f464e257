/** The policies table's rows as the domain's Policy. */
import type { Kysely, Transaction } from "kysely";
import type { Policy } from "../domain";
import type { Database } from "./schema";

export function policyFromRow(r: Database["policies"]): Policy {
  return {
    graceDays: r.grace_days,
    penaltyRateBps: r.penalty_rate_bps,
    lateFee: BigInt(r.late_fee),
    reminderOffsetsDays: JSON.parse(r.reminder_offsets) as number[],
    substandardAfterDays: r.substandard_after_days,
    doubtfulAfterDays: r.doubtful_after_days,
    lossAfterDays: r.loss_after_days,
    defaultAfterDays: r.default_after_days,
  };
}

export async function loadPolicies(db: Kysely<Database> | Transaction<Database>, ids: number[]): Promise<Map<number, Policy>> {
  const out = new Map<number, Policy>();
  if (ids.length === 0) return out;
  const rows = await db.selectFrom("policies").selectAll().where("policy_id", "in", ids).execute();
  for (const r of rows) out.set(r.policy_id, policyFromRow(r));
  return out;
}
