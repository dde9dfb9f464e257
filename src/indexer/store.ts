import { sql, type Kysely, type Transaction } from "kysely";
import type { Database, LoansTable } from "../db/schema";
import { EVENT_TABLES } from "../db/schema";
import type { Installment, LoanStatus } from "../domain";
import { bulkWriter, type BulkWriter } from "../db/bulk";
import { chunk } from "../db/chunk";
import {
  collectionRow,
  LOAN_FIXED_COLUMNS,
  LOAN_INDEXED_COLUMNS,
  overdueColumns,
  projectionRow,
  type CollectionRow,
  type LoanProjection,
  type OverdueInputs,
  type OverdueRow,
} from "../db/loans";
import type { Batch } from "./handlers";
import { CursorMovedError } from "./errors";
import { dialectOf } from "../db/dialect";

/** Bound variables per statement, under SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMS = 30_000;

export interface BlockHeader {
  number: number;
  hash: string;
  parentHash: string;
  timestamp: number;
}

export interface Cursor {
  chainId: number;
  blockNumber: number;
  blockHash: string;
  blockTimestamp: number;
}

export async function readCursor(db: Kysely<Database>): Promise<Cursor | undefined> {
  const row = await db.selectFrom("cursor").selectAll().where("id", "=", 1).executeTakeFirst();
  return row && { chainId: row.chain_id, blockNumber: row.block_number, blockHash: row.block_hash, blockTimestamp: row.block_timestamp };
}

/** The bulk writer (src/db/bulk.ts) of the database each open write transaction belongs to. */
const bulkOf = new WeakMap<Transaction<Database>, BulkWriter>();

/** Runs `fn` in a write transaction of `db`, through its bulk writer when it has one. */
export function writeTransaction<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  const writer = bulkWriter(db);
  if (!writer) return db.transaction().execute(fn);
  return writer.transaction(db, (trx) => {
    bulkOf.set(trx, writer);
    return fn(trx);
  });
}

export async function insertMany(trx: Transaction<Database>, table: keyof Database, rows: object[]): Promise<void> {
  if (rows.length === 0) return;
  const bulk = bulkOf.get(trx);
  if (bulk) return bulk.insert(trx, table, rows);
  const perRow = Object.keys(rows[0]).length;
  for (const part of chunk(rows, Math.max(1, Math.floor(MAX_PARAMS / perRow)))) {
    await trx.insertInto(table).values(part as never).execute();
  }
}



/**
 * Moves the cursor from `from` to `to`, as a transaction's first write: concurrent writers queue on
 * the cursor row, and the later one finds it moved and fails instead of writing a range twice (a
 * fence for when two indexers write at once, e.g. one that lost the writer lock but has not
 * noticed yet). `from` with an empty hash is the start, where there may be no row yet.
 */
export async function moveCursor(trx: Transaction<Database>, from: Cursor, to: Cursor): Promise<void> {
  const values = { chain_id: to.chainId, block_number: to.blockNumber, block_hash: to.blockHash, block_timestamp: to.blockTimestamp };
  const updated = await trx
    .updateTable("cursor")
    .set(values)
    .where("id", "=", 1)
    .where("block_number", "=", from.blockNumber)
    .where("block_hash", "=", from.blockHash)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 1) return;
  if (from.blockHash === "") {
    const inserted = await trx
      .insertInto("cursor")
      .values({ id: 1, ...values })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return;
  }
  throw new CursorMovedError(`the cursor is no longer at block ${from.blockNumber}: another indexer is writing to this database; stopping`);
}

/**
 * Writes a batch and moves the cursor from `from` to `cursor`, in one transaction: after a crash
 * the database holds either all of the range or none of it.
 */
export async function writeBatch(
  db: Kysely<Database>,
  batch: Batch,
  headers: BlockHeader[],
  cursor: Cursor,
  keepBlocksFrom: number,
  from: Cursor,
  known?: (loanId: number) => LoanProjection | undefined,
): Promise<void> {
  await writeTransaction(db, async (trx) => {
    await moveCursor(trx, from, cursor);
    for (const [table, rows] of Object.entries(batch.rows)) await insertMany(trx, table as keyof Database, rows as object[]);
    await insertMany(trx, "installments", batch.installments);
    const rewritten: LoansTable[] = [];
    const collection: CollectionRow[] = [];
    for (const [id, p] of batch.loans) {
      if (batch.rewritten.has(id)) rewritten.push(projectionRow(p, cursor.blockTimestamp));
      else collection.push(collectionRow(p));
    }
    await upsertLoans(trx, rewritten);
    await updateLoans(trx, collection);
    await refreshOverdue(trx, cursor.blockTimestamp, known);
    // Assignment changes in chain order come down to the last state of each (loan, collector).
    const last = new Map<string, { loanId: number; collector: string; assigned: boolean }>();
    for (const c of batch.collectors) last.set(`${c.loanId}:${c.collector}`, c);
    const assigned = [...last.values()].filter((c) => c.assigned).map((c) => ({ loan_id: c.loanId, collector: c.collector }));
    const bulk = bulkOf.get(trx);
    if (bulk) await bulk.insert(trx, "current_collectors", assigned, "ignore");
    else for (const row of assigned) await trx.insertInto("current_collectors").values(row).onConflict((oc) => oc.doNothing()).execute();
    for (const c of last.values()) {
      if (!c.assigned) await trx.deleteFrom("current_collectors").where("loan_id", "=", c.loanId).where("collector", "=", c.collector).execute();
    }
    if (headers.length > 0) {
      await trx.deleteFrom("blocks").where("number", ">=", headers[0].number).execute();
      await insertMany(
        trx,
        "blocks",
        headers.map((h) => ({ number: h.number, hash: h.hash, parent_hash: h.parentHash, timestamp: h.timestamp })),
      );
    }
    await trx.deleteFrom("blocks").where("number", "<", keepBlocksFrom).execute();
  });
}

