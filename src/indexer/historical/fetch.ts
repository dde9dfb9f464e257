/**
 * Reading ranges from the node: eth_getLogs (split on errors, retried with backoff) and the block
 * headers a range needs, asked for early where the indexer would otherwise wait for them.
 */
import { numberToHex, type Address, type Log, type PublicClient, type RpcLog } from "viem";
import { AbortedError, classifyRpcError, errorSummary, retryAfterMs, retryDelayMs, sleep } from "../../chain/rpc";
import { BlockGoneError } from "../errors";
import type { IndexerOptions, IndexerServices } from "../options";
import type { BlockHeader } from "../store";
import type { RangePlanner } from "./range";

/**
 * A range of at most this many blocks, at a recent density of at least this many logs a block,
 * has the headers of all its blocks asked for with its logs (see prefetchHeaders): asked after,
 * the headers of the last sparse range before dense ones queue behind the dense ranges read ahead.
 */
export const PREFETCH_HEADERS_BLOCKS = 32;
export const PREFETCH_HEADERS_DENSITY = 0.5;
/** Gas of a range's blocks, at most: its eth_getLogs answer stays under 8 MiB (under a byte a gas). */
const GAS_BUDGET = 8 * 1024 * 1024;
/** A span stops once its blocks used this much gas (it was not as sparse as the recent blocks). */
const SPAN_GAS = 2 * GAS_BUDGET;

/** A block header as read from the node: what the store keeps, and the gas the block used. */
export interface ChainHeader extends BlockHeader {
  gasUsed: number;
}

/**
 * Headers of finalised blocks are kept, at most this many (the newest asked for), for a range
 * that needs them again: a read-ahead lane planned anew at a sparse-to-dense boundary asks for
 * blocks whose headers its dropped spans had asked for already (on bench:indexer's chain, 6,105 of
 * 12,629 blocks were asked for twice). A lane reads ahead at most READ_AHEAD spans of SPARSE_SPAN.
 */
export const KEPT_HEADERS = 4_096;

/** A range's logs and the headers it needs, read ahead of its processing. */
export interface FetchedRange {
  from: number;
  to: number;
  logs: Log[];
  headers: BlockHeader[];
  /**
   * Times of blocks with logs that have no header here: finalised blocks whose logs all gave the
   * same `blockTimestamp` and `blockHash` (a node that follows execution-apis#639: geth 1.16+,
   * Erigon, Besu). Their header would be read for the time alone.
   */
  logTimes: ReadonlyMap<number, number>;
  /** The head the range was read at (which decides the unfinalised window's headers it has). */
  head: number;
}

/** Runs an RPC call with retries (src/chain/rpc.ts withRetry, with the indexer's logging). */
export type Retry = <T>(method: string, fn: () => Promise<T>) => Promise<T>;

export interface CreateFetcherParameters {
  client: PublicClient;
  addresses: Address[];
  planner: RangePlanner;
  options: Pick<IndexerOptions, "reorgWindow" | "maxBlockRange">;
  services: IndexerServices;
  retry: Retry;
  stopped: () => boolean;
}

/** viem's formatLog, written out: its spread-and-extend builds each object slowly (dictionary mode). */
function toLog(l: RpcLog): Log {
  return {
    address: l.address,
    blockHash: l.blockHash,
    blockNumber: l.blockNumber ? BigInt(l.blockNumber) : null,
    data: l.data,
    logIndex: l.logIndex ? Number(l.logIndex) : null,
    removed: l.removed,
    topics: l.topics,
    transactionHash: l.transactionHash,
    transactionIndex: l.transactionIndex ? Number(l.transactionIndex) : null,
    blockTimestamp: l.blockTimestamp ? BigInt(l.blockTimestamp) : undefined,
  } as Log;
}

