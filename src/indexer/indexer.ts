import type { Logger } from "pino";
import { sql } from "kysely";
import type { Address } from "viem";
import { createDecoder } from "../chain/decode";
import { AbortedError, classifyRpcError, errorSummary, sleep, withRetry } from "../chain/rpc";
import { AUTOCHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from "../db/checkpointer";
import type { DatabaseHandle } from "../db/connect";
import { deferIndexes, restoreIndexes, shouldDefer } from "../db/deferred-indexes";
import { BlockGoneError, ChainMismatchError } from "./errors";
import { createFetcher, type Retry } from "./historical/fetch";
import { createRangePlanner } from "./historical/range";
import { createReadAhead } from "./historical/read-ahead";
import { createIngest, PARENT_MISMATCH } from "./ingest";
import { createLoanCache } from "./loan-cache";
import type { CreateIndexerParameters } from "./options";
import { createTip, type Fork } from "./realtime/tip";
import { pollingOnly, subscribeHeads } from "./realtime/heads";
import { rollbackTo } from "./rollback";
import { readCursor, storedHeaders, type Cursor } from "./store";
import { createWritePipeline } from "./write-pipeline";

export { ChainMismatchError, ReorgTooDeepError } from "./errors";
export type { CreateIndexerParameters, IndexerOptions, IndexerServices } from "./options";

/** The process's memory for the progress logs: resident, V8 heap in use, and outside the heap (MB). */
function memoryMb(): { rssMb: number; heapMb: number; externalMb: number } {
  const m = process.memoryUsage();
  return { rssMb: Math.round(m.rss / 2 ** 20), heapMb: Math.round(m.heapUsed / 2 ** 20), externalMb: Math.round((m.external + m.arrayBuffers) / 2 ** 20) };
}

/**
 * SQLite: the WAL is checkpointed on a worker thread, off this one (src/db/checkpointer.ts); an
 * in-memory database has no WAL. Each group commits tens of MB: without the worker, this
 * connection checkpoints every ~40 MB rather than every 4 MB.
 */
async function startWalCheckpoints(database: DatabaseHandle, logger: Logger): Promise<Checkpointer | undefined> {
  if (database.dialect !== "sqlite") return undefined;
  if (database.location === ":memory:") {
    await sql`pragma wal_autocheckpoint = ${sql.raw(String(AUTOCHECKPOINT_PAGES))}`.execute(database.db);
    return undefined;
  }
  return startCheckpointer(database.db, database.location, (err) =>
    logger.warn({ err: errorSummary(err) }, "the WAL checkpoint worker failed; this connection checkpoints by itself again"),
  );
}

/**
 * Creates the indexer: backfill from the deployments' start blocks with adaptive eth_getLogs
 * ranges read ahead (historical/), then follow the tip (realtime/tip.ts); ranges are applied in
 * memory (ingest.ts) and committed in groups with their cursor (write-pipeline.ts); reorgs within
 * the window roll back and re-ingest (rollback.ts). `run()` resolves when stopped (or at the tip
 * with exitAtTip) and rejects on a fatal error.
 */
export function createIndexer({ client, database, deployment, options, services }: CreateIndexerParameters) {
  const { logger, metrics } = services;
  const { db } = database;
  const decode = createDecoder({ loanLedger: deployment.loanLedger.address, collectionLog: deployment.collectionLog.address });
  const addresses: Address[] = [deployment.loanLedger.address, deployment.collectionLog.address];
  const startBlock = Number(
    deployment.loanLedger.startBlock < deployment.collectionLog.startBlock ? deployment.loanLedger.startBlock : deployment.collectionLog.startBlock,
  );
  let stopped = false;
  const isStopped = () => stopped;
  /** Ends the wait at the tip (set by run()). */
  let interruptWait = () => {};
  const retry: Retry = (method, fn) =>
    withRetry(fn, {
      aborted: isStopped,
      onRetry: (err, attempt, delay) => {
        metrics.retries.inc({ method, reason: classifyRpcError(err) });
        logger.warn({ method, attempt, delayMs: Math.round(delay), err: errorSummary(err) }, "rpc call failed, retrying");
      },
    });

  const cache = createLoanCache(options.cacheSize ?? 10_000);
  const planner = createRangePlanner(options);
  const fetcher = createFetcher({ client, addresses, planner, options, services, retry, stopped: isStopped });
  const readAhead = createReadAhead({ fetcher, planner, options, logger, stopped: isStopped });
  const writes = createWritePipeline({ database, cache, metrics, commitEvents: options.commitEvents });
  const ingest = createIngest({ db, chainId: deployment.chainId, decode, readAhead, writes, cache, options, services });
  const tip = createTip({
    readHead: async () => Number(await retry("eth_blockNumber", () => client.getBlockNumber({ cacheTime: 0 }))),
    header: fetcher.header,
    storedHeaders: (from) => storedHeaders(db, from),
    settle: writes.flush,
    startBlock,
    options,
  });

  /** Rolls the database back to `fork`; returns the cursor there. */
  async function rollBack(cursor: Cursor, fork: Fork): Promise<Cursor> {
    logger.warn({ at: cursor.blockNumber, fork: fork.number, depth: cursor.blockNumber - fork.number }, "reorg detected, rolling back");
    const affected = await rollbackTo(db, fork, deployment.chainId, decode, cache.policies, cursor);
    cache.clear(); // the policies may hold one published on the abandoned branch
    metrics.reorgs.inc();
    logger.info({ fork: fork.number, loans: affected.length }, "rolled back");
    return { chainId: deployment.chainId, blockNumber: fork.number, blockHash: fork.hash, blockTimestamp: fork.timestamp };
  }

  /**
   * A backfill far behind the head leaves the API-only indexes out while it writes
   * (src/db/deferred-indexes.ts). They are made again when it first reaches the tip, or when it
   * stops before; so are any an earlier run, killed on the way, left out.
   */
  async function deferIfFarBehind(cursor: Cursor): Promise<void> {
    const head = Number(await retry("eth_blockNumber", () => client.getBlockNumber({ cacheTime: 0 })));
    if (!shouldDefer(cursor.blockNumber - startBlock + 1, head - cursor.blockNumber)) return;
    const names = await deferIndexes(db, database.dialect);
    if (names.length) logger.info({ indexes: names, blocksBehind: head - cursor.blockNumber }, "indexes deferred until the backfill reaches the tip");
  }

  /** Makes the deferred indexes again, if any. */
  async function makeDeferredIndexes(): Promise<void> {
    const t0 = Date.now();
    const names = await restoreIndexes(db, database.dialect, (indexes) => logger.info({ indexes }, "making the deferred indexes"));
    if (names.length) logger.info({ indexes: names, seconds: (Date.now() - t0) / 1000 }, "deferred indexes made");
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

  /**
   * Ingests the range after `cursor`; on a parent-hash mismatch, rolls back if the chain
   * reorganised; on blocks of the range that do not link, says so and reads again after a poll
   * interval.
   */
  async function advance(cursor: Cursor, head: number, target: number): Promise<Cursor> {
    const next = await ingest(cursor, head, target);
    if (next === PARENT_MISMATCH) return afterParentMismatch(cursor, head);
    if ("kind" in next) {
      // A reorg under way as the range was read (the next reading sees one chain), or a node that
      // contradicts itself (then the cursor stays, and this is said at every reading).
      logger.warn(
        { block: next.block, parentHash: next.parentHash, previous: next.block - 1, previousHash: next.previousHash, indexed: cursor.blockNumber },
        "two consecutive blocks the node gave do not link (a reorg under way, or a node that contradicts itself); reading the range again after a poll interval",
      );
      await sleep(options.pollIntervalMs);
      return cursor;
    }
    return next;
  }

  /** The range's first block does not extend the cursor block. */
  async function afterParentMismatch(cursor: Cursor, head: number): Promise<Cursor> {
    const fork = await tip.forkOf(cursor, head);
    if (fork) return rollBack(cursor, fork);
    // The cursor block is still on the node's chain, yet the next block does not extend it: the
    // node contradicts itself (a reorg under way behind a load balancer, or Hardhat's hardhat_mine,
    // whose blocks carry a zero parent hash). Said, and asked again a poll interval later.
    logger.warn(
      { block: cursor.blockNumber + 1, indexed: cursor.blockNumber, indexedHash: cursor.blockHash },
      "the node's next block does not name the indexed block as its parent, though the node still serves that block; reading again after a poll interval",
    );
    await sleep(options.pollIntervalMs);
    return cursor;
  }

  async function run(): Promise<void> {
    const chainId = await retry("eth_chainId", () => client.getChainId());
    if (chainId !== deployment.chainId) {
      throw new ChainMismatchError(`the RPC serves chain ${chainId} but deployments/${deployment.network} is for chain ${deployment.chainId}`);
    }
    let cursor: Cursor = (await readCursor(db)) ?? { chainId, blockNumber: startBlock - 1, blockHash: "", blockTimestamp: 0 };
    const checkpointer = await startWalCheckpoints(database, logger);
    const heads = options.rpcWsUrl ? subscribeHeads(options.rpcWsUrl, logger) : pollingOnly();
    interruptWait = () => heads.interrupt();
    logger.info({ db: database.location, from: cursor.blockNumber + 1, network: deployment.network }, "indexer starting");
    const started = Date.now();
    let lastProgress = { at: Date.now(), block: cursor.blockNumber, events: writes.written() };
    let caughtUp = false;
    try {
      await deferIfFarBehind(cursor);
      while (!stopped) {
        const at = cursor;
        const event = await unlessBlockGone(() => tip.poll(at));
        if (event === GONE) continue;
        metrics.head.set(event.head);
        metrics.lag.set(Math.max(0, event.head - cursor.blockNumber));
        if (event.type === "reorg") {
          cursor = await rollBack(cursor, event.fork);
          continue;
        }
        if (event.type === "finalize") {
          await writes.flush();
          if (!caughtUp) {
            caughtUp = true;
            await makeDeferredIndexes();
            logger.info({ block: cursor.blockNumber, events: writes.written(), seconds: (Date.now() - started) / 1000 }, "caught up with the tip");
          }
          if (options.exitAtTip) break;
          await heads.wait(options.pollIntervalMs);
          continue;
        }
        const { head, target } = event;
        const next = await unlessBlockGone(() => advance(at, head, target));
        if (next === GONE) continue;
        cursor = next;
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
              eventsPerSec: Math.round((writes.written() - lastProgress.events) / secs),
              etaSec: blocksPerSec > 0 ? Math.round((target - cursor.blockNumber) / blocksPerSec) : null,
              range: planner.range,
              ...memoryMb(),
            },
            "backfill progress",
          );
          lastProgress = { at: now, block: cursor.blockNumber, events: writes.written() };
        }
      }
      await writes.flush();
    } catch (err) {
      // A write still in flight finishes (or fails) before run() settles: the caller closes the database next.
      await writes.flush().catch(() => undefined);
      if (err instanceof AbortedError) return;
      throw err;
    } finally {
      // Stopped (or failed) before the tip: the indexes are made now, or by the next run if this fails.
      if (!caughtUp) await makeDeferredIndexes().catch((err) => logger.warn({ err: errorSummary(err) }, "the deferred indexes were not made; the next run makes them"));
      await heads.stop();
      await checkpointer?.stop();
    }
    logger.info({ block: cursor.blockNumber, seconds: (Date.now() - started) / 1000 }, "indexer stopped");
  }

  return {
    run,
    stop() {
      stopped = true;
      interruptWait();
    },
  };
}

export type Indexer = ReturnType<typeof createIndexer>;
