/**
 * Sending a collector's action to CollectionLog.recordAction: relayed with the API's relayer
 * (services/relayer.ts), or as an unsigned transaction for the collector's own wallet. On chain,
 * msg.sender is who records: a relayed action is attributed to the relayer, which must itself be
 * assigned to the loan (the contract refuses anyone else).
 */
import { BaseError, ContractFunctionRevertedError, encodeFunctionData, type Address, type Hex } from "viem";
import { collectionLogAbi } from "../../chain/abis";
import type { ApiServices } from "../context";
import { ApiError, ConflictError, UnavailableError } from "../errors";
import type { StoredResponse } from "./idempotency";
import type { Relayer, RelayStatus } from "./relayer";

export interface ActionArgs {
  loanId: number;
  channel: number;
  kind: number;
  outcome: number;
  occurredAt: number;
  evidenceHash: Hex;
}

type Chain = NonNullable<ApiServices["chain"]>;

const argsOf = (a: ActionArgs) => [BigInt(a.loanId), a.channel, a.kind, a.outcome, BigInt(a.occurredAt), a.evidenceHash] as const;

/** The contract refused the action (a stale or future occurredAt, ...): 422 with the custom error. */
export class ActionRefusedError extends ApiError {
  constructor(errorName: string, args: readonly unknown[]) {
    super(422, "Unprocessable Content", `CollectionLog refused the action: ${errorName}`, {
      revert: { error: errorName, args: args.map((v) => (typeof v === "bigint" ? v.toString() : v)) },
    });
  }
}

/** The relayed transaction was included but reverted (the chain changed since the simulation): 422. */
export class RelayRevertedError extends ApiError {
  constructor(txHash: Hex, blockNumber: number | null) {
    super(422, "Unprocessable Content", `the relayed transaction ${txHash} reverted on chain (the loan changed after the check); nothing was recorded`, { txHash, blockNumber });
  }
}

/** The custom error of a reverted call, if that is what `err` is. */
function revertOf(err: unknown): ContractFunctionRevertedError | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const r = err.walk((e) => e instanceof ContractFunctionRevertedError);
  return r instanceof ContractFunctionRevertedError ? r : undefined;
}

function refused(err: ContractFunctionRevertedError): ActionRefusedError {
  return new ActionRefusedError(err.data?.errorName ?? err.reason ?? "revert", (err.data?.args as readonly unknown[] | undefined) ?? []);
}

/** The unsigned recordAction transaction for `from`'s own wallet. */
export function unsignedAction(chain: Chain, from: Address, a: ActionArgs) {
  return {
    to: chain.deployment.collectionLog.address,
    data: encodeFunctionData({ abi: collectionLogAbi, functionName: "recordAction", args: argsOf(a) }),
    chainId: chain.deployment.chainId,
    from,
  };
}

/**
 * Pre-flight of an unsigned action as `from` (eth_call): a revert is a 422 now rather than a
 * failed transaction later. Best effort: without a reachable node it passes.
 */
export async function preflight(chain: Chain, from: Address, a: ActionArgs): Promise<void> {
  try {
    await chain.client.simulateContract({ account: from, address: chain.deployment.collectionLog.address, abi: collectionLogAbi, functionName: "recordAction", args: argsOf(a) });
  } catch (err) {
    const r = revertOf(err);
    if (r) throw refused(r);
  }
}

/** The answer to a relayed action in `status`: 201 included, 202 pending (poll GET /v1/relays/{txHash}). */
export function relayResponse(s: RelayStatus): StoredResponse {
  if (s.state === "included") return { status: 201, body: { mode: "relayed" as const, status: "included" as const, txHash: s.txHash, blockNumber: s.blockNumber } };
  if (s.state === "pending") return { status: 202, body: { mode: "relayed" as const, status: "pending" as const, txHash: s.txHash, blockNumber: null } };
  if (s.state === "reverted") throw new RelayRevertedError(s.txHash, s.blockNumber);
  throw new UnavailableError(`the relayed transaction ${s.txHash} was dropped (its nonce went to another transaction); nothing was recorded: send the action again`);
}

/**
 * Relays the action with the relayer's key: checks the relayer is assigned (on chain it records
 * as itself), simulates, sends through the relayer's nonce queue and waits up to `waitMs` for
 * inclusion.
 */
export async function relayAction(chain: Chain, relayer: Relayer, caller: Address, a: ActionArgs, opts: { waitMs: number; idempotencyKey?: string }): Promise<StoredResponse> {
  const address = chain.deployment.collectionLog.address;
  let assigned: boolean;
  try {
    assigned = await chain.client.readContract({ address, abi: collectionLogAbi, functionName: "isAssigned", args: [BigInt(a.loanId), relayer.address] });
  } catch (err) {
    throw new UnavailableError(`cannot reach the chain to relay: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!assigned) {
    throw new ConflictError(`the relayer ${relayer.address} is not assigned to loan ${a.loanId}, and on chain the relayer is who records: ask the lender to assign it, or use ?mode=unsigned`);
  }
  const data = encodeFunctionData({ abi: collectionLogAbi, functionName: "recordAction", args: argsOf(a) });
  let gas: bigint;
  try {
    gas = await chain.client.estimateContractGas({ account: relayer.address, address, abi: collectionLogAbi, functionName: "recordAction", args: argsOf(a) });
  } catch (err) {
    const r = revertOf(err);
    if (r) throw refused(r);
    throw new UnavailableError(`relaying failed: ${(err instanceof BaseError ? err.shortMessage : (err as Error).message).split("\n")[0]}`);
  }
  const txHash = await relayer.submit({ caller, loanId: a.loanId, data, gas, idempotencyKey: opts.idempotencyKey });
  return relayResponse(await relayer.await(txHash, opts.waitMs));
}
