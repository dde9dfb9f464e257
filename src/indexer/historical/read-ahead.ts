/**
 * Backfill read-ahead: ranges asked for before their processing, so the node works while the
 * indexer decodes and writes. A lane reads ranges in sequence (each starts where the previous
 * one's logs ended) up to the target; each range is a slot holding its answer once it comes.
 */
import type { Logger } from "pino";
import type { IndexerOptions } from "../options";
import { PREFETCH_HEADERS_DENSITY, type Fetcher, type FetchedRange } from "./fetch";
import { mostLogsInABlock, type RangePlanner } from "./range";

/**
 * At most this many ranges read ahead, and about this many logs by the recent density (what the
 * answers waiting to be processed hold). A group's commit is one long synchronous stretch on
 * SQLite: the ranges asked for before it are what the node has to do meanwhile. Most slots hold
 * an answer already, waiting; the node works through the rest one at a time. More ranges gain
 * little on bench:indexer's chain; 32 keeps the requests a provider sees at once moderate.
 * 10,000 logs (about one commit group) against 20,000: on bench:indexer's chain, four alternating
 * runs each, backfills took 22.6 s against 24.9 s on SQLite and 24.4 s against 25.6 s on
 * PostgreSQL, with peak RSS 327-357 MB against 329-371 MB (the waiting answers are parsed JSON);
 * 6,000 was slower (25-28 s).
 */
export const READ_AHEAD = 32;
export const READ_AHEAD_LOGS = 10_000;

/**
 * Sparse stretches (between PREFETCH_HEADERS_DENSITY and this many logs a block, recently) are
 * read ahead in spans of SPARSE_SPAN blocks, whose eth_getLogs ranges are sized by the gas their
 * blocks used (Fetcher.fetchSpan) rather than capped by the densest blocks seen so far, which
 * would hold such stretches to a few blocks a range.
 */
export const SPARSE_LOGS_PER_BLOCK = 4;
export const SPARSE_SPAN = 64;

export interface Lane {
  /** Last block to read ahead (the target). */
  limit: number;
  /** Ranges asked for, in order, each starting where the previous one ends. */
  slots: Slot[];
  /** First block after the last slot. */
  next: number;
}

/** A range asked for ahead of its processing, and its answer (undefined once its lane is dropped). */
export interface Slot {
  from: number;
  to: number;
  /** A sparse span (fetchSpan): it stops early where the blocks turn dense. */
  span: boolean;
  /** Set when the lane no longer wants the slot: a span not started yet asks for no logs. */
  dropped: boolean;
  fetched: Promise<FetchedRange | undefined>;
}

export interface CreateReadAheadParameters {
  fetcher: Pick<Fetcher, "fetchRange" | "fetchSpan">;
  planner: RangePlanner;
  options: Pick<IndexerOptions, "reorgWindow" | "maxBlockRange">;
  logger: Logger;
  stopped: () => boolean;
}

export function createReadAhead({ fetcher, planner, options, logger, stopped }: CreateReadAheadParameters) {
  let lane: Lane | undefined;

  /**
   * A read-ahead slot: the range [from, from + range - 1] (within the lane's limit), asked for now.
   * Slots are planned from the range size known when they start, not from the previous answer,
   * so the node always has the next ranges to work on while the indexer is busy writing.
   */
  function slotAt(owner: Lane, from: number, head: number, upTo = owner.limit): Slot {
    const { range, logsPerBlock } = planner;
    const sparse = range < SPARSE_SPAN && logsPerBlock >= PREFETCH_HEADERS_DENSITY && logsPerBlock <= SPARSE_LOGS_PER_BLOCK;
    const to = Math.min(from + (sparse ? Math.min(SPARSE_SPAN, options.maxBlockRange) : range) - 1, upTo);
    const slot: Slot = { from, to, span: sparse, dropped: false, fetched: Promise.resolve(undefined) };
    if (stopped() || lane !== owner) return slot;
    slot.fetched = sparse ? fetcher.fetchSpan(from, to, head, () => slot.dropped) : fetcher.fetchRange(from, to, upTo, head, true);
    // Awaited (and an error seen) by the range's ingest, or dropped with the lane.
    slot.fetched.catch(() => undefined);
    return slot;
  }

  /** Drops the slots `owner` has asked for (a span among them not started yet asks for no logs). */
  function dropSlots(owner: Lane): void {
    for (const s of owner.slots) s.dropped = true;
    owner.slots = [];
  }

  function dropLane(): void {
    if (lane) dropSlots(lane);
    lane = undefined;
  }

  /** Asks for ranges up to the read-ahead bounds (ranges, expected logs) or the lane's limit. */
  function topUp(owner: Lane, head: number): void {
    let next = owner.slots.length ? owner.slots[owner.slots.length - 1].to + 1 : owner.next;
    let expected = 0;
    for (const s of owner.slots) expected += (s.to - s.from + 1) * planner.logsPerBlock;
    while (owner.slots.length < READ_AHEAD && (owner.slots.length === 0 || expected < READ_AHEAD_LOGS) && next <= owner.limit) {
      const slot = slotAt(owner, next, head);
      owner.slots.push(slot);
      expected += (slot.to - slot.from + 1) * planner.logsPerBlock;
      next = slot.to + 1;
    }
    owner.next = next;
  }

  /**
   * The range from `from`: the next one read ahead when it starts there and is still good (within
   * the target; in the unfinalised window only if read at the current head, so that it has that
   * window's headers), else read now; then the lane is topped up. A range read ahead in the window
   * is checked as one read now is (hash chain, parent of the first block): a reorg since it was
   * read shows there or at the next range, and is rolled back like any other.
   */
  async function rangeFrom(from: number, head: number, target: number, withFirst: boolean): Promise<FetchedRange> {
    const limit = target;
    let got: FetchedRange | undefined;
    const slot = lane?.slots.shift();
    if (lane && slot) {
      lane.limit = limit;
      try {
        got = await slot.fetched;
      } catch (err) {
        dropLane();
        throw err;
      }
      if (got && (got.from !== from || got.to > limit || (got.to > head - options.reorgWindow && got.head !== head))) got = undefined;
      if (got && lane) {
        if (got.to < slot.to && slot.span) {
          // Dense blocks where the span stopped: the spans planned after it would each read a
          // block or two of them and stop too. The lane is planned again from here, at the
          // density of those blocks (the moving average still says sparse: it would let
          // READ_AHEAD ranges of dense blocks be asked for at once).
          dropSlots(lane);
          lane.next = got.to + 1;
          planner.denserThan(mostLogsInABlock(got.logs));
          logger.debug({ from: got.to + 1, dropped: slot.to - got.to }, "a sparse span met dense blocks; read-ahead planned again from there");
        } else if (got.to < slot.to) {
          // An answer split short of its slot: the rest of the slot is read next.
          lane.slots.unshift(slotAt(lane, got.to + 1, head, slot.to));
        }
        topUp(lane, head);
      } else dropLane();
    }
    if (!got) {
      got = await fetcher.fetchRange(from, Math.min(from + planner.range - 1, target), target, head, withFirst);
      if (got.to < limit) {
        const fresh: Lane = { limit, slots: [], next: got.to + 1 };
        lane = fresh;
        topUp(fresh, head);
      }
    }
    return got;
  }

  return {
    rangeFrom,
    /** Whether ranges after the last one returned are read ahead already (the lane goes on). */
    hasMore: () => lane !== undefined && lane.slots.length > 0,
  };
}

export type ReadAhead = ReturnType<typeof createReadAhead>;
