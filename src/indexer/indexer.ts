import type { Logger } from "pino";
import { sql } from "kysely";
import { numberToHex, type Address, type Log, type PublicClient, type RpcLog } from "viem";
import type { DatabaseHandle } from "../db/connect";
import { AUTOCHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from "../db/checkpointer";
import type { Deployment } from "../chain/deployments";
import type { Policy } from "../domain";
import { createDecoder, type DecodedLog } from "../chain/decode";
import { applyLogs, emptyBatch, loanIdOf, type Batch, type HandlerContext } from "./handlers";
import type { IndexerMetrics } from "./metrics";
import { loadProjections, type LoanProjection } from "../db/loans";
import { loadPolicies } from "../db/policies";
import { applyToProjection, registerProjection } from "./projection";
import { AbortedError, classifyRpcError, errorSummary, retryAfterMs, retryDelayMs, sleep, withRetry } from "../chain/rpc";
import { rollbackTo } from "./rollback";
import { readCursor, storedHeaders, writeBatch, type BlockHeader, type Cursor } from "./store";
import { LruMap } from "./lru";

export interface IndexerOptions {
  confirmations: number;
  reorgWindow: number;
  pollIntervalMs: number;
  maxBlockRange: number;
  /**
   * Backfill: a transaction gathers consecutive ranges until it holds this many events (or
   * GROUP_MS of work), then commits with its cursor; default 10,000. 1 commits every range.
   */
  commitEvents?: number;
  /** Resolve run() once the tip is reached instead of following it. */
  exitAtTip?: boolean;
  /**
   * Projections kept in memory between batches (bounds memory whatever the chain length); default
   * 10,000 (about 3 KB each; a miss costs one read of the loans row and its installments).
   */
  cacheSize?: number;
}

export interface IndexerServices {
  logger: Logger;
  metrics: IndexerMetrics;
}

export interface CreateIndexerParameters {
  client: PublicClient;
  database: DatabaseHandle;
  deployment: Deployment;
  options: IndexerOptions;
  services: IndexerServices;
}

/** A reorg reached below the kept window: stop rather than guess (the data would be wrong). */
export class ReorgTooDeepError extends Error {
  override name = "ReorgTooDeepError";
}

/** The RPC serves a different chain than deployments/<network>/ was made for. */
export class ChainMismatchError extends Error {
  override name = "ChainMismatchError";
}

/**
 * A block the node reported is gone (the chain got shorter, or a node behind a load balancer lags):
 * the loop reads the head again instead of asking for the block forever.
 */
class BlockGoneError extends Error {
  override name = "BlockGoneError";
}

/**
 * What the range controller aims for per eth_getLogs answer: big enough to amortise a round trip,
 * well under providers' result caps (10,000 logs) and viem's 10 MiB response limit.
 */
const TARGET_LOGS = 5_000;
const TARGET_BYTES = 4 * 1024 * 1024;
/**
 * A range never spans more than this many targets' worth of blocks at the densest rate seen so far:
 * a sparse stretch must not grow the range into an answer too large (which the node builds in full
 * before the client refuses it, then the range is read again in parts) when dense blocks come back.
 * Two targets (8 MiB at the densest rate) stay under the 10 MiB limit; four did not (bench:indexer
 * saw several refused answers of over 10 MiB a run).
 */
const DENSITY_HEADROOM = 2;

/**
 * A backfill transaction holds consecutive ranges until it has `commitEvents` events or is this
 * old: fewer, larger commits (the index and loans pages many ranges touch are written once, each
 * loan row once), and a crash or a stop loses at most a few seconds of work.
 */
const GROUP_MS = 2_000;

/**
 * Backfill read-ahead: ranges asked for before their processing, so the node works while the
 * indexer decodes and writes (a group's commit is one long synchronous stretch on SQLite: the
 * ranges asked for before it are what the node has to do meanwhile). At most this many ranges,
 * and about this many logs by the recent density (what the answers waiting to be processed hold).
 * Most slots hold an answer already, waiting; the node works through the rest one at a time.
 * Measured on bench:indexer's chain (SQLite, ~140 logs a range): 16 ranges 18.4-19.4 s, 32 ranges
 * 18.0 s, 48 ranges 17.5-17.8 s; 32 keeps the requests a provider sees at once moderate.
 */
const READ_AHEAD = 32;
const READ_AHEAD_LOGS = 20_000;

/**
 * A range of at most this many blocks, at a recent density of at least this many logs a block,
 * has the headers of all its blocks asked for with its logs (see prefetchHeaders). Measured on
 * bench:indexer's chain: the indexer waited 1-2 s at each sparse-to-dense boundary for the
 * headers of the last sparse range, queued behind the dense ranges read ahead.
 */
const PREFETCH_HEADERS_BLOCKS = 32;
const PREFETCH_HEADERS_DENSITY = 0.5;

/**
 * Sparse stretches (between PREFETCH_HEADERS_DENSITY and this many logs a block, recently) are
 * read ahead in spans of SPARSE_SPAN blocks, whose eth_getLogs ranges are sized by the gas their
 * blocks used (fetchSpan) rather than capped by the densest blocks seen so far: on bench:indexer's
 * chain the cap held such stretches (one log a block) to 8-block ranges, several times the node's
 * work per block of a wider range.
 */
const SPARSE_LOGS_PER_BLOCK = 4;
const SPARSE_SPAN = 64;
/** Gas of a range's blocks, at most: its eth_getLogs answer stays under 8 MiB (under a byte a gas). */
const GAS_BUDGET = 8 * 1024 * 1024;
/** A span stops once its blocks used this much gas (it was not as sparse as the recent blocks). */
const SPAN_GAS = 2 * GAS_BUDGET;

interface Lane {
  /** Last block to read ahead (the target). */
  limit: number;
  /** Ranges asked for, in order, each starting where the previous one ends. */
  slots: Slot[];
  /** First block after the last slot. */
  next: number;
}

/** A range asked for ahead of its processing, and its answer (undefined once its lane is dropped). */
interface Slot {
  from: number;
  to: number;
  /** A sparse span (fetchSpan): it stops early where the blocks turn dense. */
  span: boolean;
  /** Set when the lane no longer wants the slot: a span not started yet asks for no logs. */
  dropped: boolean;
  fetched: Promise<FetchedRange | undefined>;
}

/** A block header as read from the node: what the store keeps, and the gas the block used. */
interface ChainHeader extends BlockHeader {
  gasUsed: number;
}

/** A range's logs and the headers it needs, read ahead of its processing. */
interface FetchedRange {
  from: number;
  to: number;
  logs: Log[];
  headers: BlockHeader[];
  /** The head the range was read at (which decides the unfinalised window's headers it has). */
  head: number;
}

/** The process's memory for the progress logs: resident, V8 heap in use, and outside the heap (MB). */
function memoryMb(): { rssMb: number; heapMb: number; externalMb: number } {
  const m = process.memoryUsage();
  return { rssMb: Math.round(m.rss / 2 ** 20), heapMb: Math.round(m.heapUsed / 2 ** 20), externalMb: Math.round((m.external + m.arrayBuffers) / 2 ** 20) };
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
  } as Log;
}

