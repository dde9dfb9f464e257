/**
 * Group commit for small writes from many concurrent callers: each `run(op)` joins the next shared
 * transaction, started as soon as a transaction slot is free, so N callers pay for a handful of
 * commits instead of N. On PostgreSQL a few transactions run at once (each on its own pooled
 * connection; their round trips overlap); SQLite has one connection, so one. Ops must touch
 * disjoint rows (a notice's own) since concurrent transactions do not order them.
 *
 * An op sees its transaction only. If a shared transaction fails, it rolls back whole and each of
 * its ops is run again alone, in a transaction of its own: one bad op fails only its own caller,
 * and nothing is half-written.
 */
import type { Kysely, Transaction } from "kysely";
import { dialectOf } from "./dialect";
import type { Database } from "./schema";

export type GroupOp<T> = (trx: Transaction<Database>) => Promise<T>;

export interface GroupWriter {
  run<T>(op: GroupOp<T>): Promise<T>;
}

interface Queued {
  op: GroupOp<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Transactions a PostgreSQL group writer keeps in flight (well under the pool's 10 connections). */
const POSTGRES_SLOTS = 4;

/** A group writer on `db`. */
export function groupWriter(db: Kysely<Database>, slots = dialectOf(db) === "postgres" ? POSTGRES_SLOTS : 1): GroupWriter {
  let queue: Queued[] = [];
  let running = 0;
  let scheduled = false;

  async function commit(batch: Queued[]): Promise<void> {
    try {
      const results = await db.transaction().execute(async (trx) => {
        const out: unknown[] = [];
        for (const q of batch) out.push(await q.op(trx));
        return out;
      });
      batch.forEach((q, i) => q.resolve(results[i]));
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(err);
      else for (const q of batch) await db.transaction().execute(q.op).then(q.resolve, q.reject);
    }
  }

  function pump(): void {
    while (running < slots && queue.length > 0) {
      const batch = queue;
      queue = [];
      running++;
      void commit(batch).finally(() => {
        running--;
        pump();
      });
    }
  }

  return {
    run<T>(op: GroupOp<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          // The callers that reach their write in this turn of the event loop share a transaction.
          setImmediate(() => {
            scheduled = false;
            pump();
          });
        }
      });
    },
  };
}
