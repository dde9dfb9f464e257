/**
 * A loan's collection trail verified from the chain alone: its ActionRecorded events recomputed
 * (src/domain/trail) and compared with the contract's trailOf, both at one block, trusting neither
 * us nor a database. What `duetrail verify` prints, what the evidence bundle carries
 * (./bundle.ts), for one loan or (verifyAllLoans) every loan that has actions.
 */
import type { Address, Hex, PublicClient } from "viem";
import { collectionLogAbi } from "../chain/abis";
import { getActionLogs, type ActionLog } from "../chain/action-logs";
import type { Deployment } from "../chain/deployments";
import { flagNames } from "../domain/compliance";
import { chainNumber } from "../domain/json-safe";
import { verifyTrail, type TrailProblem } from "../domain/trail";
import { NoCollectionLogError, NodeUnreachableError, WrongChainError } from "./errors";

/** The outcome of verifying one loan's trail at one block. */
export interface VerifyReport {
  network: string;
  chainId: number;
  collectionLog: Address;
  loanId: bigint;
  /** The block everything was read at. */
  block: bigint;
  actions: ActionLog[];
  onChainHead: Hex;
  onChainCount: bigint;
  recomputedHead: Hex;
  count: bigint;
  valid: boolean;
  problems: TrailProblem[];
}

/**
 * Reads the loan's events from the CollectionLog's deployment block to block B (`opts.block`, or
 * the latest, fixed at the start), and trailOf at B, and verifies them.
 * @throws NodeUnreachableError, WrongChainError or NoCollectionLogError (./errors): the node is unreachable, on another chain,
 *   or has no CollectionLog.
 */
export async function verifyLoan(
  client: PublicClient,
  deployment: Deployment,
  loanId: bigint,
  opts: { maxChunk?: bigint; block?: bigint } = {},
): Promise<VerifyReport> {
  const address = deployment.collectionLog.address;
  const { block, chainId } = await readAt(client, deployment, opts.block);
  const actions = await getActionLogs(client, {
    collectionLog: address,
    loanId,
    fromBlock: deployment.collectionLog.startBlock,
    toBlock: block,
    maxChunk: opts.maxChunk,
  });
  return checkTrail(client, deployment, chainId, block, loanId, actions);
}

/**
 * The block to read at (the latest unless given) and the chain id, checked against the deployment.
 * @throws NodeUnreachableError, WrongChainError or NoCollectionLogError (./errors): the node is unreachable, on another chain,
 *   or has no CollectionLog.
 */
async function readAt(client: PublicClient, deployment: Deployment, at?: bigint): Promise<{ block: bigint; chainId: number }> {
  const address = deployment.collectionLog.address;
  let block: bigint;
  let chainId: number;
  try {
    [block, chainId] = await Promise.all([at ?? client.getBlockNumber(), client.getChainId()]);
  } catch (err) {
    throw new NodeUnreachableError(err);
  }
  if (chainId !== deployment.chainId) throw new WrongChainError(chainId, deployment.network, deployment.chainId);
  const code = await client.getCode({ address, blockNumber: block });
  if (!code || code === "0x") throw new NoCollectionLogError(address, deployment.network);
  return { block, chainId };
}

/** Compares `actions` (the loan's, read up to `block`) with trailOf at `block`. */
async function checkTrail(
  client: PublicClient,
  deployment: Deployment,
  chainId: number,
  block: bigint,
  loanId: bigint,
  actions: ActionLog[],
): Promise<VerifyReport> {
  const address = deployment.collectionLog.address;
  const [onChainHead, onChainCount] = await client.readContract({
    address,
    abi: collectionLogAbi,
    functionName: "trailOf",
    args: [loanId],
    blockNumber: block,
  });
  const v = verifyTrail(chainId, address, loanId, actions, { head: onChainHead, count: BigInt(onChainCount) });
  return {
    network: deployment.network,
    chainId,
    collectionLog: address,
    loanId,
    block,
    actions,
    onChainHead,
    onChainCount: BigInt(onChainCount),
    recomputedHead: v.head,
    count: v.count,
    valid: v.valid,
    problems: v.problems,
  };
}