/**
 * Keeps every loans row "as of the cursor": rows whose amount overdue changed with time alone
 * (an installment turned one day late by `t`) get their time-dependent columns recomputed
 * (overdueColumns), in chunks, in the same transaction. Projections the indexer holds in memory
 * (`known`: the state as of the database's cursor) are used as they are; for the rest, what
 * overdueAt reads is loaded from the database (overdueInputs).
 */
async function refreshOverdue(trx: Transaction<Database>, t: number, known?: (loanId: number) => LoanProjection | undefined): Promise<void> {
  // Most ranges have nothing to refresh: the earliest refresh time (an index lookup) says so.
  const first = await trx.selectFrom("loans").select((eb) => eb.fn.min("overdue_refresh_at").as("at")).executeTakeFirst();
  if (first?.at === null || first?.at === undefined || Number(first.at) > t) return;
  for (;;) {
    const ids = (await trx.selectFrom("loans").select("loan_id").where("overdue_refresh_at", "<=", t).limit(2_000).execute()).map((r) => r.loan_id);
    if (ids.length === 0) return;
    const rows: OverdueRow[] = [];
    const missing: number[] = [];
    for (const id of ids) {
      const p = known?.(id);
      if (p) rows.push(overdueColumns(id, p.state, t));
      else missing.push(id);
    }
    if (missing.length) for (const [id, inputs] of await overdueInputs(trx, missing)) rows.push(overdueColumns(id, inputs, t));
    await updateLoans(trx, rows);
  }
}

/**
 * What overdueAt reads of each of `loanIds` (stored loans): status, cursor, paid, and the current
 * schedule's installments from the cursor on (the earlier ones are left out of the array).
 */
async function overdueInputs(trx: Transaction<Database>, loanIds: number[]): Promise<Map<number, OverdueInputs>> {
  if (dialectOf(trx) === "postgres") return overdueInputsPg(trx, loanIds);
  const out = new Map<number, OverdueInputs>();
  for (const ids of chunk(loanIds, 500)) {
    const loans = await trx.selectFrom("loans").select(["loan_id", "status", "cursor", "paid", "installment_count"]).where("loan_id", "in", ids).execute();
    const schedules = new Map<number, Installment[]>();
    for (const l of loans) {
      const schedule = new Array<Installment>(l.installment_count);
      schedules.set(l.loan_id, schedule);
      out.set(l.loan_id, { status: l.status as LoanStatus, cursor: l.cursor, paid: BigInt(l.paid), schedule });
    }
    const inst = await trx
      .selectFrom("installments")
      .innerJoin("loans", (j) => j.onRef("loans.loan_id", "=", "installments.loan_id").onRef("loans.version", "=", "installments.version"))
      .select(["installments.loan_id", "installments.idx", "installments.due_date", "installments.principal", "installments.interest"])
      .where("installments.loan_id", "in", ids)
      // The ids on both sides: PostgreSQL does not carry an IN list across a join, and without it
      // hashes the whole loans table for each chunk (measured: 20-35 ms a chunk at 24k loans).
      .where("loans.loan_id", "in", ids)
      .whereRef("installments.idx", ">=", "loans.cursor")
      .execute();
    for (const i of inst) {
      schedules.get(i.loan_id)![i.idx] = { dueDate: BigInt(i.due_date), principal: BigInt(i.principal), interest: BigInt(i.interest) };
    }
  }
  return out;
}

/**
 * overdueInputs on PostgreSQL: one statement a chunk, the installments of each loan read by its key
 * (a lateral subquery the planner cannot turn into a join). During a backfill the tables have no
 * statistics yet, and the plain join was planned as a scan of all installments: 80-100 ms a chunk
 * of 500 at 24k loans, against 38 ms this way (and 38 ms for the join once analysed).
 */
