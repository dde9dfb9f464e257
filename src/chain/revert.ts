/**
 * Turns a failed contract call or transaction into one line naming the custom error and its
 * arguments: `LoanLedgerOverpayment(loanId: 1, excess: 500)`. viem decodes the revert data with
 * the ABI of the contract called; a revert bubbling up from the other contract (CollectionLog
 * calls LoanLedger) is decoded with that contract's ABI here.
 */
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Abi, type Hex } from "viem";
import { collectionLogAbi, loanLedgerAbi } from "./abis";

const ABIS: readonly Abi[] = [loanLedgerAbi, collectionLogAbi];

type AbiError = Extract<Abi[number], { type: "error" }>;

/** A decoded custom error: its name, arguments by name (bigints kept) and a one-line rendering. */
export interface DecodedRevert {
  errorName: string;
  args: Record<string, unknown>;
  /** `Name(arg: value, ...)`, or the revert reason string / panic description. */
  text: string;
}

function render(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map(render).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${k}: ${render(v)}`).join(", ")}}`;
  }
  return String(value);
}

function fromAbiItem(abiItem: AbiError, args: readonly unknown[] | undefined): DecodedRevert {
  const named: Record<string, unknown> = {};
  abiItem.inputs.forEach((input, k) => (named[input.name || String(k)] = args?.[k]));
  const text = `${abiItem.name}(${Object.entries(named).map(([k, v]) => `${k}: ${render(v)}`).join(", ")})`;
  return { errorName: abiItem.name, args: named, text };
}

function decodeRaw(data: Hex): DecodedRevert | undefined {
  for (const abi of ABIS) {
    try {
      const r = decodeErrorResult({ abi, data });
      if (r.abiItem && r.abiItem.type === "error") return fromAbiItem(r.abiItem as AbiError, r.args as readonly unknown[] | undefined);
    } catch {
      // Not an error of this ABI: try the next one.
    }
  }
  return undefined;
}

/**
 * The custom error behind `err`, when `err` (or its cause chain) is a contract revert.
 * `undefined` when it is something else (network failure, bad key, ...).
 */
export function decodeRevert(err: unknown): DecodedRevert | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  const d = reverted.data;
  if (d && d.abiItem && d.errorName !== "Error" && d.errorName !== "Panic") {
    return fromAbiItem(d.abiItem as AbiError, d.args as readonly unknown[] | undefined);
  }
  if (reverted.reason) return { errorName: d?.errorName ?? "Error", args: {}, text: reverted.reason };
  if (reverted.raw) {
    const decoded = decodeRaw(reverted.raw);
    if (decoded) return decoded;
    return { errorName: "unknown", args: {}, text: `unknown error ${reverted.raw.slice(0, 10)}` };
  }
  return { errorName: "unknown", args: {}, text: "reverted without data" };
}
