/**
 * A queue page shows each loan's latest reminder at the indexed block (latestRemindersQuery): the
 * last in chain order (block, then log index) at or below the block, whatever the insertion order,
 * none for a loan without one, and nothing of other loans. On SQLite it is found in the index and
 * read by rowid.
 */
import { expect } from "chai";
import { CompiledQuery, type Kysely } from "kysely";
import { latestRemindersQuery } from "../../src/api/services/queue";
import type { DatabaseHandle } from "../../src/db/connect";
import type { Database, RemindersTable } from "../../src/db/schema";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../indexer/helpers/harness";
import { loanRow } from "../support/loan-row";

const reminder = (loan_id: number, block_number: number, log_index: number, stage: number): RemindersTable => ({
  block_number, log_index, loan_id, installment: stage, stage, offset_days: stage * 7, due_date: 5_000, dpd: stage * 7, block_timestamp: 1_000 + block_number,
});

describeEachDialect("queue: the latest reminder of each loan", (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let db: Kysely<Database>;

  before(async function () {
    database = createTestDatabase(dialect, "latest-reminders");
    handle = await database.open();
    db = handle.db;
    await db.insertInto("loans").values([1, 2, 3, 4].map(loanRow)).execute();
    // Written out of chain order; loan 2's latest at block 10 is (9, 4), and (12, 0) is above it.
    await db
      .insertInto("reminders")
      .values([reminder(2, 9, 4, 3), reminder(2, 12, 0, 4), reminder(2, 5, 0, 1), reminder(2, 9, 1, 2), reminder(1, 3, 0, 1), reminder(4, 11, 0, 1), reminder(3, 8, 7, 2)])
      .execute();
  });

  after(async () => {
    await handle?.close();
    await database?.drop();
  });

  const latest = async (ids: number[], block: number) =>
    (await latestRemindersQuery(db, ids, block).execute()).map((r) => [r.loan_id, r.block_number, r.log_index, r.stage]).sort((a, b) => a[0]! - b[0]!);

  it("is the last in chain order at or below the block, one a loan, none for a loan without one", async () => {
    expect(await latest([1, 2, 4], 10)).to.deep.equal([
      [1, 3, 0, 1],
      [2, 9, 4, 3],
    ]);
    expect(await latest([2, 4], 12)).to.deep.equal([
      [2, 12, 0, 4],
      [4, 11, 0, 1],
    ]);
    expect(await latest([2], 8)).to.deep.equal([[2, 5, 0, 1]]);
    expect(await latest([2, 3], 4)).to.deep.equal([]);
  });

  if (dialect === "sqlite") {
    it("finds the latest in the index alone and reads only that row, by rowid", async () => {
      const q = latestRemindersQuery(db, [1, 2], 10).compile();
      const plan = (await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]))).rows.map((r) => r.detail).join("; ");
      expect(plan).to.match(/SEARCH r USING INTEGER PRIMARY KEY \(rowid=\?\)/);
      expect(plan).to.match(/USING COVERING INDEX reminders_loan_id_block_number_log_index_idx \(loan_id=\? AND block_number<\?\)/);
      expect(plan).not.to.match(/SCAN r\b/);
    });
  }
});
