/**
 * Loads loans' indexed histories (src/domain/loan-history.ts) from the database, a few queries
 * per chunk of loans, on SQLite and PostgreSQL alike. An event's known time is its block time
 * (loan_events), so a replay never applies what the chain had not seen yet.
 */
import type { Kysely } from "kysely";
import { chunk } from "../db/chunk";
import { settlementOf } from "../db/loans";
import { loadPolicies } from "../db/policies";
import type { Database } from "../db/schema";
import type { Installment, LoanHistory, Policy } from "../domain";
import { StrategyDataError } from "./errors";

/** Loans loaded per round of queries. */
export const HISTORY_CHUNK = 500;

/** The ids of every loan registered by `until` (chain time), in id order; of `lender` only when given. */
export async function loanIdsUntil(db: Kysely<Database>, until: number, lender?: string): Promise<number[]> {
  let q = db.selectFrom("loans").select("loan_id").where("registered_at", "<=", until).orderBy("loan_id");
  if (lender) q = q.where("lender", "=", lender);
  return (await q.execute()).map((r) => Number(r.loan_id));
}

/** The histories of `loanIds` (missing ids are skipped), in the order given. */
export async function loadHistories(db: Kysely<Database>, loanIds: readonly number[], policyCache = new Map<number, Policy>()): Promise<LoanHistory[]> {
  const out: LoanHistory[] = [];
  for (const ids of chunk([...loanIds], HISTORY_CHUNK)) {
    const [loans, versions, installments, repayments, actions, promises, disputes] = await Promise.all([
      db.selectFrom("loans").select(["loan_id", "lender", "principal", "contract_rate_bps", "penalty_rate_bps", "late_fee", "cap_room_bps", "grace_days", "registered_at", "policy_id", "token", "currency", "charged_off_at", "written_off_at"]).where("loan_id", "in", ids).execute(),
      db.selectFrom("schedule_versions").select(["loan_id", "version", "started_at", "block_number", "log_index"]).where("loan_id", "in", ids).orderBy("loan_id").orderBy("version").execute(),
      db.selectFrom("installments").select(["loan_id", "version", "due_date", "principal", "interest"]).where("loan_id", "in", ids).orderBy("loan_id").orderBy("version").orderBy("idx").execute(),
      db
        .selectFrom("repayments as r")
        .leftJoin("loan_events as e", (j) => j.onRef("e.block_number", "=", "r.block_number").onRef("e.log_index", "=", "r.log_index"))
        .select(["r.loan_id", "r.amount", "r.paid_at", "r.block_number", "r.log_index", "e.block_timestamp"])
        .where("r.loan_id", "in", ids)
        .orderBy("r.block_number")
        .orderBy("r.log_index")
        .execute(),
      db.selectFrom("actions").select(["loan_id", "occurred_at", "block_timestamp", "channel", "kind", "outcome"]).where("loan_id", "in", ids).orderBy("loan_id").orderBy("seq").execute(),
      db
        .selectFrom("promises as p")
        .leftJoin("loan_events as e", (j) => j.onRef("e.block_number", "=", "p.block_number").onRef("e.log_index", "=", "p.log_index"))
        .select(["p.loan_id", "p.amount", "p.due_by", "p.made_at", "e.block_timestamp"])
        .where("p.loan_id", "in", ids)
        .orderBy("p.block_number")
        .orderBy("p.log_index")
        .execute(),
      db
        .selectFrom("disputes as d")
        .leftJoin("loan_events as e", (j) => j.onRef("e.block_number", "=", "d.block_number").onRef("e.log_index", "=", "d.log_index"))
        .select(["d.loan_id", "d.event", "e.block_timestamp"])
        .where("d.loan_id", "in", ids)
        .orderBy("d.block_number")
        .orderBy("d.log_index")
        .execute(),
    ]);
    const missingPolicies = [...new Set(loans.map((l) => Number(l.policy_id)))].filter((id) => !policyCache.has(id));
    for (const [id, p] of await loadPolicies(db, missingPolicies)) policyCache.set(id, p);
    const byLoan = new Map<number, LoanHistory>();
    const schedules = new Map<string, Installment[]>();
    for (const i of installments) {
      const key = `${i.loan_id}:${i.version}`;
      let list = schedules.get(key);
      if (!list) schedules.set(key, (list = []));
      list.push({ dueDate: BigInt(i.due_date), principal: BigInt(i.principal), interest: BigInt(i.interest) });
    }
    for (const l of loans) {
      const id = Number(l.loan_id);
      const policy = policyCache.get(Number(l.policy_id));
      if (!policy) throw new StrategyDataError(`loan ${id} uses policy ${l.policy_id}, which is not indexed`);
      const s = settlementOf(l);
      byLoan.set(id, {
        loanId: id,
        lender: l.lender,
        terms: {
          principal: BigInt(l.principal),
          contractRateBps: Number(l.contract_rate_bps),
          penaltyRateBps: Number(l.penalty_rate_bps),
          lateFee: BigInt(l.late_fee),
          capRoomBps: Number(l.cap_room_bps),
          graceDays: Number(l.grace_days),
          registeredAt: BigInt(l.registered_at),
        },
        policy,
        settlement: s.token ?? s.currency ?? "unknown",
        versions: [],
        repayments: [],
        actions: [],
        promises: [],
        disputes: [],
        chargedOffAt: l.charged_off_at === null ? null : BigInt(l.charged_off_at),
        writtenOffAt: l.written_off_at === null ? null : BigInt(l.written_off_at),
      });
    }
    const of = (loanId: unknown) => byLoan.get(Number(loanId));
    for (const v of versions) {
      const h = of(v.loan_id);
      const schedule = schedules.get(`${v.loan_id}:${v.version}`);
      if (!h) continue;
      if (!schedule) throw new StrategyDataError(`loan ${v.loan_id} version ${v.version} has no installments indexed`);
      h.versions.push({ startedAt: BigInt(v.started_at), schedule, key: [Number(v.block_number), Number(v.log_index)] });
    }
    for (const r of repayments) of(r.loan_id)?.repayments.push({ at: BigInt(r.paid_at), known: BigInt(r.block_timestamp ?? r.paid_at), amount: BigInt(r.amount), key: [Number(r.block_number), Number(r.log_index)] });
    for (const a of actions) of(a.loan_id)?.actions.push({ at: BigInt(a.occurred_at), known: BigInt(a.block_timestamp), channel: Number(a.channel), kind: Number(a.kind), outcome: Number(a.outcome) });
    for (const p of promises) of(p.loan_id)?.promises.push({ madeAt: BigInt(p.block_timestamp ?? p.made_at), dueBy: BigInt(p.due_by), amount: BigInt(p.amount) });
    for (const d of disputes) {
      if (d.block_timestamp === null) throw new StrategyDataError(`a dispute of loan ${d.loan_id} has no indexed block time`);
      of(d.loan_id)?.disputes.push({ at: BigInt(d.block_timestamp), filed: d.event === "filed" });
    }
    for (const id of ids) {
      const h = byLoan.get(id);
      if (h) out.push(h);
    }
  }
  return out;
}