export function createFetcher({ client, addresses, planner, options, services, retry, stopped }: CreateFetcherParameters) {
  const { logger, metrics } = services;
  /** Whether the node's last log answer gave block timestamps (then a range needs few headers). */
  let logsTimed = false;

  const kept = new Map<number, Promise<ChainHeader>>();

  /**
   * The header of `blockNumber`, kept when the block is finalised at `head` (it cannot change);
   * an answer that fails is not kept.
   */
  function finalisedHeader(blockNumber: number, head: number): Promise<ChainHeader> {
    if (blockNumber > head - options.reorgWindow) return header(blockNumber);
    let p = kept.get(blockNumber);
    if (p === undefined) {
      p = header(blockNumber);
      kept.set(blockNumber, p);
      p.catch(() => kept.delete(blockNumber));
      if (kept.size > KEPT_HEADERS) kept.delete(kept.keys().next().value!);
    }
    return p;
  }

  async function header(blockNumber: number): Promise<ChainHeader> {
    // The raw call (batched by the transport): five fields are needed, not viem's formatting of all of them.
    const b = await retry("eth_getBlockByNumber", () => client.request({ method: "eth_getBlockByNumber", params: [numberToHex(blockNumber), false] }));
    if (!b || !b.hash) throw new BlockGoneError(`block ${blockNumber} is not on the node's chain`);
    return { number: Number(b.number), hash: b.hash, parentHash: b.parentHash, timestamp: Number(b.timestamp), gasUsed: Number(b.gasUsed) };
  }

  /**
   * eth_getLogs over [from, to], splitting the range on errors (planner.split); returns the logs
   * and the end actually covered. Rate limiting waits (Retry-After) without splitting.
   */
  async function fetchLogs(from: number, to: number): Promise<{ logs: Log[]; to: number }> {
    let end = to;
    let failures = 0;
    for (;;) {
      try {
        // A signal of its own keeps this call out of the transport's JSON-RPC batches: a large answer
        // must fail (or succeed) alone, not take the header and head requests batched with it along.
        const raw = await client.request(
          { method: "eth_getLogs", params: [{ address: addresses, fromBlock: numberToHex(from), toBlock: numberToHex(end) }] },
          { signal: new AbortController().signal },
        );
        const logs = raw.map(toLog);
        if (logs.length) noteLogTimes(logs);
        return { logs, to: end };
      } catch (err) {
        if (stopped()) throw new AbortedError("stopped");
        const kind = classifyRpcError(err);
        if (retryAfterMs(err) === undefined) failures++;
        metrics.retries.inc({ method: "eth_getLogs", reason: kind });
        if ((kind === "range-too-large" || failures >= 2) && end > from) {
          end = planner.split(from, end, kind === "range-too-large");
          failures = 0;
          metrics.splits.inc();
          logger.warn({ from, to: end, err: errorSummary(err) }, "eth_getLogs failed, splitting the range");
        } else {
          logger.warn({ from, to: end, attempt: failures, err: errorSummary(err) }, "eth_getLogs failed, retrying");
          await sleep(retryDelayMs(err, failures));
        }
      }
    }
  }

  /** Follows whether the node's logs carry block timestamps; says so when that changes. */
  function noteLogTimes(logs: readonly Log[]): void {
    const timed = logs.every((l) => l.blockTimestamp !== undefined);
    if (timed === logsTimed) return;
    logsTimed = timed;
    if (timed) logger.info("the node's logs carry their block's timestamp: finalised blocks with logs need no header");
    else logger.info("the node's logs do not carry their block's timestamp: each block with logs has its header read");
  }

  /** Asks for the headers of blocks [from, to] now; each one's error is seen where it is awaited. */
  function askHeaders(from: number, to: number, head: number): Map<number, Promise<ChainHeader>> {
    const early = new Map<number, Promise<ChainHeader>>();
    for (let n = from; n <= to; n++) {
      const p = finalisedHeader(n, head);
      p.catch(() => undefined); // seen by whoever needs the block; else not needed
      early.set(n, p);
    }
    return early;
  }

  /**
   * The headers of a short range where most blocks have logs, asked for together with its logs
   * rather than after them: asked after, they would queue at the node behind every read-ahead range
   * asked meanwhile (at a sparse-to-dense boundary, seconds of dense answers) while the indexer
   * waits for this range. Undefined when the range is long or mostly empty (then only the blocks
   * with logs are asked for, once they are known).
   */
  function prefetchHeaders(from: number, to: number, head: number): Map<number, Promise<ChainHeader>> | undefined {
    // With timed logs the range needs its first and last headers (and the unfinalised window's,
    // asked after): no prefetch.
    if (logsTimed || to - from + 1 > PREFETCH_HEADERS_BLOCKS || planner.logsPerBlock < PREFETCH_HEADERS_DENSITY) return undefined;
    return askHeaders(from, to, head);
  }

  /**
   * The headers a range needs: every block of the unfinalised window (hash chain) when near the
   * tip, else the blocks with logs, the first block (`withFirst`: to check it extends the cursor
   * block — a reorg while the indexer was stopped or behind shows here, however far the head has
   * moved on since) and the range end. A finalised block whose logs all carry one timestamp and one
   * block hash needs no header (logTimes), unless it is one of those or was asked for early.
   */
  async function withHeaders(
    from: number,
    fetched: { logs: Log[]; to: number },
    head: number,
    withFirst: boolean,
    early?: ReadonlyMap<number, Promise<BlockHeader>>,
  ): Promise<FetchedRange> {
    const to = fetched.to;
    const logs = fetched.logs.filter((l) => !l.removed);
    const finalised = head - options.reorgWindow;
    const wanted = new Set<number>();
    wanted.add(to);
    if (withFirst) wanted.add(from);
    if (to > finalised) for (let n = Math.max(from, finalised + 1); n <= to; n++) wanted.add(n);
    const logTimes = new Map<number, number>();
    const hashes = new Map<number, string>();
    for (const l of logs) {
      const n = Number(l.blockNumber);
      if (wanted.has(n)) continue;
      const time = l.blockTimestamp;
      if (time === undefined || n > finalised || early?.has(n) || (hashes.has(n) && (hashes.get(n) !== l.blockHash || logTimes.get(n) !== Number(time)))) {
        wanted.add(n);
        logTimes.delete(n);
      } else {
        logTimes.set(n, Number(time));
        hashes.set(n, l.blockHash!);
      }
    }
    const headers = await Promise.all([...wanted].sort((a, b) => a - b).map((n) => early?.get(n) ?? finalisedHeader(n, head)));
    return { from, to, logs, headers, logTimes, head };
  }

  /**
   * Reads [from, to] (less if an answer was split): its logs and the headers it needs; the answer
   * sizes the next range (cut short by the target when `to` is `limit`).
   */
  async function fetchRange(from: number, to: number, limit: number, head: number, withFirst: boolean): Promise<FetchedRange> {
    const early = prefetchHeaders(from, to, head);
    const fetched = await fetchLogs(from, to);
    planner.adapt(fetched.to - from + 1, fetched.to === to && to === limit, fetched.logs);
    return withHeaders(from, fetched, head, withFirst, early);
  }

  /**
   * A sparse span [from, to]: the headers of all its blocks first (needed anyway: most blocks have
   * a log), then its logs in ranges sized by the gas those blocks used — an eth_getLogs answer
   * holds under a byte per unit of gas its blocks' LOG opcodes used, so a range within GAS_BUDGET
   * cannot be refused as too large, however dense the blocks seen before. The ranges are asked for
   * together. The span ends early, as a split answer does, where its blocks have used more than
   * SPAN_GAS (dense blocks ahead). Undefined if `dropped()` before its logs were asked for.
   */
  async function fetchSpan(from: number, to: number, head: number, dropped: () => boolean): Promise<FetchedRange | undefined> {
    const early = askHeaders(from, to, head);
    const headers = await Promise.all(early.values()); // in block order (inserted so)
    if (dropped() || stopped()) return undefined;
    const parts: { start: number; end: number }[] = [];
    let spanGas = 0;
    for (let start = from; start <= to && spanGas <= SPAN_GAS; ) {
      let end = start;
      let gas = headers[start - from].gasUsed;
      while (end < to && end - start + 1 < options.maxBlockRange && gas + headers[end + 1 - from].gasUsed <= GAS_BUDGET) {
        end++;
        gas += headers[end - from].gasUsed;
      }
      parts.push({ start, end });
      spanGas += gas;
      start = end + 1;
    }
    const answers = await Promise.all(parts.map((p) => fetchLogs(p.start, p.end)));
    const logs: Log[] = [];
    let covered = from - 1;
    for (const [i, got] of answers.entries()) {
      for (const l of got.logs) logs.push(l);
      covered = got.to;
      if (got.to < parts[i].end) break; // split short: the rest is read by the next slot
    }
    planner.adapt(covered - from + 1, false, logs);
    return withHeaders(from, { logs, to: covered }, head, true, early);
  }

  return { header, fetchLogs, fetchRange, fetchSpan };
}

export type Fetcher = ReturnType<typeof createFetcher>;
