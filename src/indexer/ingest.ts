/**
 * Ingest of one range: its logs decoded, checked against its headers, applied to the loans'
 * projections (read from the cache, the write in flight, or the database) in the pending group,
 * which is written when due.
 */
import type { Kysely } from "kysely";
import type { Decode, DecodedLog } from "../chain/decode";
import { loadProjections, type LoanProjection } from "../db/loans";
import { loadPolicies } from "../db/policies";
import type { Database } from "../db/schema";
import { applyLogs, loanIdOf, type Batch, type HandlerContext } from "./handlers";
import type { ReadAhead } from "./historical/read-ahead";
import type { LoanCache } from "./loan-cache";
import type { IndexerOptions, IndexerServices } from "./options";
import type { Cursor } from "./store";
import type { WritePipeline } from "./write-pipeline";

/** The range's first block does not extend the cursor block: the chain reorganised below it. */
export const PARENT_MISMATCH = Symbol("parent mismatch");

/**
 * Two consecutive blocks of the range, as the node gave them, do not link: `block` names
 * `parentHash` as its parent, while the node's block before it has `previousHash`. A reorg raced
 * the reading, or the node contradicts itself; nothing of the range is applied.
 */
export interface Unlinked {
  kind: "unlinked";
  block: number;
  parentHash: string;
  previousHash: string;
}

export interface CreateIngestParameters {
  db: Kysely<Database>;
  chainId: number;
  decode: Decode;
  readAhead: Pick<ReadAhead, "rangeFrom" | "hasMore">;
  writes: WritePipeline;
  cache: LoanCache;
  options: Pick<IndexerOptions, "reorgWindow">;
  services: Pick<IndexerServices, "logger">;
}

export function createIngest({ db, chainId, decode, readAhead, writes, cache, options, services }: CreateIngestParameters) {
  const { logger } = services;
  const { projections, policies } = cache;

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
        const cached = writes.inFlightLoan(id) ?? projections.get(id);
        if (cached) touched.set(id, cached);
        else needed.add(id);
      }
    }
    if (policyIds.size) for (const [id, p] of await loadPolicies(db, [...policyIds])) policies.set(id, p);
    if (needed.size) for (const [id, p] of await loadProjections(db, [...needed], policies)) touched.set(id, p);
    return touched;
  }

  /**
   * Reads, decodes and applies the range after `cursor` (up to `target`); returns the cursor it
   * reaches, `cursor` itself when the range must be read again (logs and headers disagree: a reorg
   * raced the read), Unlinked when two of its consecutive headers do not link, or PARENT_MISMATCH.
   */
  async function ingest(cursor: Cursor, head: number, target: number): Promise<Cursor | Unlinked | typeof PARENT_MISMATCH> {
    const from = cursor.blockNumber + 1;
    const { to, logs, headers, logTimes } = await readAhead.rangeFrom(from, head, target, !!cursor.blockHash);
    const decoded = logs.map(decode);
    const nearTip = to > head - options.reorgWindow;
    const byNumber = new Map(headers.map((h) => [h.number, h]));
    // The logs and the headers must come from one chain; otherwise a reorg raced us: redo the range.
    // (A finalised block timed by its logs has no header: its logs agreed on one hash.)
    for (const l of decoded) {
      const h = byNumber.get(l.blockNumber);
      if (h ? h.hash !== l.blockHash : !logTimes.has(l.blockNumber)) {
        logger.warn({ block: l.blockNumber }, "logs and headers disagree (reorg in progress), retrying the range");
        return cursor;
      }
    }
    // Every pair of consecutive blocks the range has headers of must link, however far from the
    // tip (near it, that is every block of the unfinalised window).
    for (let i = 1; i < headers.length; i++) {
      const [previous, block] = [headers[i - 1], headers[i]];
      if (block.number === previous.number + 1 && block.parentHash !== previous.hash) {
        return { kind: "unlinked", block: block.number, parentHash: block.parentHash, previousHash: previous.hash };
      }
    }
    const first = headers[0];
    if (cursor.blockHash && first.number === from && first.parentHash !== cursor.blockHash) return PARENT_MISMATCH;
    const group = writes.group(cursor);
    const touched = await preload(decoded, group.batch);
    const timestamps = new Map(logTimes);
    for (const h of headers) timestamps.set(h.number, h.timestamp);
    const ctx: HandlerContext = {
      chainId,
      loan: (id) => touched.get(id),
      policy: (id) => policies.get(id),
      setPolicy: (id, p) => policies.set(id, p),
    };
    try {
      applyLogs(group.batch, decoded, timestamps, ctx);
    } catch (err) {
      // The group is half applied: none of it is written (run() stops on this error).
      writes.discard();
      projections.clear();
      throw err;
    }
    for (const l of decoded) {
      const key = `${l.contract}\u0000${l.eventName}`;
      group.counts.set(key, (group.counts.get(key) ?? 0) + 1);
    }
    const end = byNumber.get(to)!;
    const next: Cursor = { chainId, blockNumber: to, blockHash: end.hash, blockTimestamp: end.timestamp };
    for (const h of nearTip ? headers.filter((h) => h.number > head - options.reorgWindow) : [end]) group.stored.push(h);
    writes.stage(group, next, head - options.reorgWindow);
    // Backfill groups consecutive ranges into one transaction (fewer, larger commits: a page that
    // many ranges touch is written once). Near the tip a range commits at once when it reaches the
    // target or nothing read ahead follows it (so rows of a new block are queryable at once).
    const more = readAhead.hasMore() && to < target;
    if ((nearTip && !more) || writes.due(group)) await writes.write(nearTip);
    return next;
  }

  return ingest;
}
