import type { LoansTable } from "../../src/db/schema";

/** A whole `loans` row for tests that write the table directly (loan `id`, open when even, repaid when odd). */
export function loanRow(id: number): LoansTable {
  return {
    loan_id: id, lender: "0x00000000000000000000000000000000000000a1", borrower: "0x00000000000000000000000000000000000000b2",
    borrower_ref: `0x${"ab".repeat(32)}`, token: "0x00000000000000000000000000000000000000c3", currency: "USD", principal: "120000",
    contract_rate_bps: 1_200, utc_offset_minutes: 60, jurisdiction: "GB", policy_id: 1, grace_days: 3, penalty_rate_bps: 2_400, cap_room_bps: 500,
    late_fee: "500", registered_at: 1_000, block_number: 10, log_index: id, tx_hash: `0x${"11".repeat(32)}`, version: 1, status: id % 2 === 0 ? 1 : 3,
    cursor: 0, installment_count: 2, paid: "0", penalty_paid: "0", base: "0", base_days: 0, last_paid_at: 1_000,
    classification: 0, reminder_stage: 0, penalty_assessed: "0", defaulted: 0, observation: 0, on_time_streak: 0,
    restructured_at: 0, cursor_due: 2_000 + id, due_key: 2_000 + id, amount_overdue: String(id).padStart(40, "0"), overdue_refresh_at: null, overdue_since: null,
    charged_off_at: null, written_off_at: null, closed_at: null, holiday_from: null, holiday_to: null, holiday_flagged: 0, settled_at: null,
    plan_created_at: null, plan_parts: null, plan_next: 0, plan_first_regular: 0, plan_paid: "0", plan_in_force: 0, trail_head: null, trail_count: 0, restricted_channels: 0,
    dispute_open: 0, updated_block: 10,
  };
}