/** The outcome of `verify --all`: every loan with actions, at one block. */
export interface VerifyAllReport {
  network: string;
  chainId: number;
  collectionLog: Address;
  block: bigint;
  reports: VerifyReport[];
  valid: boolean;
}

/**
 * Verifies every loan that has actions: reads all ActionRecorded logs up to the latest block B
 * once, groups them by loan, and checks each group against trailOf at B.
 * @throws NodeUnreachableError, WrongChainError or NoCollectionLogError (./errors): the node is unreachable, on another chain,
 *   or has no CollectionLog.
 */
export async function verifyAllLoans(client: PublicClient, deployment: Deployment, opts: { maxChunk?: bigint } = {}): Promise<VerifyAllReport> {
  const { block, chainId } = await readAt(client, deployment);
  const actions = await getActionLogs(client, {
    collectionLog: deployment.collectionLog.address,
    fromBlock: deployment.collectionLog.startBlock,
    toBlock: block,
    maxChunk: opts.maxChunk,
  });
  const byLoan = new Map<bigint, ActionLog[]>();
  for (const a of actions) byLoan.set(a.loanId, [...(byLoan.get(a.loanId) ?? []), a]);
  const ids = [...byLoan.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const reports: VerifyReport[] = [];
  // A few reads in flight at a time: enough to be quick, few enough for a public RPC.
  for (let k = 0; k < ids.length; k += 16) {
    const batch = ids.slice(k, k + 16);
    reports.push(...(await Promise.all(batch.map((id) => checkTrail(client, deployment, chainId, block, id, byLoan.get(id)!)))));
  }
  return { network: deployment.network, chainId, collectionLog: deployment.collectionLog.address, block, reports, valid: reports.every((r) => r.valid) };
}

/** The summary `verify --all` prints: per loan its counts, heads and valid flag (no actions). */
export function verifyAllReportToJson(r: VerifyAllReport): object {
  return {
    network: r.network,
    chainId: r.chainId,
    collectionLog: r.collectionLog,
    block: chainNumber(r.block),
    valid: r.valid,
    loans: r.reports.length,
    invalid: r.reports.filter((x) => !x.valid).map((x) => x.loanId.toString()),
    results: r.reports.map((x) => ({
      loanId: x.loanId.toString(),
      valid: x.valid,
      count: x.count.toString(),
      onChainCount: x.onChainCount.toString(),
      recomputedHead: x.recomputedHead,
      onChainHead: x.onChainHead,
      problems: x.problems.map((p) => ({ kind: p.kind, seq: p.seq.toString(), message: p.message })),
    })),
  };
}

/** The JSON document `verify` prints: block numbers and times as numbers, counts and ids as decimal strings. */
export function verifyReportToJson(r: VerifyReport): object {
  return {
    loanId: r.loanId.toString(),
    network: r.network,
    chainId: r.chainId,
    collectionLog: r.collectionLog,
    block: chainNumber(r.block),
    count: r.count.toString(),
    onChainCount: r.onChainCount.toString(),
    onChainHead: r.onChainHead,
    recomputedHead: r.recomputedHead,
    valid: r.valid,
    problems: r.problems.map((p) => ({ kind: p.kind, seq: p.seq.toString(), message: p.message })),
    actions: r.actions.map((a) => ({
      loanId: a.loanId.toString(),
      seq: a.seq.toString(),
      collector: a.collector,
      channel: a.channel,
      kind: a.kind,
      outcome: a.outcome,
      occurredAt: chainNumber(a.occurredAt),
      evidenceHash: a.evidenceHash,
      flags: a.flags,
      flagNames: flagNames(a.flags),
      head: a.head,
      txHash: a.txHash,
      blockNumber: chainNumber(a.blockNumber),
      logIndex: a.logIndex,
    })),
  };
}
