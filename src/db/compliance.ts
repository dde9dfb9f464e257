/**
 * A loan's compliance state and its lender's contact policy read from the indexed tables, for
 * src/domain's contact rules (compliance.ts): the collector's queue (its contact window) and the
 * notice dispatcher (whether a notice may go now) use the same reading.
 */
import type { Kysely } from "kysely";
import { Channel, DAY, DEFAULT_CONTACT_POLICY, Kind, countryOf, localDay, type ComplianceState, type ContactPolicy, type DayCalls, type JurisdictionRules } from "../domain";
import type { Database, LoansTable } from "./schema";
import { preparedQuery } from "./prepared";

/** The latest contact policy of each lender (ContactPolicySet events), DEFAULT_CONTACT_POLICY otherwise. */
export async function contactPolicies(db: Kysely<Database>, lenders: string[]): Promise<Map<string, ContactPolicy>> {
  const out = new Map<string, ContactPolicy>();
  if (lenders.length === 0) return out;
  const rows = await db.selectFrom("contact_policies").selectAll().where("lender", "in", lenders).orderBy("block_number").orderBy("log_index").execute();
  for (const r of rows) {
    out.set(r.lender, {
      maxConnectedCallsPerDay: r.max_connected_calls_per_day,
      maxCallAttemptsPer7Days: r.max_call_attempts_per_7_days,
      contactStartHour: r.contact_start_hour,
      contactEndHour: r.contact_end_hour,
      legalStageDpd: r.legal_stage_dpd,
      actionWindowDays: r.action_window_days,
    });
  }
  for (const l of lenders) if (!out.has(l)) out.set(l, { ...DEFAULT_CONTACT_POLICY });
  return out;
}

/**
 * The contact rules that apply to loans of each jurisdiction in `codes` (CollectionLog.jurisdictionRulesOf):
 * the latest JurisdictionRulesSet of the code, else of its country; null when neither has rules set.
 */
export async function jurisdictionRules(db: Kysely<Database>, codes: string[]): Promise<Map<string, JurisdictionRules | null>> {
  const out = new Map<string, JurisdictionRules | null>();
  const wanted = [...new Set(codes.flatMap((c) => [c, countryOf(c)]))].filter((c) => c !== "");
  const latest = new Map<string, JurisdictionRules | null>();
  if (wanted.length > 0) {
    const rows = await db.selectFrom("jurisdiction_rules").selectAll().where("jurisdiction", "in", wanted).orderBy("block_number").orderBy("log_index").execute();
    for (const r of rows) {
      latest.set(
        r.jurisdiction,
        r.is_set === 1
          ? {
              contactStartHour: r.contact_start_hour,
              contactEndHour: r.contact_end_hour,
              maxConnectedCallsPerDay: r.max_connected_calls_per_day,
              maxCallAttemptsPer7Days: r.max_call_attempts_per_7_days,
              coolDownDaysAfterConversation: r.cool_down_days,
            }
          : null,
      );
    }
  }
  for (const c of codes) out.set(c, latest.get(c) ?? latest.get(countryOf(c)) ?? null);
  return out;
}

/** Days of call history the compliance rules can read (CollectionLog keeps 14 in its rings), plus one for the local-day boundary. */
const CALL_HISTORY_DAYS = 15n;

/** The earliest occurredAt of a call the compliance rules can read at `t`. */
export function callHistorySince(t: number): number {
  return t - Number(CALL_HISTORY_DAYS * DAY);
}

/** A call (attempted or connected) as the compliance rules read it. */
export type CallRow = { loan_id: number; kind: number; occurred_at: number };

/** The query of the calls (attempted or connected) of the loans `ids` since `since`. */
export function recentCallsQuery(db: Kysely<Database>, ids: number[], since: number) {
  return db
    .selectFrom("actions")
    .select(["loan_id", "kind", "occurred_at"])
    .where("loan_id", "in", ids)
    .where("channel", "=", Channel.Call)
    .where("kind", "in", [Kind.ContactAttempt, Kind.ContactMade])
    .where("occurred_at", ">=", since);
}

const recentCallsOf = preparedQuery((db, p: { ids: number[]; since: number }) => recentCallsQuery(db, p.ids, p.since));

/**
 * The compliance state of each loan at `t`, rebuilt from its recent calls (by occurredAt's
 * borrower-local day, as the contract counts them), restricted channels and dispute state.
 */
export async function complianceStates(db: Kysely<Database>, rows: readonly Pick<LoansTable, "loan_id" | "utc_offset_minutes" | "restricted_channels" | "dispute_open">[], t: number): Promise<Map<number, ComplianceState>> {
  if (rows.length === 0) return new Map();
  return complianceStatesFrom(rows, await recentCallsOf(db, { ids: rows.map((r) => r.loan_id), since: callHistorySince(t) }));
}

/** {@link complianceStates} from the loans' calls since callHistorySince(t), already read. */
export function complianceStatesFrom(rows: readonly Pick<LoansTable, "loan_id" | "utc_offset_minutes" | "restricted_channels" | "dispute_open">[], calls: readonly CallRow[]): Map<number, ComplianceState> {
  const out = new Map<number, ComplianceState>();
  const byLoan = new Map<number, CallRow[]>();
  for (const c of calls) {
    let l = byLoan.get(c.loan_id);
    if (!l) byLoan.set(c.loan_id, (l = []));
    l.push(c);
  }
  for (const r of rows) {
    const days = new Map<bigint, DayCalls>();
    for (const c of byLoan.get(r.loan_id) ?? []) {
      const d = localDay(BigInt(c.occurred_at), r.utc_offset_minutes);
      const before = days.get(d) ?? { calls: 0, connected: 0 };
      days.set(d, { calls: before.calls + 1, connected: before.connected + (c.kind === Kind.ContactMade ? 1 : 0) });
    }
    out.set(r.loan_id, { utcOffsetMinutes: r.utc_offset_minutes, restricted: r.restricted_channels, disputeOpen: r.dispute_open === 1, days });
  }
  return out;
}
