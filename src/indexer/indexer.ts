import type { Logger } from "pino";
import type { Address, Log, PublicClient } from "viem";
import type { DatabaseHandle } from "../db/connect";
import type { Deployment } from "../chain/deployments";
import type { Policy } from "../domain";
import { createDecoder, type DecodedLog } from "./decode";
import { applyLogs, emptyBatch, loanIdOf, type HandlerContext } from "./handlers";
import type { IndexerMetrics } from "./metrics";
import { applyToProjection, registerProjection, type LoanProjection } from "./projection";
import { AbortedError, classifyRpcError, errorSummary, sleep, withRetry } from "./rpc";
import { loadPolicies, loadProjections, readCursor, rollbackTo, storedHeaders, writeBatch, type BlockHeader, type Cursor } from "./store";
import { LruMap } from "./lru";

export interface IndexerOptions {
  confirmations: number;
  reorgWindow: number;
  pollIntervalMs: number;
  maxBlockRange: number;
  /** Resolve run() once the tip is reached instead of following it. */
  exitAtTip?: boolean;
  /** Projections kept in memory between batches (bounds memory whatever the chain length). */
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

/** Logs per range the controller aims for: big enough to amortise a round trip, below response limits. */
const TARGET_LOGS = 20_000;

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
  const projections = new LruMap<number, LoanProjection>(options.cacheSize ?? 20_000);
  let stopped = false;
  let range = Math.min(1_000, options.maxBlockRange);
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

  async function header(blockNumber: number): Promise<BlockHeader> {
    const b = await retry("eth_getBlockByNumber", () => client.getBlock({ blockNumber: BigInt(blockNumber) }));
    return { number: Number(b.number), hash: b.hash, parentHash: b.parentHash, timestamp: Number(b.timestamp) };
  }

  /** eth_getLogs over [from, to], splitting the range on errors; returns the logs and the end actually covered. */
  async function fetchLogs(from: number, to: number): Promise<{ logs: Log[]; to: number }> {
    let end = to;
    let failures = 0;
    for (;;) {
      try {
        const logs = await client.getLogs({ address: addresses, fromBlock: BigInt(from), toBlock: BigInt(end) });
        return { logs, to: end };
      } catch (err) {
        if (stopped) throw new AbortedError("stopped");
        const kind = classifyRpcError(err);
        failures++;
        metrics.retries.inc({ method: "eth_getLogs", reason: kind });
        if ((kind === "range-too-large" || failures >= 2) && end > from) {
          end = from + Math.floor((end - from) / 2);
          range = Math.max(1, end - from + 1);
          failures = 0;
          metrics.splits.inc();
          logger.warn({ from, to: end, err: errorSummary(err) }, "eth_getLogs failed, splitting the range");
        } else {
          const delay = Math.min(10_000, 100 * 2 ** Math.min(failures, 10));
          logger.warn({ from, to: end, attempt: failures, err: errorSummary(err) }, "eth_getLogs failed, retrying");
          await sleep(delay);
        }
      }
    }
  }

  /** Loan projections the logs touch that were registered before this range. */
  async function preload(logs: DecodedLog[]): Promise<void> {
    const registered = new Set<number>();
    const needed = new Set<number>();
    for (const l of logs) {
      const id = loanIdOf(l);
      if (id === undefined) continue;
      if (l.eventName === "LoanRegistered") registered.add(id);
      else if (!registered.has(id) && !projections.has(id)) needed.add(id);
    }
    if (needed.size) for (const [id, p] of await loadProjections(db, [...needed], policies)) projections.set(id, p);
  }

