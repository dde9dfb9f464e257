/**
 * Range planning for eth_getLogs: how many blocks the next range spans, sized from the answers
 * read so far (by log count and bytes against the targets), capped by the densest blocks seen.
 */
import type { Log } from "viem";

/**
 * What the range controller aims for per eth_getLogs answer: big enough to amortise a round trip,
 * well under providers' result caps (10,000 logs) and viem's 10 MiB response limit.
 */
export const TARGET_LOGS = 5_000;
export const TARGET_BYTES = 4 * 1024 * 1024;
/**
 * A range never spans more than this many targets' worth of blocks at the densest rate seen so far:
 * a sparse stretch must not grow the range into an answer too large (which the node builds in full
 * before the client refuses it, then the range is read again in parts) when dense blocks come back.
 * Two targets (8 MiB at the densest rate) stay under the 10 MiB limit; four did not (answers of
 * over 10 MiB were refused).
 */
export const DENSITY_HEADROOM = 2;
/** The first range (the controller grows it: a first guess too large costs the node a huge answer). */
const FIRST_RANGE = 16;

/** Approximate size of a log in an eth_getLogs answer (JSON), for the range controller. */
export const logBytes = (l: Log) => 360 + l.data.length + 69 * l.topics.length;

/** The most logs one block holds in `logs` (in chain order). */
export function mostLogsInABlock(logs: readonly Log[]): number {
  let most = 0;
  for (let i = 0, run = 0; i < logs.length; i++) {
    run = i > 0 && logs[i].blockNumber === logs[i - 1].blockNumber ? run + 1 : 1;
    if (run > most) most = run;
  }
  return most;
}

export interface RangePlanner {
  /** Blocks the next range spans. */
  readonly range: number;
  /** Logs per block in recent answers (a moving average), to size the read-ahead. */
  readonly logsPerBlock: number;
  /** Blocks a range may span at the densest rate seen, by `headroom` targets (0: nothing seen yet). */
  densityCap(headroom: number): number;
  /**
   * Sizes the next range from an answer just read (`blocks` long, `truncated` when cut short by
   * the target): proportional to the targets, at most double, and within the density cap.
   */
  adapt(blocks: number, truncated: boolean, logs: readonly Log[]): void;
  /**
   * The end of [from, end] after a failed eth_getLogs: straight down to what the densest blocks
   * seen allow when the range was too large and that is less than half, else half. The next
   * ranges are planned at that size.
   */
  split(from: number, end: number, tooLarge: boolean): number;
  /** Raises the recent density to at least `logsPerBlock` (dense blocks met where it said sparse). */
  denserThan(logsPerBlock: number): void;
}

export function createRangePlanner({ maxBlockRange }: { maxBlockRange: number }): RangePlanner {
  let range = Math.min(FIRST_RANGE, maxBlockRange);
  let logsPerBlock = 0;
  /** Most logs, and most bytes of logs, seen in one block so far (the controller's worst case). */
  let densest = { logs: 0, bytes: 0 };

  function densityCap(headroom: number): number {
    if (densest.logs === 0) return 0;
    return Math.max(1, Math.floor(headroom * Math.min(TARGET_LOGS / densest.logs, TARGET_BYTES / densest.bytes)));
  }

  function adapt(blocks: number, truncated: boolean, logs: readonly Log[]): void {
    let bytes = 0;
    let inBlock = 0;
    let inBlockBytes = 0;
    for (let i = 0; i < logs.length; i++) {
      const size = logBytes(logs[i]);
      bytes += size;
      if (i > 0 && logs[i].blockNumber === logs[i - 1].blockNumber) {
        inBlock++;
        inBlockBytes += size;
      } else {
        inBlock = 1;
        inBlockBytes = size;
      }
      if (inBlock > densest.logs) densest = { logs: inBlock, bytes: Math.max(densest.bytes, inBlockBytes) };
      else if (inBlockBytes > densest.bytes) densest = { logs: densest.logs, bytes: inBlockBytes };
    }
    logsPerBlock = logsPerBlock === 0 ? logs.length / blocks : 0.8 * logsPerBlock + (0.2 * logs.length) / blocks;
    // A range cut short by the target says nothing about how far the next may go: grow from the asked size.
    const base = truncated ? Math.max(blocks, range) : blocks;
    let next = 2 * base;
    if (logs.length > 0) next = Math.min(next, Math.floor(blocks * Math.min(TARGET_LOGS / logs.length, TARGET_BYTES / bytes)));
    const cap = densityCap(DENSITY_HEADROOM);
    if (cap > 0) next = Math.min(next, cap);
    range = Math.max(1, Math.min(maxBlockRange, next));
  }

  function split(from: number, end: number, tooLarge: boolean): number {
    const half = Math.floor((end - from) / 2);
    const safe = tooLarge ? densityCap(1) : 0;
    const to = from + (safe > 0 && safe - 1 < half ? safe - 1 : half);
    range = Math.max(1, to - from + 1);
    return to;
  }

  return {
    get range() {
      return range;
    },
    get logsPerBlock() {
      return logsPerBlock;
    },
    densityCap,
    adapt,
    split,
    denserThan(n: number) {
      logsPerBlock = Math.max(logsPerBlock, n);
    },
  };
}
