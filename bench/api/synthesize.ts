/**
 * A synthetic indexed database for the API benchmark: N loans with the rows the indexer writes
 * (same tables, same shapes — the loans rows are built by the indexer's own projectionRow from
 * the domain state machine), without a chain. Generating 100,000 loans on a Hardhat node and
 * indexing them takes far longer than the benchmark itself; the API only reads these tables.
 *
 * Not synthesized: raw_logs and loan_events (the timeline and the stream are not benchmarked).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { keccak256, toHex, getAddress, type Address } from "viem";
import { openDatabase } from "../../src/db/connect";
import { installQueueKeys, removeQueueKeys } from "../../src/db/migrations/0016_queue_keys";
import { applyRepayment, DAY, newLoan, type Installment, type Policy } from "../../src/domain";
import { projectionRow, type LoanProjection } from "../../src/db/loans";
import { LENDER_ROLE, AUDITOR_ROLE } from "../../src/chain/roles";
import { prng as rng } from "../../scripts/lib/prng";
import { DAY_SECONDS } from "../../src/domain";
import { flushToDisk, sqliteFiles } from "./disk";

export const LENDER = getAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
export const COLLECTOR = getAddress("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
export const AUDITOR = getAddress("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65");
const BORROWER = getAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
const TOKEN = getAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3");

const POLICY: Policy = {
  graceDays: 3,
  penaltyRateBps: 500,
  lateFee: 1_000_000n,
  reminderOffsetsDays: [-3, 1, 7, 15, 30, 60, 90],
  substandardAfterDays: 90,
  doubtfulAfterDays: 270,
  lossAfterDays: 360,
  defaultAfterDays: 90,
};

/** The DPD spread of a seasoned consumer book: [share, min DPD, max DPD]. */
const SPREAD: [number, number, number][] = [
  [0.6, 0, 0],
  [0.15, 1, 30],
  [0.08, 31, 60],
  [0.05, 61, 90],
  [0.04, 91, 120],
  [0.03, 121, 150],
  [0.02, 151, 180],
  [0.03, 181, 400],
];


/** The book's callers: `lenders` lenders, each with `collectorsPerLender` collectors of its own (1 and 1: LENDER and COLLECTOR). */
export interface BookShape {
  lenders: number;
  collectorsPerLender: number;
}

const addressOf = (tag: string): Address => getAddress(`0x${keccak256(toHex(tag)).slice(-40)}`);
/** Lender `l` of a book (lender 0 is LENDER). */
export const benchLender = (l: number): Address => (l === 0 ? LENDER : addressOf(`bench-lender-${l}`));
/** Collector `c` of lender `l` (collector 0 of lender 0 is COLLECTOR). */
export const benchCollector = (l: number, c: number): Address => (l === 0 && c === 0 ? COLLECTOR : addressOf(`bench-collector-${l}-${c}`));
/** Loan `id`'s lender and collector: lenders take loans in turn, and each lender's collectors take its loans in turn. */
export function ownersOf(id: number, shape: BookShape): { lender: number; collector: number } {
  return { lender: (id - 1) % shape.lenders, collector: Math.floor((id - 1) / shape.lenders) % shape.collectorsPerLender };
}
/** The `k`-th loan (k from 0) of collector `c` of lender `l`, if the book has that many. */
export function loanOf(l: number, c: number, k: number, shape: BookShape): number {
  return l + 1 + shape.lenders * (c + shape.collectorsPerLender * k);
}

/**
 * A synthetic 32-byte value (a transaction hash, a reference, a trail head) named by `tag`: SHA-256,
 * native, where Keccak-256 in JavaScript took a sixth of the synthesis time. The values only need
 * to be distinct and 32 bytes long; no row's hash is checked against another's.
 */
const synthetic = (tag: string): `0x${string}` => `0x${crypto.createHash("sha256").update(tag).digest("hex")}`;

export interface SynthesisResult {
  file: string;
  loans: number;
  asOf: { block: number; timestamp: number };
  buckets: Record<string, number>;
}

/**
 * Builds `file` (deleted first) with `n` loans as of a fixed chain time: with the default shape all
 * of LENDER and assigned to COLLECTOR; otherwise spread over the shape's lenders and collectors ({@link ownersOf}).
 * The file is on the disk when this returns.
 */