async function overdueInputsPg(trx: Transaction<Database>, loanIds: number[]): Promise<Map<number, OverdueInputs>> {
  const out = new Map<number, OverdueInputs>();
  for (const ids of chunk(loanIds, 500)) {
    const { rows } = await sql<{
      loan_id: number;
      status: number;
      cursor: number;
      paid: string;
      installment_count: number;
      idx: number | null;
      due_date: number | null;
      principal: string | null;
      interest: string | null;
    }>`select l.loan_id, l.status, l.cursor, l.paid, l.installment_count, i.idx, i.due_date, i.principal, i.interest
      from loans l
      left join lateral (
        select idx, due_date, principal, interest from installments
        where installments.loan_id = l.loan_id and installments.version = l.version and installments.idx >= l.cursor
        offset 0
      ) i on true
      where l.loan_id in (${sql.join(ids)})`.execute(trx);
    const schedules = new Map<number, Installment[]>();
    for (const r of rows) {
      let schedule = schedules.get(r.loan_id);
      if (!schedule) {
        schedule = new Array<Installment>(r.installment_count);
        schedules.set(r.loan_id, schedule);
        out.set(r.loan_id, { status: r.status as LoanStatus, cursor: r.cursor, paid: BigInt(r.paid), schedule });
      }
      if (r.idx !== null) schedule[r.idx] = { dueDate: BigInt(r.due_date!), principal: BigInt(r.principal!), interest: BigInt(r.interest!) };
    }
  }
  return out;
}

/** The loans columns assignments carry a copy of (migration 0016: their queue sort keys). */
const QUEUE_KEY_SOURCES: readonly string[] = ["status", "due_key", "amount_overdue"];

/**
 * Copies the queue keys of the loans `loanIds` to their assignments (those that differ), in one
 * statement a chunk. Every write of those loans columns goes through updateLoans or upsertLoans,
 * which call this: one set-based update costs far less than a row trigger on every loans write
 * (measured on SQLite: a row trigger on loans, even one doing nothing, doubles an update's cost).
 * New assignments take their keys from a trigger (current_collectors_keys_on_assign).
 * The ids filter loans too: PostgreSQL otherwise hashes the whole loans table for the join.
 */
async function syncQueueKeys(trx: Transaction<Database>, loanIds: number[]): Promise<void> {
  const open = sql`case when l.status in (0, 1) then 1 else 0 end`;
  for (const ids of chunk(loanIds, 5_000)) {
    await sql`update current_collectors set queue_open = ${open}, due_key = l.due_key, amount_overdue = l.amount_overdue
      from loans l
      where l.loan_id = current_collectors.loan_id and current_collectors.loan_id in (${sql.join(ids)}) and l.loan_id in (${sql.join(ids)})
        and (current_collectors.queue_open <> ${open} or current_collectors.due_key <> l.due_key or current_collectors.amount_overdue <> l.amount_overdue)`.execute(trx);
  }
}

/** Updates stored loans rows in the columns `rows` have (by loan_id), the others left as they are. */
async function updateLoans(trx: Transaction<Database>, rows: (CollectionRow | OverdueRow)[]): Promise<void> {
  if (rows.length === 0) return;
  const bulk = bulkOf.get(trx);
  if (bulk) await bulk.update(trx, "loans", "loan_id", rows);
  else for (const { loan_id, ...set } of rows) await trx.updateTable("loans").set(set).where("loan_id", "=", loan_id).execute();
  if (Object.keys(rows[0]).some((c) => QUEUE_KEY_SOURCES.includes(c))) await syncQueueKeys(trx, rows.map((r) => r.loan_id));
}

export async function upsertLoans(trx: Transaction<Database>, rows: LoansTable[]): Promise<void> {
  if (rows.length === 0) return;
  await writeLoans(trx, rows);
  await syncQueueKeys(trx, rows.map((r) => r.loan_id));
}

async function writeLoans(trx: Transaction<Database>, rows: LoansTable[]): Promise<void> {
  const bulk = bulkOf.get(trx);
  if (bulk) return bulk.insert(trx, "loans", rows, { update: "loan_id", keep: LOAN_FIXED_COLUMNS, indexed: LOAN_INDEXED_COLUMNS });
  const fixed = new Set<string>(LOAN_FIXED_COLUMNS);
  const columns = Object.keys(rows[0]).filter((c) => c !== "loan_id" && !fixed.has(c)) as (keyof LoansTable)[];
  for (const part of chunk(rows, Math.floor(MAX_PARAMS / (columns.length + 1)))) {
    await trx
      .insertInto("loans")
      .values(part)
      .onConflict((oc) =>
        oc.column("loan_id").doUpdateSet((eb) => Object.fromEntries(columns.map((c) => [c, eb.ref(`excluded.${c}`)])) as never),
      )
      .execute();
  }
}

/** Stored headers of the unfinalised window, newest first. */
export async function storedHeaders(db: Kysely<Database>, from: number): Promise<BlockHeader[]> {
  const rows = await db.selectFrom("blocks").selectAll().where("number", ">=", from).orderBy("number", "desc").execute();
  return rows.map((r) => ({ number: r.number, hash: r.hash, parentHash: r.parent_hash, timestamp: r.timestamp }));
}

/** Row counts of every table (progress, tests). */
export async function tableCounts(db: Kysely<Database>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of [...EVENT_TABLES, "loans", "installments", "current_collectors", "blocks"] as const) {
    const r = await db.selectFrom(t).select(sql<number>`count(*)`.as("n")).executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  return out;
}
