/**
 * Rollback after a reorg: the rebuild SQL (event rows above the fork deleted, the loans they
 * touched folded again from their remaining events, the time-dependent columns put back to their
 * value at the fork), in one transaction with the cursor's move.
 */
import type { Kysely, Transaction } from "kysely";
import type { Address, Log } from "viem";
import type { Decode } from "../chain/decode";
import { loadPolicies } from "../db/policies";
import { loadProjections, projectionRow, type LoanProjection } from "../db/loans";
import { EVENT_TABLES, type Database } from "../db/schema";
import type { Policy } from "../domain";
import { loanIdOf } from "./handlers";
import { applyToProjection, registerProjection } from "./projection";
import { insertMany, moveCursor, upsertLoans, writeTransaction, type Cursor } from "./store";
import { dataOf, topicsOf } from "../db/raw-logs";

/**
 * Rolls the database back to `forkBlock` (the last block both chains share), in one transaction:
 * deletes every event row above it, the loans registered above it, and rebuilds the projections of
 * the loans that had later events by folding their remaining events again (decoded with `decode`).
 * The cursor moves from `from` to the fork block.
 */
export async function rollbackTo(
  db: Kysely<Database>,
  forkBlock: { number: number; hash: string; timestamp: number },
  chainId: number,
  decode: Decode,
  policyCache: Map<number, Policy>,
  from: Cursor,
): Promise<number[]> {
  return writeTransaction(db, async (trx) => {
    await moveCursor(trx, from, { chainId, blockNumber: forkBlock.number, blockHash: forkBlock.hash, blockTimestamp: forkBlock.timestamp });
    const affected = (
      await trx.selectFrom("loan_events").select("loan_id").distinct().where("block_number", ">", forkBlock.number).execute()
    ).map((r) => r.loan_id);
    for (const table of EVENT_TABLES) await trx.deleteFrom(table).where("block_number", ">", forkBlock.number).execute();
    await trx.deleteFrom("installments").where("block_number", ">", forkBlock.number).execute();
    await trx.deleteFrom("loans").where("block_number", ">", forkBlock.number).execute();
    await trx.deleteFrom("blocks").where("number", ">", forkBlock.number).execute();
    const surviving = (
      affected.length ? await trx.selectFrom("loans").select("loan_id").where("loan_id", "in", affected).execute() : []
    ).map((r) => r.loan_id);
    if (affected.length) await trx.deleteFrom("current_collectors").where("loan_id", "in", affected).execute();
    if (surviving.length) {
      await upsertLoans(trx, (await rebuild(trx, surviving, decode)).map((p) => projectionRow(p, forkBlock.timestamp)));
      // Current assignments = the last assignment event per (loan, collector).
      const events = await trx
        .selectFrom("assignments")
        .selectAll()
        .where("loan_id", "in", surviving)
        .orderBy("block_number")
        .orderBy("log_index")
        .execute();
      const current = new Map<string, { loan_id: number; collector: string; assigned: number }>();
      for (const e of events) current.set(`${e.loan_id}:${e.collector}`, e);
      const rows = [...current.values()].filter((e) => e.assigned === 1).map((e) => ({ loan_id: e.loan_id, collector: e.collector }));
      await insertMany(trx, "current_collectors", rows);
    }
    // Rows whose amount overdue moved with time after the fork go back to their value at the fork.
    const rebuilt = new Set(surviving);
    for (;;) {
      const ids = (
        await trx.selectFrom("loans").select("loan_id").where("overdue_since", ">", forkBlock.timestamp).limit(2_000).execute()
      )
        .map((r) => r.loan_id)
        .filter((id) => !rebuilt.has(id));
      if (ids.length === 0) break;
      const loaded = await loadProjections(trx, ids, policyCache);
      await upsertLoans(trx, [...loaded.values()].map((p) => projectionRow(p, forkBlock.timestamp)));
      ids.forEach((id) => rebuilt.add(id));
    }
    return affected;
  });
}

/** Rebuilds projections by folding each loan's remaining events (after a rollback). */
async function rebuild(trx: Transaction<Database>, loanIds: number[], decode: Decode): Promise<LoanProjection[]> {
  const rows = await trx
    .selectFrom("loan_events")
    .innerJoin("raw_logs", (j) => j.onRef("raw_logs.block_number", "=", "loan_events.block_number").onRef("raw_logs.log_index", "=", "loan_events.log_index"))
    .select(["loan_events.loan_id", "loan_events.block_timestamp", "raw_logs.block_number", "raw_logs.log_index", "raw_logs.block_hash", "raw_logs.tx_hash", "raw_logs.address", "raw_logs.topics", "raw_logs.data"])
    .where("loan_events.loan_id", "in", loanIds)
    .orderBy("raw_logs.block_number")
    .orderBy("raw_logs.log_index")
    .execute();
  const out = new Map<number, LoanProjection>();
  const policyIds = new Set<number>();
  const decoded = rows.map((r) => ({
    ts: r.block_timestamp,
    log: decode({
      address: r.address as Address,
      topics: topicsOf(r.topics),
      data: dataOf(r.data),
      blockNumber: BigInt(r.block_number),
      logIndex: r.log_index,
      blockHash: r.block_hash as `0x${string}`,
      transactionHash: r.tx_hash as `0x${string}`,
      transactionIndex: 0,
      removed: false,
    } as Log),
  }));
  for (const { log } of decoded) if (log.eventName === "LoanRegistered") policyIds.add(log.args.policyId);
  const pol = await loadPolicies(trx, [...policyIds]);
  for (const { log, ts } of decoded) {
    const id = loanIdOf(log)!;
    if (log.eventName === "LoanRegistered") out.set(id, registerProjection(log, ts, pol.get(log.args.policyId)!));
    else out.set(id, applyToProjection(out.get(id)!, log, ts));
  }
  return [...out.values()];
}