/** The most logs one block holds in `logs` (in chain order). */
function mostLogsInABlock(logs: readonly Log[]): number {
  let most = 0;
  for (let i = 0, run = 0; i < logs.length; i++) {
    run = i > 0 && logs[i].blockNumber === logs[i - 1].blockNumber ? run + 1 : 1;
    if (run > most) most = run;
  }
  return most;
}

/** Approximate size of a log in an eth_getLogs answer (JSON), for the range controller. */
const logBytes = (l: Log) => 360 + l.data.length + 69 * l.topics.length;

/**
 * Creates the indexer: backfill from the deployments' start blocks with adaptive eth_getLogs
 * ranges, then follow the tip; each range commits in one transaction with its cursor; reorgs
 * within the window roll back and re-ingest. `run()` resolves when stopped (or at the tip with
 * exitAtTip) and rejects on a fatal error.
 */
export function createIndexer({ client, database, deployment, options, services }: CreateIndexerParameters) {
  const { logger, metrics } = services;
  const { db } = database;
  const decode = createDecoder({ loanLedger: deployment.loanLedger.address, collectionLog: deployment.collectionLog.address });
  const addresses: Address[] = [deployment.loanLedger.address, deployment.collectionLog.address];
  const startBlock = Number(
    deployment.loanLedger.startBlock < deployment.collectionLog.startBlock ? deployment.loanLedger.startBlock : deployment.collectionLog.startBlock,
  );
  const policies = new Map<number, Policy>();
  const projections = new LruMap<number, LoanProjection>(options.cacheSize ?? 10_000);
  let stopped = false;
  // Start small and let the controller grow it (a first guess too large costs the node a huge answer).
  let range = Math.min(16, options.maxBlockRange);
  /** Logs per block in recent answers (a moving average), to size the read-ahead. */
  let logsPerBlock = 0;
  /** Most logs, and most bytes of logs, seen in one block so far (the range controller's worst case). */
  let densest = { logs: 0, bytes: 0 };
  /**
   * Backfill read-ahead: ranges read in sequence (each starts where the previous one's logs ended)
   * while earlier ones are processed, up to the target (`limit`).
   */
  let lane: Lane | undefined;
  /** The group whose transaction is in flight (PostgreSQL backfill), with the projections it writes. */
  let inFlight: { promise: Promise<void>; loans: ReadonlyMap<number, LoanProjection> } | undefined;
  /**
   * Ranges applied but not written yet (backfill): one batch from the database's cursor (`from`) to
   * `next`, with the headers to store, event counts for the metrics, and when it was started.
   */
  let pending:
    | { batch: Batch; from: Cursor; next: Cursor; keepFrom: number; stored: BlockHeader[]; counts: Map<string, number>; started: number }
    | undefined;
  let indexedEvents = 0;

  const aborted = () => stopped;
  const retry = <T>(method: string, fn: () => Promise<T>) =>
    withRetry(fn, {
      aborted,
      onRetry: (err, attempt, delay) => {
        metrics.retries.inc({ method, reason: classifyRpcError(err) });
        logger.warn({ method, attempt, delayMs: Math.round(delay), err: errorSummary(err) }, "rpc call failed, retrying");
      },
    });

  async function header(blockNumber: number): Promise<ChainHeader> {
    // The raw call (batched by the transport): five fields are needed, not viem's formatting of all of them.
    const b = await retry("eth_getBlockByNumber", () => client.request({ method: "eth_getBlockByNumber", params: [numberToHex(blockNumber), false] }));
    if (!b || !b.hash) throw new BlockGoneError(`block ${blockNumber} is not on the node's chain`);
    return { number: Number(b.number), hash: b.hash, parentHash: b.parentHash, timestamp: Number(b.timestamp), gasUsed: Number(b.gasUsed) };
  }

  /** Blocks a range may span at the densest rate seen, by the targets (0: nothing seen yet). */
  function densityCap(headroom: number): number {
    if (densest.logs === 0) return 0;
    return Math.max(1, Math.floor(headroom * Math.min(TARGET_LOGS / densest.logs, TARGET_BYTES / densest.bytes)));
  }

  /**
   * eth_getLogs over [from, to], splitting the range on errors (a range too large goes straight down
   * to what the densest blocks seen allow, when that is less than half); returns the logs and the end
   * actually covered. Rate limiting waits (Retry-After) without splitting.
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
        return { logs: raw.map(toLog), to: end };
      } catch (err) {
        if (stopped) throw new AbortedError("stopped");
        const kind = classifyRpcError(err);
        const retryAfter = retryAfterMs(err);
        if (retryAfter === undefined) failures++;
        metrics.retries.inc({ method: "eth_getLogs", reason: kind });
        if ((kind === "range-too-large" || failures >= 2) && end > from) {
          const half = Math.floor((end - from) / 2);
          const safe = kind === "range-too-large" ? densityCap(1) : 0;
          end = from + (safe > 0 && safe - 1 < half ? safe - 1 : half);
          range = Math.max(1, end - from + 1);
          failures = 0;
          metrics.splits.inc();
          logger.warn({ from, to: end, err: errorSummary(err) }, "eth_getLogs failed, splitting the range");
        } else {
          const delay = retryDelayMs(err, failures);
          logger.warn({ from, to: end, attempt: failures, err: errorSummary(err) }, "eth_getLogs failed, retrying");
          await sleep(delay);
        }
      }
    }
  }

  /**
   * Sizes the next range from the answer just read: proportional to the targets (by log count and
   * by bytes), at most double, and within the density cap.
   */
  function adaptRange(blocks: number, truncated: boolean, logs: readonly Log[]): void {
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
    range = Math.max(1, Math.min(options.maxBlockRange, next));
  }

  /**
   * Reads the range from `from` (as far as the controller's range and `maxTo` allow): its logs, and
   * the headers it needs — every block of the unfinalised window (hash chain) when near the tip,
   * else the blocks with logs, the first block (to check it extends the cursor block: a reorg while
   * the indexer was stopped or behind shows here, however far the head has moved on since) and the
   * range end.
   */
  async function fetchRange(from: number, maxTo: number, head: number, withFirst: boolean): Promise<FetchedRange> {
    const asked = Math.min(from + range - 1, maxTo);
    const early = prefetchHeaders(from, asked);
    const fetched = await fetchLogs(from, asked);
    adaptRange(fetched.to - from + 1, fetched.to === maxTo && fetched.to === asked, fetched.logs);
    return withHeaders(from, fetched, head, withFirst, early);
  }

  /**
   * The headers of a short range where most blocks have logs, asked for together with its logs
   * rather than after them: asked after, they would queue at the node behind every read-ahead range
   * asked meanwhile (at a sparse-to-dense boundary, seconds of dense answers) while the indexer
   * waits for this range. Undefined when the range is long or mostly empty (then only the blocks
   * with logs are asked for, once they are known).
   */
  function prefetchHeaders(from: number, to: number): Map<number, Promise<ChainHeader>> | undefined {
    if (to - from + 1 > PREFETCH_HEADERS_BLOCKS || logsPerBlock < PREFETCH_HEADERS_DENSITY) return undefined;
    return askHeaders(from, to);
  }

  /** Asks for the headers of blocks [from, to] now; each one's error is seen where it is awaited. */
  function askHeaders(from: number, to: number): Map<number, Promise<ChainHeader>> {
    const early = new Map<number, Promise<ChainHeader>>();
    for (let n = from; n <= to; n++) {
      const p = header(n);
      p.catch(() => undefined); // seen by whoever needs the block; else not needed
      early.set(n, p);
    }
    return early;
  }

  async function withHeaders(
    from: number,
    fetched: { logs: Log[]; to: number },
    head: number,
    withFirst: boolean,
    early?: ReadonlyMap<number, Promise<BlockHeader>>,
  ): Promise<FetchedRange> {
    const to = fetched.to;
    const logs = fetched.logs.filter((l) => !l.removed);
    const wanted = new Set<number>();
    for (const l of logs) wanted.add(Number(l.blockNumber));
    wanted.add(to);
    if (withFirst) wanted.add(from);
    if (to > head - options.reorgWindow) for (let n = Math.max(from, head - options.reorgWindow + 1); n <= to; n++) wanted.add(n);
    const headers = await Promise.all([...wanted].sort((a, b) => a - b).map((n) => early?.get(n) ?? header(n)));
    return { from, to, logs, headers, head };
  }

  /**
   * A read-ahead slot: the range [from, from + range - 1] (within the lane's limit), asked for now.
   * Slots are planned from the range size known when they start, not from the previous answer,
   * so the node always has the next ranges to work on while the indexer is busy writing.
   */
  function slotAt(owner: Lane, from: number, head: number, upTo = owner.limit): Slot {
    const sparse = range < SPARSE_SPAN && logsPerBlock >= PREFETCH_HEADERS_DENSITY && logsPerBlock <= SPARSE_LOGS_PER_BLOCK;
    const to = Math.min(from + (sparse ? Math.min(SPARSE_SPAN, options.maxBlockRange) : range) - 1, upTo);
    const slot: Slot = { from, to, span: sparse, dropped: false, fetched: Promise.resolve(undefined) };
    if (stopped || lane !== owner) return slot;
    if (sparse) slot.fetched = fetchSpan(slot, head);
    else {
      const early = prefetchHeaders(from, to);
      slot.fetched = fetchLogs(from, to).then((r) => {
        adaptRange(r.to - from + 1, r.to === to && to === upTo, r.logs);
        return withHeaders(from, r, head, true, early);
      });
    }
    // Awaited (and an error seen) by the range's ingest, or dropped with the lane.
    slot.fetched.catch(() => undefined);
    return slot;
  }

  /**
   * A sparse span: the headers of all its blocks first (needed anyway: most blocks have a log),
   * then its logs in ranges sized by the gas those blocks used — an eth_getLogs answer holds under
   * a byte per unit of gas its blocks' LOG opcodes used, so a range within GAS_BUDGET cannot be
   * refused as too large, however dense the blocks seen before. The ranges are asked for together.
   * The span ends early, as a split answer does, where its blocks have used more than SPAN_GAS
   * (dense blocks ahead: the lane is planned again from there, at the usual range). Undefined if
   * the lane dropped the slot before its logs were asked for.
   */
  async function fetchSpan(slot: Slot, head: number): Promise<FetchedRange | undefined> {
    const { from, to } = slot;
    const early = askHeaders(from, to);
    const headers = await Promise.all(early.values()); // in block order (inserted so)
    if (slot.dropped || stopped) return undefined;
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
    adaptRange(covered - from + 1, false, logs);
    return withHeaders(from, { logs, to: covered }, head, true, early);
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
          logsPerBlock = Math.max(logsPerBlock, mostLogsInABlock(got.logs));
          logger.debug({ from: got.to + 1, dropped: slot.to - got.to }, "a sparse span met dense blocks; read-ahead planned again from there");
        } else if (got.to < slot.to) {
          // An answer split short of its slot: the rest of the slot is read next.
          lane.slots.unshift(slotAt(lane, got.to + 1, head, slot.to));
        }
        topUp(lane, head);
      } else dropLane();
    }
    if (!got) {
      got = await fetchRange(from, target, head, withFirst);
      if (got.to < limit) {
        const fresh: Lane = { limit, slots: [], next: got.to + 1 };
        lane = fresh;
        topUp(fresh, head);
      }
    }
    return got;
  }

  /** Asks for ranges up to the read-ahead bounds (ranges, expected logs) or the lane's limit. */
  function topUp(owner: Lane, head: number): void {
    let next = owner.slots.length ? owner.slots[owner.slots.length - 1].to + 1 : owner.next;
    let expected = 0;
    for (const s of owner.slots) expected += (s.to - s.from + 1) * logsPerBlock;
    while (owner.slots.length < READ_AHEAD && (owner.slots.length === 0 || expected < READ_AHEAD_LOGS) && next <= owner.limit) {
      const slot = slotAt(owner, next, head);
      owner.slots.push(slot);
      expected += (slot.to - slot.from + 1) * logsPerBlock;
      next = slot.to + 1;
    }
    owner.next = next;
  }

  /**
   * The projections (as of the range start) of the loans the logs touch that were registered
   * before this range: from the cache, the rest from the database. Returned in a map of their own,
   * so a range touching more loans than the cache holds never loses one to eviction. Also puts in
   * the policy cache the policies the range's registrations use (published in an earlier range:
   * after a restart or a rollback the cache no longer has them).
   */
  async function preload(logs: DecodedLog[], group: Batch): Promise<Map<number, LoanProjection>> {
    const registered = new Set<number>();
    const touched = new Map<number, LoanProjection>();
    const needed = new Set<number>();
    const publishedHere = new Set<number>();
    const policyIds = new Set<number>();
    for (const l of logs) {
      if (l.eventName === "PolicySet") publishedHere.add(l.args.policyId);
      else if (l.eventName === "LoanRegistered" && !publishedHere.has(l.args.policyId) && !policies.has(l.args.policyId)) policyIds.add(l.args.policyId);
      const id = loanIdOf(l);
      // A loan the group already changed is read from the group (applyLogs looks there first).
      if (id === undefined || touched.has(id) || needed.has(id) || group.loans.has(id)) continue;
      if (l.eventName === "LoanRegistered") registered.add(id);
      else if (!registered.has(id)) {
        // The range being written (PostgreSQL backfill) is ahead of the database: its projections first.
        const cached = inFlight?.loans.get(id) ?? projections.get(id);
        if (cached) touched.set(id, cached);
        else needed.add(id);
      }
    }
    if (policyIds.size) for (const [id, p] of await loadPolicies(db, [...policyIds])) policies.set(id, p);
    if (needed.size) for (const [id, p] of await loadProjections(db, [...needed], policies)) touched.set(id, p);
    return touched;
  }

  /**
   * Detects a reorg at the cursor and rolls back to the fork; returns the new cursor, or undefined
   * when the cursor block is still on the chain. A head below the cursor is a reorg onto a shorter
   * branch only if the newest stored block at or below the head changed; otherwise the node may
   * just lag behind, and the indexer waits.
   */
  async function checkReorg(cursor: Cursor, head: number): Promise<Cursor | undefined> {
    await flushWrite(); // the stored headers and the rollback work on what is committed
    if (cursor.blockNumber <= head && (await header(cursor.blockNumber)).hash === cursor.blockHash) return undefined;
    const stored = await storedHeaders(db, cursor.blockNumber - options.reorgWindow);
    if (cursor.blockNumber > head) {
      const below = stored.find((h) => h.number <= head);
      if (!below || (await header(below.number)).hash === below.hash) return undefined;
    }
    let fork: { number: number; hash: string; timestamp: number } | undefined;
    for (const h of stored) {
      if (h.number >= cursor.blockNumber || h.number > head) continue;
      if ((await header(h.number)).hash === h.hash) {
        fork = h;
        break;
      }
    }
    if (!fork) {
      if (cursor.blockNumber - (startBlock - 1) > options.reorgWindow) {
        throw new ReorgTooDeepError(
          `reorg below the kept window: block ${cursor.blockNumber} changed and none of the last ${options.reorgWindow} stored blocks matches the chain; stopping (re-index from scratch or raise --reorg-window)`,
        );
      }
      fork = { number: startBlock - 1, hash: "", timestamp: 0 };
    }
    logger.warn({ at: cursor.blockNumber, fork: fork.number, depth: cursor.blockNumber - fork.number }, "reorg detected, rolling back");
    const affected = await rollbackTo(db, fork, deployment.chainId, decode, policies, cursor);
    projections.clear();
    policies.clear(); // may hold a policy published on the abandoned branch
    metrics.reorgs.inc();
    logger.info({ fork: fork.number, loans: affected.length }, "rolled back");
    return { chainId: deployment.chainId, blockNumber: fork.number, blockHash: fork.hash, blockTimestamp: fork.timestamp };
  }

  async function ingest(cursor: Cursor, head: number, target: number): Promise<Cursor | undefined> {
    const from = cursor.blockNumber + 1;
    const { to, logs, headers } = await rangeFrom(from, head, target, !!cursor.blockHash);
    const decoded = logs.map(decode);
    const nearTip = to > head - options.reorgWindow;
    const byNumber = new Map(headers.map((h) => [h.number, h]));
    // The logs and the headers must come from one chain; otherwise a reorg raced us: redo the range.
    for (const l of decoded) {
      if (byNumber.get(l.blockNumber)!.hash !== l.blockHash) {
        logger.warn({ block: l.blockNumber }, "logs and headers disagree (reorg in progress), retrying the range");
        return cursor;
      }
    }
    if (nearTip) {
      for (let i = 1; i < headers.length; i++) {
        if (headers[i].number === headers[i - 1].number + 1 && headers[i].parentHash !== headers[i - 1].hash) return cursor;
      }
    }
    const first = headers[0];
    if (cursor.blockHash && first.number === from && first.parentHash !== cursor.blockHash) {
      // Parent-hash mismatch with what we indexed: the chain reorganised below us.
      return (await checkReorg(cursor, head)) ?? cursor;
    }
    const group = pending ?? { batch: emptyBatch(), from: cursor, stored: [] as BlockHeader[], counts: new Map<string, number>(), started: Date.now() };
    const touched = await preload(decoded, group.batch);
    const timestamps = new Map(headers.map((h) => [h.number, h.timestamp]));
    const ctx: HandlerContext = {
      chainId: deployment.chainId,
      loan: (id) => touched.get(id),
      policy: (id) => policies.get(id),
      setPolicy: (id, p) => policies.set(id, p),
    };
    try {
      applyLogs(group.batch, decoded, timestamps, ctx);
    } catch (err) {
      // The group is half applied: none of it is written (run() stops on this error).
      pending = undefined;
      projections.clear();
      throw err;
    }
    for (const l of decoded) {
      const key = `${l.contract}\u0000${l.eventName}`;
      group.counts.set(key, (group.counts.get(key) ?? 0) + 1);
    }
    const end = byNumber.get(to)!;
    const next: Cursor = { chainId: deployment.chainId, blockNumber: to, blockHash: end.hash, blockTimestamp: end.timestamp };
    for (const h of nearTip ? headers.filter((h) => h.number > head - options.reorgWindow) : [end]) group.stored.push(h);
    pending = { ...group, next, keepFrom: head - options.reorgWindow };
    // Backfill groups consecutive ranges into one transaction (fewer, larger commits: a page that
    // many ranges touch is written once). Near the tip a range commits at once when it reaches the
    // target or nothing read ahead follows it (so rows of a new block are queryable at once).
    const more = lane !== undefined && lane.slots.length > 0 && to < target;
    if ((nearTip && !more) || group.batch.events >= (options.commitEvents ?? 10_000) || Date.now() - group.started >= GROUP_MS) await writePending(nearTip);
    return next;
  }

  /**
   * Starts the write of the pending group (after the write in flight, so writes land in order: the
   * previous one's transaction moves the cursor this one starts from). On PostgreSQL during
   * backfill it stays in flight while the next ranges are decoded and applied (the projections are
   * already this group's); otherwise it completes before this returns.
   */
  async function writePending(wait: boolean): Promise<void> {
    const group = pending;
    if (!group) return;
    pending = undefined;
    await flushInFlight();
    const { batch, stored, next, keepFrom, from, counts } = group;
    const promise = writeBatch(db, batch, stored, next, keepFrom, from, (id) => projections.peek(id)).then(
      () => {
        for (const [key, n] of counts) {
          const [contract, event] = key.split("\u0000");
          metrics.events.inc({ contract, event }, n);
        }
        indexedEvents += batch.events;
        metrics.indexed.set(next.blockNumber);
      },
      (err: unknown) => {
        projections.clear();
        policies.clear();
        throw err;
      },
    );
    promise.catch(() => undefined); // seen by flushInFlight
    for (const [id, p] of batch.loans) projections.set(id, p);
    inFlight = { promise, loans: batch.loans };
    if (database.dialect !== "postgres" || wait) await flushInFlight();
  }

  /** Waits for the write in flight, if any (its error, if it failed). */
  async function flushInFlight(): Promise<void> {
    const writing = inFlight;
    inFlight = undefined;
    if (writing) await writing.promise;
  }

  /** Writes everything applied so far: the pending group, then waits for it. */
  async function flushWrite(): Promise<void> {
    await writePending(true);
    await flushInFlight();
  }

  const GONE = Symbol("block gone");

  /** Runs `fn`; if a block it needed left the node's chain, waits a poll interval and says so. */
  async function unlessBlockGone<T>(fn: () => Promise<T>): Promise<T | typeof GONE> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof BlockGoneError)) throw err;
      logger.warn({ err: err.message }, "a block left the chain (reorg in progress, or a lagging node); reading the head again");
      await sleep(options.pollIntervalMs);
      return GONE;
    }
  }

  async function run(): Promise<void> {
    const chainId = await retry("eth_chainId", () => client.getChainId());
    if (chainId !== deployment.chainId) {
      throw new ChainMismatchError(`the RPC serves chain ${chainId} but deployments/${deployment.network} is for chain ${deployment.chainId}`);
    }
    let cursor: Cursor = (await readCursor(db)) ?? { chainId, blockNumber: startBlock - 1, blockHash: "", blockTimestamp: 0 };
    // SQLite: the WAL is checkpointed on a worker thread, off this one (src/db/checkpointer.ts); an
    // in-memory database has no WAL. Each group commits tens of MB: without the worker, this
    // connection checkpoints every ~40 MB rather than every 4 MB.
    let checkpointer: Checkpointer | undefined;
    if (database.dialect === "sqlite") {
      if (database.location === ":memory:") await sql`pragma wal_autocheckpoint = ${sql.raw(String(AUTOCHECKPOINT_PAGES))}`.execute(db);
      else {
        checkpointer = await startCheckpointer(db, database.location, (err) =>
          logger.warn({ err: errorSummary(err) }, "the WAL checkpoint worker failed; this connection checkpoints by itself again"),
        );
      }
    }
    logger.info({ db: database.location, from: cursor.blockNumber + 1, network: deployment.network }, "indexer starting");
    const started = Date.now();
    let lastProgress = { at: Date.now(), block: cursor.blockNumber, events: indexedEvents };
    let caughtUp = false;
    let known: { head: number; at: number } | undefined;
    try {
      while (!stopped) {
        // Far below the tip, a head read within the last second will do (a round trip less per range).
        const reuse = known !== undefined && cursor.blockNumber < known.head - options.confirmations - options.reorgWindow && Date.now() - known.at < 1_000;
        const head = reuse ? known!.head : Number(await retry("eth_blockNumber", () => client.getBlockNumber({ cacheTime: 0 })));
        if (!reuse) known = { head, at: Date.now() };
        const target = head - options.confirmations;
        metrics.head.set(head);
        metrics.lag.set(Math.max(0, head - cursor.blockNumber));
        // At the target, the cursor block is checked against the chain (a reorg, or a shorter
        // branch). Below it, the next range's first block is checked instead (its parent must be
        // the cursor block), without a flush and a round trip per range.
        if (cursor.blockHash && cursor.blockNumber >= target && head - cursor.blockNumber <= options.reorgWindow) {
          const at = cursor;
          const rolled = await unlessBlockGone(() => checkReorg(at, head));
          if (rolled === GONE) continue;
          if (rolled) cursor = rolled;
        }
        if (cursor.blockNumber >= target) {
          await flushWrite();
          if (!caughtUp) {
            caughtUp = true;
            logger.info({ block: cursor.blockNumber, events: indexedEvents, seconds: (Date.now() - started) / 1000 }, "caught up with the tip");
          }
          if (options.exitAtTip) break;
          await sleep(options.pollIntervalMs);
          continue;
        }
        const from = cursor;
        const next = await unlessBlockGone(() => ingest(from, head, target));
        if (next === GONE) continue;
        cursor = next ?? cursor;
        metrics.lag.set(Math.max(0, head - cursor.blockNumber));
        const now = Date.now();
        if (now - lastProgress.at >= 5_000) {
          const secs = (now - lastProgress.at) / 1000;
          const blocksPerSec = (cursor.blockNumber - lastProgress.block) / secs;
          logger.info(
            {
              block: cursor.blockNumber,
              target,
              blocksLeft: target - cursor.blockNumber,
              eventsPerSec: Math.round((indexedEvents - lastProgress.events) / secs),
              etaSec: blocksPerSec > 0 ? Math.round((target - cursor.blockNumber) / blocksPerSec) : null,
              range,
              ...memoryMb(),
            },
            "backfill progress",
          );
          lastProgress = { at: now, block: cursor.blockNumber, events: indexedEvents };
        }
      }
      await flushWrite();
    } catch (err) {
      // A write still in flight finishes (or fails) before run() settles: the caller closes the database next.
      await flushWrite().catch(() => undefined);
      if (err instanceof AbortedError) return;
      throw err;
    } finally {
      await checkpointer?.stop();
    }
    logger.info({ block: cursor.blockNumber, seconds: (Date.now() - started) / 1000 }, "indexer stopped");
  }

  return {
    run,
    stop() {
      stopped = true;
    },
  };
}

export type Indexer = ReturnType<typeof createIndexer>;
