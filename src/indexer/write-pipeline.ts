/**
 * The write pipeline: ranges applied in memory gather in a pending group (one batch from the
 * database's cursor on), which is written in one transaction with its cursor. On PostgreSQL during
 * backfill the group's transaction stays in flight while the next ranges are decoded and applied.
 */
import type { DatabaseHandle } from "../db/connect";
import type { LoanProjection } from "../db/loans";
import { emptyBatch, type Batch } from "./handlers";
import type { LoanCache } from "./loan-cache";
import type { IndexerMetrics } from "./metrics";
import { writeBatch, type BlockHeader, type Cursor } from "./store";

/**
 * A backfill transaction holds consecutive ranges until it has `commitEvents` events or is this
 * old: fewer, larger commits (the index and loans pages many ranges touch are written once, each
 * loan row once), and a crash or a stop loses at most a few seconds of work.
 */
export const GROUP_MS = 2_000;
const COMMIT_EVENTS = 10_000;

/** Ranges applied but not written yet: one batch from the database's cursor (`from`) on. */
export interface Group {
  batch: Batch;
  from: Cursor;
  /** Headers to store. */
  stored: BlockHeader[];
  /** Events by contract and name, for the metrics once written. */
  counts: Map<string, number>;
  /** When the group was started (Date.now()). */
  started: number;
}

/** A group with the ranges applied to it so far: the cursor it moves to, and the blocks it keeps. */
export interface StagedGroup extends Group {
  next: Cursor;
  keepFrom: number;
}

export interface CreateWritePipelineParameters {
  database: DatabaseHandle;
  cache: LoanCache;
  metrics: IndexerMetrics;
  /** Events a backfill group holds before it is written (IndexerOptions.commitEvents). */
  commitEvents?: number;
  /** Writes a group (the store's writeBatch; a fake in unit tests). */
  write?: typeof writeBatch;
  now?: () => number;
}

export function createWritePipeline({ database, cache, metrics, commitEvents = COMMIT_EVENTS, write = writeBatch, now = Date.now }: CreateWritePipelineParameters) {
  let pending: StagedGroup | undefined;
  /** The group whose transaction is in flight (PostgreSQL backfill), with the projections it writes. */
  let inFlight: { promise: Promise<void>; loans: ReadonlyMap<number, LoanProjection> } | undefined;
  let written = 0;

  /** The pending group to apply the next range to, or a new one from `from`. */
  function group(from: Cursor): Group {
    return pending ?? { batch: emptyBatch(), from, stored: [], counts: new Map<string, number>(), started: now() };
  }

  /** Whether a group holds enough events, or is old enough, to be written. */
  function due(g: Group): boolean {
    return g.batch.events >= commitEvents || now() - g.started >= GROUP_MS;
  }

  /**
   * Starts the write of the pending group (after the write in flight, so writes land in order: the
   * previous one's transaction moves the cursor this one starts from). On PostgreSQL, unless
   * `wait`, it stays in flight while the next ranges are decoded and applied (the projections are
   * already this group's); otherwise it completes before this returns.
   */
  async function writePending(wait: boolean): Promise<void> {
    const g = pending;
    if (!g) return;
    pending = undefined;
    await flushInFlight();
    const { batch, stored, next, keepFrom, from, counts } = g;
    const promise = write(database.db, batch, stored, next, keepFrom, from, (id) => cache.projections.peek(id)).then(
      () => {
        for (const [key, n] of counts) {
          const [contract, event] = key.split("\u0000");
          metrics.events.inc({ contract, event }, n);
        }
        written += batch.events;
        metrics.indexed.set(next.blockNumber);
      },
      (err: unknown) => {
        cache.clear();
        throw err;
      },
    );
    promise.catch(() => undefined); // seen by flushInFlight
    for (const [id, p] of batch.loans) cache.projections.set(id, p);
    inFlight = { promise, loans: batch.loans };
    if (database.dialect !== "postgres" || wait) await flushInFlight();
  }

  /** Waits for the write in flight, if any (its error, if it failed). */
  async function flushInFlight(): Promise<void> {
    const writing = inFlight;
    inFlight = undefined;
    if (writing) await writing.promise;
  }

  return {
    group,
    due,
    /** Makes `g`, with a range just applied, the pending group. */
    stage(g: Group, next: Cursor, keepFrom: number): void {
      pending = { ...g, next, keepFrom };
    },
    /** Drops the pending group unwritten (it was half applied). */
    discard(): void {
      pending = undefined;
    },
    write: writePending,
    /** Writes everything applied so far: the pending group, then waits for it. */
    async flush(): Promise<void> {
      await writePending(true);
      await flushInFlight();
    },
    /** A loan's projection as the write in flight leaves it (ahead of the database). */
    inFlightLoan: (id: number) => inFlight?.loans.get(id),
    /** Events written so far. */
    written: () => written,
  };
}

export type WritePipeline = ReturnType<typeof createWritePipeline>;
