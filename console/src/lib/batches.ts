/**
 * A loan's batch leaves checked in the browser: each inclusion proof against its batch's root with
 * src/domain/merkle.ts (OpenZeppelin StandardMerkleTree, as CollectionLog.verifyBatchAction), and,
 * through the auditor's RPC URL, each root against CollectionLog.batchRoot. No DOM here.
 */
import { createPublicClient, http, type Address, type Hex } from "viem";
import { collectionLogAbi } from "../../../src/chain/abis";
import { verifyBatchProof } from "../../../src/domain/merkle";
import { ChainReadError } from "./trail";

/** A leaf as GET /v1/loans/{loanId}/evidence lists it in a batch membership. */
export interface ListedLeaf {
  seq: string;
  collector: string;
  channel: { code: number };
  kind: { code: number };
  outcome: number;
  occurredAt: string;
  evidenceHash: string;
  proof: string[];
}

/** Whether `leaf` (an action of `loanId`) is proven under `root`. */
export function leafProven(loanId: string, root: string, leaf: ListedLeaf): boolean {
  const action = {
    loanId: BigInt(loanId),
    seq: BigInt(leaf.seq),
    collector: leaf.collector as Address,
    channel: leaf.channel.code,
    kind: leaf.kind.code,
    outcome: leaf.outcome,
    occurredAt: BigInt(leaf.occurredAt),
    evidenceHash: leaf.evidenceHash as Hex,
  };
  return verifyBatchProof(root as Hex, action, leaf.proof as Hex[]);
}

/**
 * CollectionLog.batchRoot of each batch id at `block`, read through `rpcUrl` (lowercased; zero for no such batch).
 * @throws ChainReadError when the node cannot be read.
 */
export async function readBatchRoots(rpcUrl: string, collectionLog: Address, batchIds: readonly number[], block: number): Promise<Map<number, Hex>> {
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: 15_000 }) });
  try {
    const roots = await Promise.all(
      batchIds.map((id) => client.readContract({ address: collectionLog, abi: collectionLogAbi, functionName: "batchRoot", args: [BigInt(id)], blockNumber: BigInt(block) })),
    );
    return new Map(batchIds.map((id, k) => [id, roots[k]!.toLowerCase() as Hex]));
  } catch (err) {
    const e = err as { shortMessage?: string; message?: string };
    throw new ChainReadError(`CollectionLog.batchRoot at block ${block} through ${rpcUrl}: ${String(e.shortMessage ?? e.message ?? err).split("\n")[0]}`);
  }
}
