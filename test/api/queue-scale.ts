/**
 * A synthetic queue of `loans` rows written straight into a database (no chain): enough to show
 * whether GET /v1/queue's page query stays bounded with 100,000 loans. Helper of queue.test.ts.
 */
import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Database } from "../../src/db/schema";

export const BIG = "0x1111111111111111111111111111111111111111";
export const SMALL = "0x2222222222222222222222222222222222222222";

/**
 * Inserts `n` loans with one INSERT ... SELECT over a recursive sequence (portable between SQLite
 * and PostgreSQL): every loan is assigned to BIG, every 10,000th also to SMALL; DPD spreads over
 * 0..399 days, amounts overdue vary, one loan in 97 is closed.
 */
export async function seedLoans(db: Kysely<Database>, n: number, t: number, dialect: "sqlite" | "postgres" = "sqlite"): Promise<void> {
  const zero32 = "0x" + "00".repeat(32);
  await sql`insert into loans (loan_id, lender, borrower, borrower_ref, token, currency, principal, contract_rate_bps, utc_offset_minutes,
      policy_id, grace_days, penalty_rate_bps, cap_room_bps, late_fee, registered_at, block_number, log_index, tx_hash, version, status, cursor,
      installment_count, paid, penalty_paid, base, base_days, last_paid_at, classification, reminder_stage, penalty_assessed, defaulted,
      observation, on_time_streak, restructured_at, cursor_due, due_key, amount_overdue, trail_count, restricted_channels, dispute_open, updated_block)
    with recursive seq(id) as (select 1 union all select id + 1 from seq where id < ${n})
    select id, ${"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}, ${"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"}, ${zero32}, ${"0x" + "00".repeat(20)}, '0x555344', '1000', 800, 0,
      1, 3, 500, 0, '0', ${t}, 1, 0, ${zero32}, 1, case when id % 97 = 0 then 3 else 0 end, 0,
      1, '0', '0', '0', 0, 0, 0, 0, '0', 0,
      0, 0, 0, ${t} - (id % 400) * 86400, ${t} - (id % 400) * 86400, '0000000000000000000000000000000000' || cast(100000 + (id * 7919) % 900000 as text), 0, 0, 0, 1
    from seq`.execute(db);
  await sql`insert into current_collectors (loan_id, collector) select loan_id, ${BIG} from loans`.execute(db);
  await sql`insert into current_collectors (loan_id, collector) select loan_id, ${SMALL} from loans where loan_id % 10000 = 0`.execute(db);
  // PostgreSQL plans from table statistics, which autovacuum gathers after a bulk load; a test cannot
  // wait for it, so they are gathered here as an operator would after a bulk backfill.
  if (dialect === "postgres") await sql`analyze`.execute(db);
}
