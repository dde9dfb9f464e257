/**
 * Every LoanLedger and CollectionLog event of one loan, read from the chain alone: the events
 * whose first indexed argument is `loanId` (registration, repayments, reminders, penalties,
 * classification, default, charge-off, write-off, restructuring, assignments, actions, promises,
 * restrictions, disputes). One eth_getLogs filter on both addresses and topic1 = loanId, in
 * chunks that halve when the node refuses a range; a range is never skipped.
 */
import { decodeEventLog, formatLog, numberToHex, pad, type Address, type Hex, type Log, type PublicClient, type RpcLog } from "viem";
import { collectionLogAbi, loanLedgerAbi } from "./abis";

/** One decoded event of a loan and where it is on chain. */
export interface LoanEvent {
  contract: "LoanLedger" | "CollectionLog";
  eventName: string;
  /** Decoded arguments by name (viem's decoding: bigints, numbers, structs as objects). */
  args: Record<string, unknown>;
  address: Address;
  txHash: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  logIndex: number;
}

/** Parameters of {@link getLoanEvents}. */
export interface GetLoanEventsParameters {
  loanLedger: Address;
  collectionLog: Address;
  loanId: bigint;
  fromBlock: bigint;
  toBlock: bigint;
  /** Largest range per eth_getLogs call (default 10,000 blocks). */
  maxChunk?: bigint;
}

/** The part of a viem public client this module uses. */
export type LoanEventsClient = Pick<PublicClient, "request">;

function decode(log: Log, ledger: Address): LoanEvent | undefined {
  const fromLedger = log.address.toLowerCase() === ledger.toLowerCase();
  try {
    const d = decodeEventLog({ abi: fromLedger ? loanLedgerAbi : collectionLogAbi, data: log.data, topics: log.topics, strict: true });
    const args = d.args as unknown as Record<string, unknown>;
    // topic1 = loanId also matches events whose first indexed argument is something else (a batch id).
    if (!("loanId" in args)) return undefined;
    return {
      contract: fromLedger ? "LoanLedger" : "CollectionLog",
      eventName: d.eventName,
      args,
      address: log.address,
      txHash: log.transactionHash!,
      blockNumber: log.blockNumber!,
      blockHash: log.blockHash!,
      logIndex: log.logIndex!,
    };
  } catch {
    return undefined;
  }
}

/** One eth_getLogs filter: addresses and topics as the node takes them. */
export interface LogFilter {
  address: Address | Address[];
  topics: (Hex | Hex[] | null)[];
}

/**
 * Every log matching `filter` in [fromBlock, toBlock], in chunks of at most `maxChunk` blocks that
 * halve when the node refuses a range (and grow back); a range is never skipped.
 * @throws the node's error when a single-block range fails.
 */
export async function getLogsChunked(client: LoanEventsClient, filter: LogFilter, fromBlock: bigint, toBlock: bigint, maxChunk = 10_000n): Promise<Log[]> {
  const out: Log[] = [];
  let chunk = maxChunk;
  let from = fromBlock;
  while (from <= toBlock) {
    const to = from + chunk - 1n < toBlock ? from + chunk - 1n : toBlock;
    let logs: Log[];
    try {
      const raw = await client.request({ method: "eth_getLogs", params: [{ ...filter, fromBlock: numberToHex(from), toBlock: numberToHex(to) }] });
      logs = (raw as RpcLog[]).map((l) => formatLog(l));
    } catch (err) {
      if (to === from) throw err;
      chunk = (to - from + 1n) / 2n;
      continue;
    }
    out.push(...logs);
    from = to + 1n;
    chunk = chunk * 2n > maxChunk ? maxChunk : chunk * 2n;
  }
  return out;
}

/**
 * The loan's events in [fromBlock, toBlock], sorted by (block, log index).
 * @throws the node's error when a single-block range fails.
 */
export async function getLoanEvents(client: LoanEventsClient, p: GetLoanEventsParameters): Promise<LoanEvent[]> {
  const topic1 = pad(numberToHex(p.loanId), { size: 32 });
  const logs = await getLogsChunked(client, { address: [p.loanLedger, p.collectionLog], topics: [null, topic1] }, p.fromBlock, p.toBlock, p.maxChunk);
  const out: LoanEvent[] = [];
  for (const log of logs) {
    const e = decode(log, p.loanLedger);
    if (e) out.push(e);
  }
  return out.sort((x, y) => (x.blockNumber === y.blockNumber ? x.logIndex - y.logIndex : x.blockNumber < y.blockNumber ? -1 : 1));
}