export async function synthesize(file: string, n: number, shape: BookShape = { lenders: 1, collectorsPerLender: 1 }): Promise<SynthesisResult> {
  for (const f of sqliteFiles(file)) fs.rmSync(f, { force: true });
  const handle = await openDatabase(file); // runs the migrations: the real schema and indexes
  // The assignments' copied queue keys are filled once at the end, as migration 0016 does on an
  // existing book: per-row triggers more than doubled the time of a bulk load.
  await removeQueueKeys(handle.db);
  await handle.close();
  const db = new BetterSqlite3(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  const random = rng(n);
  const T = 1_800_000_000; // asOf (chain time)
  const asOfBlock = (n + 10) * 100; // every synthetic event block is below it
  const insert = (table: string, row: Record<string, unknown>) => {
    const cols = Object.keys(row);
    const key = `${table}:${cols.join(",")}`;
    let stmt = statements.get(key);
    if (!stmt) statements.set(key, (stmt = db.prepare(`insert into ${table} (${cols.join(", ")}) values (${cols.map(() => "?").join(", ")})`)));
    stmt.run(...cols.map((c) => row[c] as never));
  };
  const statements = new Map<string, BetterSqlite3.Statement>();
  const buckets: Record<string, number> = {};
  // Loan `id` owns blocks id*100 .. id*100+99, one event per block: keys never collide.
  const key = (block: number) => ({ block_number: block, log_index: 0 });

  db.transaction(() => {
    insert("cursor", { id: 1, chain_id: 31337, block_number: asOfBlock, block_hash: keccak256(toHex("head")), block_timestamp: T });
    insert("role_changes", { ...key(1), contract: "LoanLedger", role: LENDER_ROLE, account: LENDER, granted: 1 });
    insert("role_changes", { ...key(2), contract: "LoanLedger", role: AUDITOR_ROLE, account: AUDITOR, granted: 1 });
    // The other lenders' roles, at log indexes of block 1 (loan blocks start at 100).
    for (let l = 1; l < shape.lenders; l++) insert("role_changes", { block_number: 1, log_index: l, contract: "LoanLedger", role: LENDER_ROLE, account: benchLender(l), granted: 1 });
    insert("policies", {
      ...key(3),
      policy_id: 1,
      lender: LENDER,
      grace_days: POLICY.graceDays,
      penalty_rate_bps: POLICY.penaltyRateBps,
      late_fee: POLICY.lateFee.toString(),
      substandard_after_days: POLICY.substandardAfterDays,
      doubtful_after_days: POLICY.doubtfulAfterDays,
      loss_after_days: POLICY.lossAfterDays,
      default_after_days: POLICY.defaultAfterDays,
      reminder_offsets: JSON.stringify(POLICY.reminderOffsetsDays),
    });
    // Each address once: checksumming one hashes it again.
    const lenders = Array.from({ length: shape.lenders }, (_, l) => benchLender(l));
    const collectors = lenders.map((_, l) => Array.from({ length: shape.collectorsPerLender }, (_, c) => benchCollector(l, c)));
    for (let id = 1; id <= n; id++) {
      const owners = ownersOf(id, shape);
      const lender = lenders[owners.lender];
      const collector = collectors[owners.lender][owners.collector];
      // Pick a DPD from the spread, then a schedule whose oldest unpaid installment is that late.
      let u = random();
      let band = SPREAD[SPREAD.length - 1];
      for (const s of SPREAD) {
        if (u < s[0]) {
          band = s;
          break;
        }
        u -= s[0];
      }
      const dpd = band[1] + Math.floor(random() * (band[2] - band[1] + 1));
      const paidCount = Math.floor(random() * 8); // installments already paid
      const cursorDue = dpd === 0 ? T + Math.floor(random() * 30 * DAY_SECONDS) + 3_600 : T - dpd * DAY_SECONDS - Math.floor(random() * 80_000);
      const start = cursorDue - paidCount * 30 * DAY_SECONDS;
      // Registered a month before the first due date, and never after the book's time.
      const registeredAt = Math.min(start - 30 * DAY_SECONDS, T - DAY_SECONDS);
      const principal = BigInt(100_000 + Math.floor(random() * 50) * 10_000) * 1_000_000n;
      const part = principal / 12n;
      const schedule: Installment[] = Array.from({ length: 12 }, (_, k) => ({
        dueDate: BigInt(start + k * 30 * DAY_SECONDS),
        principal: k === 11 ? principal - part * 11n : part,
        interest: principal / 150n,
      }));
      const block = id * 100;
      const calls = dpd > 0 ? Math.floor(random() * 3) : 0;
      const terms = { principal, contractRateBps: 800, penaltyRateBps: POLICY.penaltyRateBps, lateFee: POLICY.lateFee, capRoomBps: 2_800, graceDays: POLICY.graceDays, registeredAt: BigInt(registeredAt) };
      let state = newLoan(schedule, terms, POLICY);
      const reg = key(block);
      const txHash = synthetic(`tx-${id}`);
      for (let k = 0; k < paidCount; k++) {
        const at = schedule[k].dueDate - DAY;
        const amount = schedule[k].principal + schedule[k].interest;
        const r = applyRepayment(state, amount, at, at);
        state = r.state;
        insert("repayments", {
          ...key(block + k + 1),
          loan_id: id,
          tx_hash: synthetic(`repay-${id}-${k}`),
          payer: BORROWER,
          amount: amount.toString(),
          penalty: r.breakdown.penalty.toString(),
          interest: r.breakdown.interest.toString(),
          principal: r.breakdown.principal.toString(),
          cursor_after: state.cursor,
          paid_at: Number(at),
          bank_ref: `0x${"0".repeat(64)}`,
          off_chain: 0,
          recovery: 0,
        });
      }
      const p: LoanProjection = {
        fixed: {
          loanId: id,
          lender,
          borrower: BORROWER,
          borrowerRef: synthetic(`borrower-${id}`),
          token: TOKEN,
          currency: "0x000000",
          principal,
          contractRateBps: 800,
          utcOffsetMinutes: 480,
          jurisdiction: "CN",
          policyId: 1,
          graceDays: POLICY.graceDays,
          penaltyRateBps: POLICY.penaltyRateBps,
          capRoomBps: 2_800,
          lateFee: POLICY.lateFee,
          registeredAt,
          blockNumber: reg.block_number,
          logIndex: reg.log_index,
          txHash,
        },
        state,
        version: 1,
        chargedOffAt: null,
        writtenOffAt: null,
        closedAt: null,
        settledAt: null,
        trailHead: calls ? synthetic(`head-${id}-${calls - 1}`) : null,
        trailCount: calls,
        restrictedChannels: 0,
        disputeOpen: false,
        updatedBlock: block + paidCount,
      };
      const row = projectionRow(p, T);
      insert("loans", row as unknown as Record<string, unknown>);
      insert("schedule_versions", {
        ...reg,
        loan_id: id,
        version: 1,
        principal: principal.toString(),
        started_at: registeredAt,
        schedule_hash: null,
        replaced_interest: "0",
        forgiven_penalty: "0",
        tx_hash: txHash,
      });
      schedule.forEach((s, idx) =>
        insert("installments", { loan_id: id, version: 1, idx, due_date: Number(s.dueDate), principal: s.principal.toString(), interest: s.interest.toString(), block_number: reg.block_number }),
      );
      insert("assignments", { ...key(block + 50), loan_id: id, collector, lender, assigned: 1 });
      insert("current_collectors", { loan_id: id, collector });
      if (dpd > 0) {
        // Overdue loans have reminders and a few contact attempts in the last week.
        insert("reminders", { ...key(block + 60), loan_id: id, installment: paidCount, stage: 1, offset_days: 1, due_date: cursorDue, dpd: Math.min(dpd, 1), block_timestamp: cursorDue + DAY_SECONDS });
        for (let c = 0; c < calls; c++) {
          const occurredAt = T - Math.floor(random() * 6 * DAY_SECONDS);
          insert("actions", {
            ...key(block + 70 + c),
            loan_id: id,
            seq: c + 1,
            collector,
            channel: 0,
            kind: c % 2,
            outcome: 100,
            occurred_at: occurredAt,
            evidence_hash: synthetic(`evidence-${id}-${c}`),
            flags: 0,
            head: synthetic(`head-${id}-${c}`),
            tx_hash: synthetic(`action-${id}-${c}`),
            block_timestamp: occurredAt,
          });
        }
      }
      const label = dpd === 0 ? "M0" : dpd > 180 ? "M7+" : `M${Math.ceil(dpd / 30)}`;
      buckets[label] = (buckets[label] ?? 0) + 1;
    }
  })();
  db.close();
  const keyed = await openDatabase(file);
  await installQueueKeys(keyed.db);
  await keyed.close();
  const done = new BetterSqlite3(file);
  done.pragma("wal_checkpoint(TRUNCATE)");
  // No ANALYZE: the indexer never runs it, so a served database has no sqlite_stat1/stat4, and the
  // book should not either. With stat4 statistics SQLite plans an equality on an indexed column
  // with the value bound to it, and plans such a statement again at every run (on the API's queue
  // and list statements, a few % of a worker's processor time; their plans are the same without).
  done.close();
  // Written with synchronous = OFF: on the disk before anything is measured on it (./disk.ts).
  flushToDisk(sqliteFiles(file));
  return { file, loans: n, asOf: { block: asOfBlock, timestamp: T }, buckets };
}
