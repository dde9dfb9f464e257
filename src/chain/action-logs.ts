/**
 * Reads a loan's ActionRecorded events from CollectionLog over a fixed block range, in
 * eth_getLogs chunks that shrink when the node refuses or fails a range. A range is never skipped:
 * when even one block fails, the error propagates.
 */
import { getAbiItem, type Address, type Hex, type PublicClient } from "viem";
import { collectionLogAbi } from "./abis";
import type { RecordedAction } from "../domain/trail";

/** The ActionRecorded event, from the generated ABI. */
export const actionRecordedEvent = getAbiItem({ abi: collectionLogAbi, name: "ActionRecorded" });

/** An action as logged: its fields, flags and head, and where the log is. */
export interface ActionLog extends RecordedAction {
  /** Compliance flags bitmask. */
  flags: number;
  txHash: Hex;
  blockNumber: bigint;
  logIndex: number;
}

/** Parameters of {@link getActionLogs}. */
export interface GetActionLogsParameters {
  collectionLog: Address;
  /** Only this loan's actions; every loan's when absent. */
  loanId?: bigint;
  fromBlock: bigint;
  toBlock: bigint;
  /** Largest range per eth_getLogs call (default 10,000 blocks). */
  maxChunk?: bigint;
  /** Called when a range fails and is split (for logs and tests). */
  onShrink?: (fromBlock: bigint, toBlock: bigint, error: unknown) => void;
}

/** The part of a viem public client this module uses. */
export type ActionLogsClient = Pick<PublicClient, "getLogs">;

/**
 * Every ActionRecorded log of `loanId` (of every loan when absent) in [fromBlock, toBlock], sorted by (block, log index).
 * Chunks start at `maxChunk` blocks; a failed chunk is halved and retried, down to one block,
 * then grows back (doubling) after each success.
 * @throws the node's error when a single-block range fails.
 */
export async function getActionLogs(client: ActionLogsClient, p: GetActionLogsParameters): Promise<ActionLog[]> {
  const maxChunk = p.maxChunk ?? 10_000n;
  if (maxChunk < 1n) throw new RangeError("maxChunk must be at least 1");
  const out: ActionLog[] = [];
  let chunk = maxChunk;
  let from = p.fromBlock;
  while (from <= p.toBlock) {
    const to = from + chunk - 1n < p.toBlock ? from + chunk - 1n : p.toBlock;
    let logs;
    try {
      logs = await client.getLogs({
        address: p.collectionLog,
        event: actionRecordedEvent,
        args: p.loanId === undefined ? undefined : { loanId: p.loanId },
        fromBlock: from,
        toBlock: to,
        strict: true,
      });
    } catch (err) {
      if (to === from) throw err;
      p.onShrink?.(from, to, err);
      chunk = (to - from + 1n) / 2n;
      continue;
    }
    for (const log of logs) {
      const a = log.args;
      out.push({
        loanId: a.loanId,
        seq: a.seq,
        collector: a.collector,
        channel: a.channel,
        kind: a.kind,
        outcome: a.outcome,
        occurredAt: a.occurredAt,
        evidenceHash: a.evidenceHash,
        flags: a.flags,
        head: a.head,
        txHash: log.transactionHash,
        blockNumber: log.blockNumber,
        logIndex: log.logIndex,
      });
    }
    from = to + 1n;
    chunk = chunk * 2n > maxChunk ? maxChunk : chunk * 2n;
  }
  return out.sort((x, y) => (x.blockNumber === y.blockNumber ? x.logIndex - y.logIndex : x.blockNumber < y.blockNumber ? -1 : 1));
}
