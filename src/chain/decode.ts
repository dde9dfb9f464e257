import { decodeEventLog, toEventSelector, type AbiEvent, type Address, type DecodeEventLogReturnType, type Hex, type Log } from "viem";
import { collectionLogAbi, loanLedgerAbi } from "./abis";
import { compileEvent, type FastEventDecoder } from "./abi-fast";
import { ChainError } from "./errors";

export type LedgerEvent = DecodeEventLogReturnType<typeof loanLedgerAbi>;
export type CollectionEvent = DecodeEventLogReturnType<typeof collectionLogAbi>;

interface Where {
  blockNumber: number;
  logIndex: number;
  blockHash: Hex;
  transactionHash: Hex;
  address: Address;
  topics: readonly Hex[];
  data: Hex;
}

/** A Duetrail log, decoded: a tagged union over the two contracts' events. */
export type DecodedLog =
  | ({ contract: "LoanLedger" } & LedgerEvent & Where)
  | ({ contract: "CollectionLog" } & CollectionEvent & Where);

/** A log Duetrail emitted that does not decode with the compiled ABIs (a deployment mismatch). Fatal. */
export class UndecodableLogError extends ChainError {
  override name = "UndecodableLogError";
}

/** A contract's events by topic0: the ABI item and its compiled fast decoder (when it has one). */
type EventTable = Map<Hex, { item: AbiEvent; fast: FastEventDecoder | undefined }>;

const CONTRACT_ABIS = { LoanLedger: loanLedgerAbi, CollectionLog: collectionLogAbi } as const;

function eventTable(abi: readonly { type: string }[]): EventTable {
  const events: EventTable = new Map();
  for (const item of abi) if (item.type === "event") events.set(toEventSelector(item as AbiEvent), { item: item as AbiEvent, fast: compileEvent(item as AbiEvent) });
  return events;
}

/** Decodes with the fast decoder, or viem's (which also says what is wrong with a malformed log). */
function decodeWith(entry: { item: AbiEvent; fast: FastEventDecoder | undefined }, topics: readonly Hex[], data: Hex): { eventName: string; args: unknown } {
  if (entry.fast) {
    try {
      return entry.fast(topics, data);
    } catch {
      // viem's decoder below reports what is wrong
    }
  }
  return decodeEventLog({ abi: [entry.item], topics: topics as [Hex, ...Hex[]], data, strict: true });
}

/** Decodes logs from the two deployed contracts; events of other contracts' ABIs (e.g. OZ Paused) included. */
export function createDecoder(addresses: { loanLedger: Address; collectionLog: Address }) {
  const byAddress = new Map<string, { contract: "LoanLedger" | "CollectionLog"; events: EventTable }>();
  byAddress.set(addresses.loanLedger.toLowerCase(), { contract: "LoanLedger", events: eventTable(CONTRACT_ABIS.LoanLedger) });
  byAddress.set(addresses.collectionLog.toLowerCase(), { contract: "CollectionLog", events: eventTable(CONTRACT_ABIS.CollectionLog) });
  return function decode(log: Log): DecodedLog {
    const entry = byAddress.get(log.address.toLowerCase());
    const event = entry?.events.get(log.topics[0] as Hex);
    if (!entry || !event || log.blockNumber === null || log.logIndex === null) {
      throw new UndecodableLogError(`log ${log.blockNumber}:${log.logIndex} of ${log.address} does not match the compiled ABIs`);
    }
    const decoded = decodeWith(event, log.topics, log.data);
    // Written out (no spread): V8 builds a spread-then-extended object slowly, in dictionary mode.
    return {
      contract: entry.contract,
      eventName: decoded.eventName,
      args: decoded.args,
      blockNumber: Number(log.blockNumber),
      logIndex: log.logIndex,
      blockHash: log.blockHash as Hex,
      transactionHash: log.transactionHash as Hex,
      address: log.address,
      topics: log.topics as Hex[],
      data: log.data,
    } as unknown as DecodedLog;
  };
}

/** A deployment's log decoder (createDecoder). */
export type Decode = ReturnType<typeof createDecoder>;

/** JSON for display: bigints as decimal strings. */
export function argsJson(args: unknown): string {
  return JSON.stringify(args ?? {}, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

/**
 * Decodes a stored log's arguments with its contract's compiled ABI (no address needed): the JSON
 * the timeline and the stream serve, as argsJson writes it (bigints as decimal strings).
 */
export function createArgsDecoder(): (contract: "LoanLedger" | "CollectionLog", topics: readonly Hex[], data: Hex) => Record<string, unknown> {
  const tables = { LoanLedger: eventTable(CONTRACT_ABIS.LoanLedger), CollectionLog: eventTable(CONTRACT_ABIS.CollectionLog) };
  return (contract, topics, data) => {
    const entry = tables[contract]?.get(topics[0]);
    if (!entry) throw new UndecodableLogError(`a ${contract} log with topic ${topics[0]} does not match the compiled ABIs`);
    return JSON.parse(argsJson(decodeWith(entry, topics, data).args)) as Record<string, unknown>;
  };
}
