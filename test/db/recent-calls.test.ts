/**
 * The recent calls of a set of loans (recentCallsQuery, read by the queue, the loan detail and the
 * notifier's contact rules): calls only (attempts and contacts made by phone) since the time, of
 * the loans asked for; on SQLite from the index of migration 0024 alone, one seek a loan.
 */
import { expect } from "chai";
import { CompiledQuery, type Kysely } from "kysely";
import type { DatabaseHandle } from "../../src/db/connect";
import { recentCallsQuery } from "../../src/db/compliance";
import type { ActionsTable, Database } from "../../src/db/schema";
import { Channel, Kind } from "../../src/domain";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../indexer/helpers/harness";

const HASH = `0x${"ab".repeat(32)}`;
let logIndex = 0;
const action = (loan_id: number, seq: number, channel: number, kind: number, occurred_at: number): ActionsTable => ({
  block_number: 1, log_index: logIndex++, loan_id, seq, collector: "0x00000000000000000000000000000000000000d4", channel, kind, outcome: 0, occurred_at,
  evidence_hash: HASH, flags: 0, head: HASH, tx_hash: HASH, block_timestamp: occurred_at,
});

describeEachDialect("recent calls of loans", (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let db: Kysely<Database>;

  before(async function () {
    database = createTestDatabase(dialect, "recent-calls");
    handle = await database.open();
    db = handle.db;
    await db
      .insertInto("actions")
      .values([
        action(1, 1, Channel.Call, Kind.ContactAttempt, 100), // before the window
        action(1, 2, Channel.Call, Kind.ContactAttempt, 500),
        action(1, 3, Channel.Call, Kind.ContactMade, 700),
        action(1, 4, Channel.Sms, Kind.ContactAttempt, 800), // not a call
        action(1, 5, Channel.Call, Kind.PromiseToPay, 900), // not an attempt or a contact
        action(2, 1, Channel.Call, Kind.ContactMade, 1_000),
        action(3, 1, Channel.Call, Kind.ContactAttempt, 600), // not asked for
      ])
      .execute();
  });

  after(async () => {
    await handle?.close();
    await database?.drop();
  });

  it("are the calls since the time of the loans asked for, and nothing else", async () => {
    const rows = await recentCallsQuery(db, [1, 2, 4], 500).execute();
    expect(rows.map((r) => [r.loan_id, r.kind, r.occurred_at]).sort((a, b) => a[0]! - b[0]! || a[2]! - b[2]!)).to.deep.equal([
      [1, Kind.ContactAttempt, 500],
      [1, Kind.ContactMade, 700],
      [2, Kind.ContactMade, 1_000],
    ]);
    expect(await recentCallsQuery(db, [1], 701).execute()).to.deep.equal([]);
  });

  if (dialect === "sqlite") {
    it("are read from the recent-calls index alone", async () => {
      const q = recentCallsQuery(db, [1, 2], 500).compile();
      const plan = (await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]))).rows;
      expect(plan.map((r) => r.detail).join("; ")).to.match(/USING COVERING INDEX actions_recent_calls_idx \(loan_id=\? AND channel=\? AND occurred_at>\?\)/);
    });
  }
});
