/**
 * Sending a collector's action to CollectionLog.recordAction: relayed with the API's relayer key
 * (configured explicitly, RELAYER_KEY), or as an unsigned transaction for the collector's wallet.
 * On chain, msg.sender is who records: a relayed action is attributed to the relayer, which must
 * itself be assigned to the loan (the contract refuses anyone else).
 */
import { BaseError, ContractFunctionRevertedError, defineChain, encodeFunctionData, type Address, type Hex } from "viem";
import { collectionLogAbi } from "../../chain/abis";
import type { ApiServices } from "../context";
import { ApiError, ConflictError, UnavailableError } from "../errors";

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

/** Relays the action with the relayer key; resolves with the transaction hash once the node accepted it. */
export async function relayAction(chain: Chain, a: ActionArgs): Promise<Hex> {
  const relayer = chain.relayer;
  const account = relayer?.account;
  if (!relayer || !account) {
    throw new UnavailableError("no relayer key is configured (RELAYER_KEY): send the transaction from your own wallet with ?mode=unsigned");
  }
  const address = chain.deployment.collectionLog.address;
  let assigned: boolean;
  try {
    assigned = await chain.client.readContract({ address, abi: collectionLogAbi, functionName: "isAssigned", args: [BigInt(a.loanId), account.address] });
  } catch (err) {
    throw new UnavailableError(`cannot reach the chain to relay: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!assigned) {
    throw new ConflictError(`the relayer ${account.address} is not assigned to loan ${a.loanId}, and on chain the relayer is who records: ask the lender to assign it, or use ?mode=unsigned`);
  }
  try {
    const { request } = await chain.client.simulateContract({ account, address, abi: collectionLogAbi, functionName: "recordAction", args: argsOf(a) });
    const txChain = relayer.chain ?? defineChain({ id: chain.deployment.chainId, name: chain.deployment.network, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } });
    return await relayer.writeContract({ ...request, account, chain: txChain });
  } catch (err) {
    const r = revertOf(err);
    if (r) throw refused(r);
    throw new UnavailableError(`relaying failed: ${(err instanceof BaseError ? err.shortMessage : (err as Error).message).split("\n")[0]}`);
  }
}