  /** Rebuilds projections by folding each loan's remaining events (after a rollback). */
  async function rebuild(trx: Parameters<Parameters<typeof rollbackTo>[3]>[0], loanIds: number[]): Promise<LoanProjection[]> {
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
        topics: JSON.parse(r.topics),
        data: r.data as `0x${string}`,
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

  /** Detects a reorg at the cursor and rolls back to the fork. Returns true if it rolled back. */
  async function checkReorg(cursor: Cursor): Promise<Cursor | undefined> {
    const current = await header(cursor.blockNumber);
    if (current.hash === cursor.blockHash) return undefined;
    const stored = await storedHeaders(db, cursor.blockNumber - options.reorgWindow);
    let fork: { number: number; hash: string; timestamp: number } | undefined;
    for (const h of stored) {
      if (h.number >= cursor.blockNumber) continue;
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
    const affected = await rollbackTo(db, fork, deployment.chainId, rebuild, policies);
    projections.clear();
    metrics.reorgs.inc();
    logger.info({ fork: fork.number, loans: affected.length }, "rolled back");
    return { chainId: deployment.chainId, blockNumber: fork.number, blockHash: fork.hash, blockTimestamp: fork.timestamp };
  }

  async function ingest(cursor: Cursor, head: number, target: number): Promise<Cursor | undefined> {
    const from = cursor.blockNumber + 1;
    const fetched = await fetchLogs(from, Math.min(from + range - 1, target));
    const to = fetched.to;
    const logs = fetched.logs.filter((l) => !l.removed);
    const decoded = logs.map(decode);
    const nearTip = to > head - options.reorgWindow;
    // Headers: every block of the unfinalised window (hash chain), else the blocks with logs and the range end.
    const wanted = new Set<number>(decoded.map((l) => l.blockNumber));
    wanted.add(to);
    if (nearTip) for (let n = Math.max(from, head - options.reorgWindow + 1); n <= to; n++) wanted.add(n);
    const headers = await Promise.all([...wanted].sort((a, b) => a - b).map(header));
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
      const first = headers[0];
      if (first.number === from && cursor.blockHash && first.parentHash !== cursor.blockHash) {
        // Parent-hash mismatch with what we indexed: the chain reorganised below us.
        return (await checkReorg(cursor)) ?? cursor;
      }
    }
    await preload(decoded);
    const timestamps = new Map(headers.map((h) => [h.number, h.timestamp]));
    const batch = emptyBatch();
    const ctx: HandlerContext = {
      chainId: deployment.chainId,
      loan: (id) => projections.get(id),
      policy: (id) => policies.get(id),
      setPolicy: (id, p) => policies.set(id, p),
    };
    try {
      applyLogs(batch, decoded, timestamps, ctx);
    } catch (err) {
      projections.clear();
      throw err;
    }
    const end = byNumber.get(to)!;
    const next: Cursor = { chainId: deployment.chainId, blockNumber: to, blockHash: end.hash, blockTimestamp: end.timestamp };
    const stored = nearTip ? headers.filter((h) => h.number > head - options.reorgWindow) : [end];
    try {
      await writeBatch(db, batch, stored, next, head - options.reorgWindow, policies);
    } catch (err) {
      projections.clear();
      policies.clear();
      throw err;
    }
    for (const [id, p] of batch.loans) projections.set(id, p);
    for (const l of decoded) metrics.events.inc({ contract: l.contract, event: l.eventName });
    indexedEvents += decoded.length;
    if (logs.length < TARGET_LOGS / 2 && range < options.maxBlockRange) range = Math.min(options.maxBlockRange, range * 2);
    else if (logs.length > TARGET_LOGS * 2) range = Math.max(1, Math.floor(range / 2));
    return next;
  }

  async function run(): Promise<void> {
    const chainId = await retry("eth_chainId", () => client.getChainId());
    if (chainId !== deployment.chainId) {
      throw new ChainMismatchError(`the RPC serves chain ${chainId} but deployments/${deployment.network} is for chain ${deployment.chainId}`);
    }
    let cursor: Cursor = (await readCursor(db)) ?? { chainId, blockNumber: startBlock - 1, blockHash: "", blockTimestamp: 0 };
    logger.info({ db: database.location, from: cursor.blockNumber + 1, network: deployment.network }, "indexer starting");
    const started = Date.now();
    let lastProgress = { at: Date.now(), block: cursor.blockNumber, events: indexedEvents };
    let caughtUp = false;
    try {
      while (!stopped) {
        const head = Number(await retry("eth_blockNumber", () => client.getBlockNumber({ cacheTime: 0 })));
        const target = head - options.confirmations;
        metrics.head.set(head);
        metrics.lag.set(Math.max(0, head - cursor.blockNumber));
        if (cursor.blockHash && head - cursor.blockNumber <= options.reorgWindow) {
          const rolled = await checkReorg(cursor);
          if (rolled) cursor = rolled;
        }
        if (cursor.blockNumber >= target) {
          if (!caughtUp) {
            caughtUp = true;
            logger.info({ block: cursor.blockNumber, events: indexedEvents, seconds: (Date.now() - started) / 1000 }, "caught up with the tip");
          }
          if (options.exitAtTip) break;
          await sleep(options.pollIntervalMs);
          continue;
        }
        cursor = (await ingest(cursor, head, target)) ?? cursor;
        metrics.indexed.set(cursor.blockNumber);
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
            },
            "backfill progress",
          );
          lastProgress = { at: now, block: cursor.blockNumber, events: indexedEvents };
        }
      }
    } catch (err) {
      if (err instanceof AbortedError) return;
      throw err;
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
