/**
 * Sending a collector's action to CollectionLog:
 * - relayed, signed: the collector signs the action (EIP-712 RecordAction, src/chain/typed-data.ts)
 *   and the API's relayer (services/relayer.ts) submits `recordActionBySig`; the trail names the
 *   collector, checked against its on-chain assignment;
 * - relayed as itself: a service account that is itself the relayer (and assigned on chain) has
 *   `recordAction` sent with its own key;
 * - unsigned: the `recordAction` transaction for the collector's own wallet.
 */
import { BaseError, ContractFunctionRevertedError, encodeFunctionData, type Address, type Hex } from "viem";
import { collectionLogAbi } from "../../chain/abis";
import { recordActionTypedData, type RecordActionTypedData } from "../../chain/typed-data";
import type { ApiServices } from "../context";
import { ActionRefusedError, ConflictError, InvalidRequestError, RelayRevertedError, UnavailableError } from "./errors";
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

/** The collector's signature of an action, with what it signed beyond the action. */
export interface ActionSignature {
  signature: Hex;
  deadline: bigint;
  nonce: bigint;
}

/** The RecordAction typed data of `a` for `collector`. */
export function actionTypedData(chain: Chain, collector: Address, a: ActionArgs, nonce: bigint, deadline: bigint): RecordActionTypedData {
  return recordActionTypedData({
    chainId: chain.deployment.chainId,
    collectionLog: chain.deployment.collectionLog.address,
    action: { loanId: BigInt(a.loanId), channel: a.channel, kind: a.kind, outcome: a.outcome, occurredAt: BigInt(a.occurredAt), evidenceHash: a.evidenceHash },
    collector,
    nonce,
    deadline,
  });
}

/** The collector's current CollectionLog nonce (what its next signature must carry). */
export async function collectorNonce(chain: Chain, collector: Address): Promise<bigint> {
  try {
    return await chain.client.readContract({ address: chain.deployment.collectionLog.address, abi: collectionLogAbi, functionName: "nonces", args: [collector] });
  } catch (err) {
    throw new UnavailableError(`cannot reach the chain: ${(err instanceof BaseError ? err.shortMessage : (err as Error).message).split("\n")[0]}`);
  }
}

/** JSON form of typed data for eth_signTypedData_v4: integers as decimal strings, with the EIP712Domain type. */
export function typedDataJson(td: RecordActionTypedData) {
  return {
    domain: td.domain as { name: string; version: string; chainId: number; verifyingContract: string },
    types: {
      EIP712Domain: [
        { name: "name", type: "string" },
        { name: "version", type: "string" },
        { name: "chainId", type: "uint256" },
        { name: "verifyingContract", type: "address" },
      ],
      ...Object.fromEntries(Object.entries(td.types).map(([k, fields]) => [k, fields.map((f) => ({ name: f.name, type: f.type }))])),
    },
    primaryType: td.primaryType,
    message: Object.fromEntries(Object.entries(td.message).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : (v as string | number)])),
  };
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

/** Gas of `fn`'s call as the relayer; a revert is the contract's refusal (422). */
async function estimate(run: () => Promise<bigint>): Promise<bigint> {
  try {
    return await run();
  } catch (err) {
    const r = revertOf(err);
    if (r) throw refused(r);
    throw new UnavailableError(`relaying failed: ${(err instanceof BaseError ? err.shortMessage : (err as Error).message).split("\n")[0]}`);
  }
}

/**
 * Relays an action the caller signed: the signature must be the caller's over this action, the
 * nonce it states and the deadline (checked here, EOA or ERC-1271, so a wrong one is a 400 rather
 * than a failed transaction); then `recordActionBySig` goes through the relayer's nonce queue and
 * waits up to `waitMs` for inclusion. The relayer need not be assigned: the trail names the signer.
 */
export async function relaySignedAction(
  chain: Chain,
  relayer: Relayer,
  caller: Address,
  a: ActionArgs,
  sig: ActionSignature,
  opts: { waitMs: number; idempotencyKey?: string },
): Promise<StoredResponse> {
  const current = await collectorNonce(chain, caller);
  if (sig.nonce !== current) {
    throw new ConflictError(`the signature is for nonce ${sig.nonce}, and ${caller}'s next nonce on CollectionLog is ${current}: sign the typed data again (POST .../actions/typed-data)`);
  }
  const typed = actionTypedData(chain, caller, a, sig.nonce, sig.deadline);
  const ok = await chain.client.verifyTypedData({ address: caller, ...typed, signature: sig.signature }).catch(() => false);
  if (!ok) {
    throw new InvalidRequestError("the signature is not the caller's over this action, nonce and deadline", [
      { path: "body.signature", message: `not ${caller}'s EIP-712 RecordAction signature of these fields` },
    ]);
  }
  const address = chain.deployment.collectionLog.address;
  const args = [{ loanId: BigInt(a.loanId), channel: a.channel, kind: a.kind, outcome: a.outcome, occurredAt: BigInt(a.occurredAt), evidenceHash: a.evidenceHash }, caller, sig.deadline, sig.signature] as const;
  const gas = await estimate(() => chain.client.estimateContractGas({ account: relayer.address, address, abi: collectionLogAbi, functionName: "recordActionBySig", args }));
  const data = encodeFunctionData({ abi: collectionLogAbi, functionName: "recordActionBySig", args });
  const txHash = await relayer.submit({ caller, loanId: a.loanId, data, gas, idempotencyKey: opts.idempotencyKey });
  return relayResponse(await relayer.await(txHash, opts.waitMs));
}

/**
 * Relays the relayer's own action (a service account that is itself the relayer): it must be
 * assigned on chain, where it records as itself; simulated, then sent through the nonce queue.
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
    throw new ConflictError(`the relayer ${relayer.address} is not assigned to loan ${a.loanId}, and an unsigned relayed action is recorded as the relayer's: ask the lender to assign it, or sign the action`);
  }
  const data = encodeFunctionData({ abi: collectionLogAbi, functionName: "recordAction", args: argsOf(a) });
  const gas = await estimate(() => chain.client.estimateContractGas({ account: relayer.address, address, abi: collectionLogAbi, functionName: "recordAction", args: argsOf(a) }));
  const txHash = await relayer.submit({ caller, loanId: a.loanId, data, gas, idempotencyKey: opts.idempotencyKey });
  return relayResponse(await relayer.await(txHash, opts.waitMs));
}
