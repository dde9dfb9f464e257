import { decodeEventLog, toEventSelector, type AbiEvent, type Address, type DecodeEventLogReturnType, type Hex, type Log } from "viem";
import { collectionLogAbi, loanLedgerAbi } from "../chain/abis";
import { compileEvent, type FastEventDecoder } from "./abi-fast";

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

/** A log Duetrail emitted that does not decode with the compiled ABIs (a deployment mismatch). */
export class UndecodableLogError extends Error {
  override name = "UndecodableLogError";
}

/** Decodes logs from the two deployed contracts; events of other contracts' ABIs (e.g. OZ Paused) included. */
export function createDecoder(addresses: { loanLedger: Address; collectionLog: Address }) {
  const byAddress = new Map<string, { contract: "LoanLedger" | "CollectionLog"; events: Map<Hex, AbiEvent>; fast: Map<Hex, FastEventDecoder | undefined> }>();
  for (const [contract, address, abi] of [
    ["LoanLedger", addresses.loanLedger, loanLedgerAbi],
    ["CollectionLog", addresses.collectionLog, collectionLogAbi],
  ] as const) {
    const events = new Map<Hex, AbiEvent>();
    const fast = new Map<Hex, FastEventDecoder | undefined>();
    for (const item of abi) {
      if (item.type !== "event") continue;
      const selector = toEventSelector(item as AbiEvent);
      events.set(selector, item as AbiEvent);
      fast.set(selector, compileEvent(item as AbiEvent));
    }
    byAddress.set(address.toLowerCase(), { contract, events, fast });
  }
  return function decode(log: Log): DecodedLog {
    const entry = byAddress.get(log.address.toLowerCase());
    const item = entry?.events.get(log.topics[0] as Hex);
    if (!entry || !item || log.blockNumber === null || log.logIndex === null) {
      throw new UndecodableLogError(`log ${log.blockNumber}:${log.logIndex} of ${log.address} does not match the compiled ABIs`);
    }
    let decoded: { eventName: string; args: unknown } | undefined;
    const fast = entry.fast.get(log.topics[0] as Hex);
    if (fast) {
      try {
        decoded = fast(log.topics, log.data);
      } catch {
        decoded = undefined; // viem's decoder below reports what is wrong
      }
    }
    decoded ??= decodeEventLog({ abi: [item], topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true });
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

/** JSON for display: bigints as decimal strings. */
export function argsJson(args: unknown): string {
  return JSON.stringify(args ?? {}, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

/**
 * Decodes a stored log's arguments with its contract's compiled ABI (no address needed): the JSON
 * the timeline and the stream serve, as argsJson writes it (bigints as decimal strings).
 */
export function createArgsDecoder(): (contract: "LoanLedger" | "CollectionLog", topics: readonly Hex[], data: Hex) => Record<string, unknown> {
  const byContract = new Map<string, Map<Hex, { item: AbiEvent; fast: FastEventDecoder | undefined }>>();
  for (const [contract, abi] of [
    ["LoanLedger", loanLedgerAbi],
    ["CollectionLog", collectionLogAbi],
  ] as const) {
    const events = new Map<Hex, { item: AbiEvent; fast: FastEventDecoder | undefined }>();
    for (const item of abi) if (item.type === "event") events.set(toEventSelector(item as AbiEvent), { item: item as AbiEvent, fast: compileEvent(item as AbiEvent) });
    byContract.set(contract, events);
  }
  return (contract, topics, data) => {
    const entry = byContract.get(contract)?.get(topics[0]);
    if (!entry) throw new UndecodableLogError(`a ${contract} log with topic ${topics[0]} does not match the compiled ABIs`);
    let decoded: { args: unknown } | undefined;
    if (entry.fast) {
      try {
        decoded = entry.fast(topics, data);
      } catch {
        decoded = undefined; // viem's decoder below reports what is wrong
      }
    }
    decoded ??= decodeEventLog({ abi: [entry.item], topics: topics as [Hex, ...Hex[]], data, strict: true });
    return JSON.parse(argsJson(decoded.args)) as Record<string, unknown>;
  };
}
