/**
 * The loans row of a projection: the columns an upsert of a stored loan keeps (LOAN_FIXED_COLUMNS)
 * are exactly the ones that come from the registration's fixed part, so none that can change is
 * left stale; and a projection that changed in nothing sameServicing compares changes only the
 * columns a collection update writes (COLLECTION_COLUMNS), as collectionRow has them; an overdue
 * refresh computes the time-dependent columns from the installments from the cursor on alone, as the
 * domain's lateness rule (daysLate) says.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { openDatabase } from "../../src/db/connect";
import { amountOf, DAY, DAY_SECONDS, daysLate, LoanStatus, type Policy } from "../../src/domain";
import type { LoansTable } from "../../src/db/schema";
import {
  AMOUNT_SORT_WIDTH,
  COLLECTION_COLUMNS,
  collectionRow,
  LOAN_FIXED_COLUMNS,
  LOAN_INDEXED_COLUMNS,
  overdueColumns,
  projectionFromRow,
  projectionRow,
  sameServicing,
  type LoanProjection,
  type LoanStatic,
} from "../../src/db/loans";

const policy: Policy = {
  graceDays: 3,
  penaltyRateBps: 2_400,
  lateFee: 5_00n,
  reminderOffsetsDays: [-3, 1, 7],
  substandardAfterDays: 31,
  doubtfulAfterDays: 61,
  lossAfterDays: 91,
  defaultAfterDays: 90,
};

const row: LoansTable = {
  loan_id: 7, lender: "0x00000000000000000000000000000000000000a1", borrower: "0x00000000000000000000000000000000000000b2",
  borrower_ref: "ref-7", token: "0x00000000000000000000000000000000000000c3", currency: "USD", principal: "120000",
  contract_rate_bps: 1_200, utc_offset_minutes: 60, jurisdiction: "GB", policy_id: 1, grace_days: 3, penalty_rate_bps: 2_400, cap_room_bps: 500,
  late_fee: "500", registered_at: 1_000, block_number: 10, log_index: 2, tx_hash: `0x${"11".repeat(32)}`, version: 1, status: 0,
  cursor: 0, installment_count: 2, paid: "0", penalty_paid: "0", base: "0", base_days: 0, last_paid_at: 1_000,
  classification: 0, reminder_stage: 0, penalty_assessed: "0", defaulted: 0, observation: 0, on_time_streak: 0,
  restructured_at: 0, cursor_due: null, due_key: 0, amount_overdue: "0", overdue_refresh_at: null, overdue_since: null,
  charged_off_at: null, written_off_at: null, closed_at: null, holiday_from: null, holiday_to: null, holiday_flagged: 0, settled_at: null,
  plan_created_at: null, plan_parts: null, plan_next: 0, plan_first_regular: 0, plan_paid: "0", plan_in_force: 0, trail_head: null, trail_count: 0, restricted_channels: 0,
  dispute_open: 0, updated_block: 10,
};

describe("loans row of a projection", function () {
  it("keeps on upsert exactly the columns that come from the registration's fixed part", function () {
    const schedule = [
      { dueDate: 1_000n + 30n * DAY, principal: 60_000n, interest: 1_200n },
      { dueDate: 1_000n + 60n * DAY, principal: 60_000n, interest: 600n },
    ];
    const p = projectionFromRow(row, schedule, policy);
    // Every fixed field changed: the columns that differ are the ones taken from `fixed`.
    const changed = Object.fromEntries(
      Object.entries(p.fixed).map(([k, v]) => [k, typeof v === "bigint" ? v + 1n : typeof v === "number" ? v + 1 : `${v}x`]),
    ) as unknown as LoanStatic;
    const before = projectionRow(p, 2_000) as unknown as Record<string, unknown>;
    const after = projectionRow({ ...p, fixed: changed }, 2_000) as unknown as Record<string, unknown>;
    const differing = Object.keys(before).filter((c) => before[c] !== after[c]);
    expect(differing.sort()).to.deep.equal([...LOAN_FIXED_COLUMNS, "loan_id"].sort());
  });

  it("lists as LOAN_INDEXED_COLUMNS exactly the indexed loans columns an upsert of a stored loan writes (SQLite schema, all migrations)", async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-loans-idx-"));
    const handle = await openDatabase(path.join(dir, "index.db"));
    try {
      const { rows } = await sql<{ name: string }>`select distinct ii.name from sqlite_master m, pragma_index_info(m.name) ii where m.type = 'index' and m.tbl_name = 'loans' and ii.name is not null`.execute(handle.db);
      const fixed = new Set<string>([...LOAN_FIXED_COLUMNS, "loan_id"]);
      const mutable = rows.map((r) => r.name).filter((c) => !fixed.has(c));
      expect(mutable.sort()).to.deep.equal([...LOAN_INDEXED_COLUMNS].sort());
    } finally {
      await handle.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("changes only the collection columns where sameServicing holds, and collectionRow has them as projectionRow", function () {
    const schedule = [{ dueDate: 1_000n + 30n * DAY, principal: 60_000n, interest: 1_200n }];
    const p = projectionFromRow({ ...row, installment_count: 1 }, schedule, policy);
    // Every field sameServicing does not compare, changed.
    const servicing = new Set(["fixed", "state", "version", "chargedOffAt", "writtenOffAt", "closedAt", "settledAt"]);
    const changed = Object.fromEntries(
      Object.entries(p).map(([k, v]) =>
        servicing.has(k) ? [k, v] : [k, typeof v === "boolean" ? !v : typeof v === "number" ? v + 3 : `0x${"ab".repeat(32)}`],
      ),
    ) as unknown as LoanProjection;
    expect(sameServicing(p, changed)).to.equal(true);
    const before = projectionRow(p, 2_000) as unknown as Record<string, unknown>;
    const after = projectionRow(changed, 2_000) as unknown as Record<string, unknown>;
    const differing = Object.keys(before).filter((c) => before[c] !== after[c]);
    expect(differing.sort()).to.deep.equal([...COLLECTION_COLUMNS].sort());
    const update = collectionRow(changed) as unknown as Record<string, unknown>;
    expect(Object.keys(update).sort()).to.deep.equal(["loan_id", ...COLLECTION_COLUMNS].sort());
    for (const c of Object.keys(update)) expect(update[c], c).to.equal(after[c]);
    // Any servicing field replaced: not the same.
    for (const k of servicing) {
      expect(sameServicing(p, { ...p, [k]: k === "version" ? 2 : k === "fixed" || k === "state" ? { ...(p as unknown as Record<string, object>)[k] } : 5 }), k).to.equal(false);
    }
  });

  it("round-trips a holiday and an arrears plan through the row, and none when the loan never had one", function () {
    const schedule = [
      { dueDate: 1_000n + 30n * DAY, principal: 60_000n, interest: 1_200n },
      { dueDate: 1_000n + 60n * DAY, principal: 60_000n, interest: 600n },
    ];
    const p = projectionFromRow(row, schedule, policy);
    expect(p.state.arrearsPlan).to.equal(undefined);
    const arrearsPlan = {
      createdAt: 1_000n + 40n * DAY,
      parts: [
        { dueDate: 1_000n + 50n * DAY, amount: 30_000n },
        { dueDate: 1_000n + 80n * DAY, amount: 2n ** 100n },
      ],
      next: 1,
      firstRegular: 1,
      paid: 30_001n,
      inForce: true,
    };
    const withPlan: LoanProjection = { ...p, state: { ...p.state, holiday: { from: 1_010n, to: 1_020n, flagged: false }, arrearsPlan } };
    const r = projectionRow(withPlan, 2_000);
    expect([r.plan_created_at, r.plan_parts, r.plan_next, r.plan_first_regular, r.plan_paid, r.plan_in_force]).to.deep.equal([
      Number(arrearsPlan.createdAt),
      JSON.stringify([["4321000", "30000"], ["6913000", (2n ** 100n).toString()]]),
      1,
      1,
      "30001",
      1,
    ]);
    const back = projectionFromRow({ ...row, ...r }, schedule, policy);
    expect(back.state.arrearsPlan).to.deep.equal(arrearsPlan);
    expect(back.state.holiday).to.deep.equal({ from: 1_010n, to: 1_020n, flagged: false });
  });

  it("computes the time-dependent columns as the domain's rules say, from the installments from the cursor on alone", function () {
    const schedule = [1n, 2n, 3n].map((m) => ({ dueDate: 1_000n + m * 30n * DAY, principal: 40_000n, interest: 400n * m }));
    const p = projectionFromRow({ ...row, installment_count: 3, cursor: 1, paid: "150" }, schedule, policy);
    const sparse = new Array<(typeof schedule)[number]>(3);
    sparse[1] = schedule[1];
    sparse[2] = schedule[2];
    const inputs = { status: p.state.status, cursor: 1, paid: 150n, schedule: sparse };
    let overdue = 0;
    // Before, at and after each due date (a day late and more), and past the last one.
    for (const t of [0n, 1n, 2n, 3n, 4n].flatMap((m) => [1_000n + m * 30n * DAY, 1_000n + m * 30n * DAY + DAY + 1n])) {
      // The domain's rule: an installment is overdue once daysLate >= 1 (a day after its due date);
      // its unpaid principal and interest count, and the amount changes when the next one turns so.
      const late = schedule.map((inst, j) => ({ inst, j })).filter(({ inst, j }) => j >= 1 && daysLate(inst.dueDate, t) >= 1n);
      const notLate = schedule.filter((inst, j) => j >= 1 && daysLate(inst.dueDate, t) < 1n);
      const amount = late.reduce((sum, { inst, j }) => sum + amountOf(inst) - (j === 1 ? 150n : 0n), 0n);
      const expected = {
        loan_id: p.fixed.loanId,
        amount_overdue: amount.toString().padStart(AMOUNT_SORT_WIDTH, "0"),
        overdue_refresh_at: notLate.length ? Number(notLate[0].dueDate + DAY) : null,
        overdue_since: late.length ? Number(late[late.length - 1].inst.dueDate + DAY) : null,
      };
      const cols = overdueColumns(p.fixed.loanId, inputs, Number(t));
      expect(cols, `t=${t}`).to.deep.equal(expected);
      // projectionRow (the full schedule) writes the same columns.
      const full = projectionRow(p, Number(t));
      expect({ loan_id: full.loan_id, amount_overdue: full.amount_overdue, overdue_refresh_at: full.overdue_refresh_at, overdue_since: full.overdue_since }, `t=${t}`).to.deep.equal(expected);
      if (amount > 0n) overdue++;
    }
    expect(overdue, "times with an amount overdue").to.be.greaterThan(2);
  });

  it("has no amount overdue for a closed loan", function () {
    const schedule = [{ dueDate: 1_000n, principal: 40_000n, interest: 400n }];
    const cols = overdueColumns(7, { status: LoanStatus.Closed, cursor: 0, paid: 0n, schedule }, 1_000 + 10 * DAY_SECONDS);
    expect(cols).to.deep.equal({ loan_id: 7, amount_overdue: "0".padStart(AMOUNT_SORT_WIDTH, "0"), overdue_refresh_at: null, overdue_since: null });
  });
});
