/**
 * A generated indexed book with history, for the strategy's backtest: N loans registered over the
 * first 12 months of a `months`-long window, each lived day by day by scripts/lib/behaviour.ts
 * (a hidden propensity per borrower drives what the chain sees), written with the rows and shapes
 * the indexer writes (loans via its projectionRow, schedule versions, installments, repayments
 * with their waterfall breakdown, actions, promises, disputes, charge-offs, and the loan_events
 * rows that carry each event's block time). No chain: generating and indexing this much history on
 * a Hardhat node would take hours; the strategy only reads these tables.
 *
 * Not written: raw_logs and trail hashes that verify (actions carry placeholder heads).
 */
import BetterSqlite3 from "better-sqlite3";
import { getAddress, keccak256, toHex } from "viem";
import { openDatabase } from "../../src/db/connect";
import { projectionRow, type LoanProjection } from "../../src/db/loans";
import { LENDER_ROLE, AUDITOR_ROLE } from "../../src/chain/roles";
import { DAY_SECONDS, generateSchedule, newLoan, type Policy, type ScheduleKind } from "../../src/domain";
import { prng } from "./prng";
import { normal, simulateLoan } from "./behaviour";

export const BOOK_LENDER = getAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
export const BOOK_COLLECTOR = getAddress("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
const AUDITOR = getAddress("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65");
const BORROWER = getAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
const TOKEN = getAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3");
const BLOCK_SECONDS = 12;
/** Chain time the window starts at (2026-01-01T00:00:00Z). */
export const BOOK_START = 1_767_225_600;

const POLICY: Policy = {
  graceDays: 3,
  penaltyRateBps: 1_800,
  lateFee: 0n,
  reminderOffsetsDays: [-3, 1, 7, 15, 30, 60, 90],
  substandardAfterDays: 90,
  doubtfulAfterDays: 270,
  lossAfterDays: 360,
  defaultAfterDays: 90,
};

export interface BookOptions {
  loans: number;
  months: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface Book {
  file: string;
  loans: number;
  start: number;
  end: number;
  seed: number;
  /** Hidden propensity per loan id (for the benchmark's own checks; the strategy never reads it). */
  propensity: Float64Array;
}

const isoDate = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

/** Writes the book into `file` (a fresh SQLite file; the schema comes from the migrations). */
export async function generateBook(file: string, o: BookOptions): Promise<Book> {
  const handle = await openDatabase(file);
  await handle.close();
  const db = new BetterSqlite3(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  const seed = o.seed ?? 16;
  const random = prng(seed);
  const end = BOOK_START + o.months * 30 * DAY_SECONDS;
  const propensity = new Float64Array(o.loans + 1);
  const statements = new Map<string, BetterSqlite3.Statement>();
  const insert = (table: string, row: Record<string, unknown>) => {
    const cols = Object.keys(row);
    const k = `${table}:${cols.join(",")}`;
    let stmt = statements.get(k);
    if (!stmt) statements.set(k, (stmt = db.prepare(`insert into ${table} (${cols.join(", ")}) values (${cols.map(() => "?").join(", ")})`)));
    stmt.run(...cols.map((c) => row[c] as never));
  };
  // Event keys: the block of the event's time; log indexes unique per (block, loan): an event the
  // simulation numbered keeps its order (loanId·1024 + order mod 1000), others follow (+1000 + n).
  const used = new Map<number, number>();
  const blockOf = (t: number) => 1 + Math.floor((t - BOOK_START + 86_400 * 31) / BLOCK_SECONDS);
  const keyAt = (t: number, loanId: number, order?: number) => {
    const block = blockOf(t);
    if (order !== undefined) return { block_number: block, log_index: loanId * 1024 + (order % 1000) };
    const k = block * 1_000_000 + loanId;
    const n = used.get(k) ?? 0;
    used.set(k, n + 1);
    return { block_number: block, log_index: loanId * 1024 + 1000 + n };
  };
  const event = (t: number, loanId: number, name: string, contract: "LoanLedger" | "CollectionLog" = "LoanLedger", order?: number) => {
    const key = keyAt(t, loanId, order);
    insert("loan_events", { ...key, loan_id: loanId, tx_hash: keccak256(toHex(`${name}-${key.block_number}-${key.log_index}`)), block_timestamp: t, contract, name });
    return key;
  };

  let maxBlock = 0;
  const write = db.transaction((from: number, to: number) => {
    for (let id = from; id <= to; id++) {
      used.clear(); // keys are per loan: the counts of the last loan are never needed again
      const z = normal(random);
      propensity[id] = z;
      const registeredAt = BOOK_START + Math.floor(random() * 360) * DAY_SECONDS + 36_000;
      const principal = BigInt(1_000 + Math.floor(random() * 50) * 1_000) * 1_000_000n;
      const kind: ScheduleKind = random() < 0.8 ? "annuity" : "equal-principal";
      const rateBps = 600 + Math.floor(random() * 10) * 100;
      const schedule = generateSchedule({ kind, principal, annualRateBps: rateBps, count: random() < 0.7 ? 12 : 24, firstDue: isoDate(registeredAt + 30 * DAY_SECONDS), frequency: "monthly" });
      const terms = { principal, contractRateBps: rateBps, penaltyRateBps: POLICY.penaltyRateBps, lateFee: 0n, capRoomBps: 2_400 - rateBps, graceDays: POLICY.graceDays, registeredAt: BigInt(registeredAt) };
      const life = simulateLoan(newLoan(schedule, terms, POLICY), z, end, random);
      const reg = event(registeredAt, id, "LoanRegistered");
      const txHash = keccak256(toHex(`register-${id}`));
      insert("schedule_versions", { ...reg, loan_id: id, version: 1, principal: principal.toString(), started_at: registeredAt, schedule_hash: null, replaced_interest: "0", forgiven_penalty: "0", tx_hash: txHash });
      schedule.forEach((s, idx) => insert("installments", { loan_id: id, version: 1, idx, due_date: Number(s.dueDate), principal: s.principal.toString(), interest: s.interest.toString(), block_number: reg.block_number }));
      life.restructurings.forEach((r, i) => {
        const key = event(r.at, id, "LoanRestructured", "LoanLedger", r.order);
        insert("schedule_versions", { ...key, loan_id: id, version: i + 2, principal: r.principal.toString(), started_at: r.at, schedule_hash: null, replaced_interest: r.replacedInterest.toString(), forgiven_penalty: r.forgivenPenalty.toString(), tx_hash: key.block_number.toString() });
        r.schedule.forEach((s, idx) => insert("installments", { loan_id: id, version: i + 2, idx, due_date: Number(s.dueDate), principal: s.principal.toString(), interest: s.interest.toString(), block_number: key.block_number }));
      });
      for (const [k, r] of life.repayments.entries()) {
        const key = event(r.at, id, "LoanRepaid", "LoanLedger", r.order);
        insert("repayments", {
          ...key,
          loan_id: id,
          tx_hash: keccak256(toHex(`repay-${id}-${k}`)),
          payer: BORROWER,
          amount: r.amount.toString(),
          penalty: r.breakdown.penalty.toString(),
          interest: r.breakdown.interest.toString(),
          principal: r.breakdown.principal.toString(),
          cursor_after: r.breakdown.cursorAfter,
          paid_at: r.at,
          bank_ref: `0x${"0".repeat(64)}`,
          off_chain: 0,
          recovery: r.breakdown.recovery ? 1 : 0,
        });
      }
      let seq = 0;
      const promiseAt = new Map(life.promises.map((p) => [p.madeAt, p]));
      for (const a of life.actions) {
        seq += 1;
        const key = event(a.at, id, a.kind === 2 ? "PromiseRecorded" : "ActionRecorded", "CollectionLog", a.order);
        const head = keccak256(toHex(`head-${id}-${seq}`));
        insert("actions", { ...key, loan_id: id, seq, collector: BOOK_COLLECTOR, channel: a.channel, kind: a.kind, outcome: a.outcome, occurred_at: a.at, evidence_hash: keccak256(toHex(`evidence-${id}-${seq}`)), flags: 0, head, tx_hash: head, block_timestamp: a.at });
        const p = a.kind === 2 ? promiseAt.get(a.at) : undefined;
        if (p) insert("promises", { ...key, loan_id: id, seq, amount: p.amount.toString(), due_by: p.dueBy, artifact_hash: keccak256(toHex(`promise-${id}-${seq}`)), made_at: p.madeAt });
      }
      for (const d of life.disputes) {
        const key = event(d.at, id, d.filed ? "DisputeFiled" : "DisputeResolved", "CollectionLog", d.order);
        insert("disputes", { ...key, loan_id: id, event: d.filed ? "filed" : "resolved", account: d.filed ? BORROWER : null, evidence_hash: keccak256(toHex(`dispute-${id}-${d.at}`)) });
      }
      if (life.chargedOffAt !== null) {
        const key = event(life.chargedOffAt, id, "LoanChargedOff");
        insert("charge_offs", { ...key, loan_id: id, outstanding_principal: "0", outstanding_interest: "0", penalty_outstanding: "0", dpd: 180 });
      }
      const assign = keyAt(registeredAt + 60, id);
      insert("assignments", { ...assign, loan_id: id, collector: BOOK_COLLECTOR, lender: BOOK_LENDER, assigned: 1 });
      insert("current_collectors", { loan_id: id, collector: BOOK_COLLECTOR });
      const last = life.actions[life.actions.length - 1];
      const p: LoanProjection = {
        fixed: {
          loanId: id,
          lender: BOOK_LENDER,
          borrower: BORROWER,
          borrowerRef: keccak256(toHex(`borrower-${id}`)),
          token: TOKEN,
          currency: "0x000000",
          principal,
          contractRateBps: rateBps,
          utcOffsetMinutes: 480,
          jurisdiction: "CN",
          policyId: 1,
          graceDays: POLICY.graceDays,
          penaltyRateBps: POLICY.penaltyRateBps,
          capRoomBps: terms.capRoomBps,
          lateFee: 0n,
          registeredAt,
          blockNumber: reg.block_number,
          logIndex: reg.log_index,
          txHash,
        },
        state: life.state,
        version: 1 + life.restructurings.length,
        chargedOffAt: life.chargedOffAt,
        writtenOffAt: null,
        closedAt: life.closedAt,
        settledAt: null,
        trailHead: last ? keccak256(toHex(`head-${id}-${seq}`)) : null,
        trailCount: seq,
        restrictedChannels: 0,
        disputeOpen: life.disputes.length > 0 && life.disputes[life.disputes.length - 1]!.filed,
        updatedBlock: reg.block_number,
      };
      insert("loans", projectionRow(p, end) as unknown as Record<string, unknown>);
      maxBlock = Math.max(maxBlock, blockOf(end));
    }
  });
  db.transaction(() => {
    const k = (n: number) => ({ block_number: n, log_index: 0 });
    insert("role_changes", { ...k(1), contract: "LoanLedger", role: LENDER_ROLE, account: BOOK_LENDER, granted: 1 });
    insert("role_changes", { ...k(2), contract: "LoanLedger", role: AUDITOR_ROLE, account: AUDITOR, granted: 1 });
    insert("policies", {
      ...k(3),
      policy_id: 1,
      lender: BOOK_LENDER,
      grace_days: POLICY.graceDays,
      penalty_rate_bps: POLICY.penaltyRateBps,
      late_fee: "0",
      substandard_after_days: POLICY.substandardAfterDays,
      doubtful_after_days: POLICY.doubtfulAfterDays,
      loss_after_days: POLICY.lossAfterDays,
      default_after_days: POLICY.defaultAfterDays,
      reminder_offsets: JSON.stringify(POLICY.reminderOffsetsDays),
    });
  })();
  const part = 500;
  for (let from = 1; from <= o.loans; from += part) {
    write(from, Math.min(o.loans, from + part - 1));
    o.onProgress?.(Math.min(o.loans, from + part - 1), o.loans);
  }
  insert("cursor", { id: 1, chain_id: 31337, block_number: maxBlock, block_hash: keccak256(toHex("head")), block_timestamp: end });
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.exec("analyze");
  db.close();
  return { file, loans: o.loans, start: BOOK_START, end, seed, propensity };
}
