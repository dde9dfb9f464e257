/**
 * A loan's evidence trail checked in the browser, so the auditor need not trust the server: the
 * heads are recomputed with src/domain/trail.ts itself (the encoding CollectionLog uses; the same
 * module the CLI's `verify` and the API run), compared with each event's head, and, when the
 * auditor gives an RPC URL, the final head and count with CollectionLog.trailOf read through it
 * at the API's indexed block. No DOM here (a unit test imports it).
 */
import { createPublicClient, http, type Address, type Hex } from "viem";
import { collectionLogAbi } from "../../../src/chain/abis";
import { actionHash, genesisHead, nextHead, recomputeTrail, verifyTrail, type RecordedAction } from "../../../src/domain/trail";

/** An action as GET /v1/loans/{loanId}/evidence lists it (the fields the fold needs). */
export interface ListedAction {
  seq: number;
  collector: string;
  channel: { code: number };
  kind: { code: number };
  outcome: number;
  occurredAt: number;
  evidenceHash: string;
  /** The head the ActionRecorded event carried. */
  head: string;
}

/** What the trail is bound to: the chain and CollectionLog (GET /v1/chain) and the loan. */
export interface TrailBinding {
  chainId: number;
  collectionLog: Address;
  loanId: string;
}

/** The contract's `trailOf(loanId)` at a block, read by the browser itself. */
export interface ChainTrail {
  head: Hex;
  count: number;
  block: number;
  rpcUrl: string;
}

/** Why a trail is not valid: the first thing found wrong. */
export type Mismatch =
  /** Action `seq`'s recomputed head differs from its event's head: its fields were altered. */
  | { kind: "head"; seq: number; expected: Hex; got: Hex }
  /** The sequence numbers do not run 1..n (an action missing, repeated or moved), or one belongs to another loan. */
  | { kind: "sequence"; seq: number; detail: string }
  /** The chain counts a different number of actions than the server lists. */
  | { kind: "count"; chain: number; server: number }
  /** The recomputed final head differs from the chain's. */
  | { kind: "chain-head"; expected: Hex; got: Hex };

/** The verdict: which source was checked, the recomputed head and count, and the first mismatch if any. */
export interface TrailCheck {
  /** "events": the events' own heads only; "chain": also CollectionLog.trailOf through the auditor's RPC URL. */
  source: "events" | "chain";
  valid: boolean;
  count: number;
  /** head_n recomputed in the browser (head_0 when there are no actions). */
  head: Hex;
  /** The chain's trail when consulted. */
  chain: ChainTrail | null;
  mismatch: Mismatch | null;
}

/** The listed actions as the domain's RecordedAction (bigints, lowercased hex). */
export function recordedActions(loanId: string, actions: readonly ListedAction[]): RecordedAction[] {
  return actions.map((a) => ({
    loanId: BigInt(loanId),
    seq: BigInt(a.seq),
    collector: a.collector as Address,
    channel: a.channel.code,
    kind: a.kind.code,
    outcome: a.outcome,
    occurredAt: BigInt(a.occurredAt),
    evidenceHash: a.evidenceHash as Hex,
    head: a.head as Hex,
  }));
}

/** head_1..head_n recomputed from the actions as listed (what each event's head should be). */
export function recomputedHeads(b: TrailBinding, actions: readonly RecordedAction[]): Hex[] {
  let head = genesisHead(b.chainId, b.collectionLog, BigInt(b.loanId));
  return actions.map((a) => (head = nextHead(head, actionHash(a))));
}

/**
 * Checks the listed actions: the domain's recomputeTrail (or verifyTrail with the chain's trail),
 * reporting the first problem with the values that show it.
 */
export function checkTrail(b: TrailBinding, listed: readonly ListedAction[], chain: ChainTrail | null): TrailCheck {
  const actions = recordedActions(b.loanId, listed);
  const loanId = BigInt(b.loanId);
  const r = chain
    ? verifyTrail(b.chainId, b.collectionLog, loanId, actions, { head: chain.head, count: BigInt(chain.count) })
    : recomputeTrail(b.chainId, b.collectionLog, loanId, actions);
  const first = r.problems[0];
  const base = { source: chain ? ("chain" as const) : ("events" as const), count: Number(r.count), head: r.head, chain };
  if (!first) return { ...base, valid: true, mismatch: null };
  const seq = Number(first.seq);
  let mismatch: Mismatch;
  switch (first.kind) {
    case "head-mismatch":
      mismatch = { kind: "head", seq, expected: actions[seq - 1]!.head.toLowerCase() as Hex, got: recomputedHeads(b, actions)[seq - 1]! };
      break;
    case "count-differs-from-chain":
      mismatch = { kind: "count", chain: chain!.count, server: Number(r.count) };
      break;
    case "head-differs-from-chain":
      mismatch = { kind: "chain-head", expected: chain!.head.toLowerCase() as Hex, got: r.head };
      break;
    default:
      mismatch = { kind: "sequence", seq, detail: first.message };
  }
  return { ...base, valid: false, mismatch };
}

/** The RPC URL could not be used: unreachable, another chain, or no CollectionLog there at the block. */
export class ChainReadError extends Error {
  override name = "ChainReadError";
}

/**
 * CollectionLog.trailOf(loanId) at `block`, read through `rpcUrl` by the browser (viem, ABI from the
 * compiled artifacts). The node must be on the deployment's chain.
 * @throws ChainReadError when the node cannot be read or is on another chain.
 */
export async function readChainTrail(rpcUrl: string, b: TrailBinding, block: number): Promise<ChainTrail> {
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: 15_000 }) });
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (err) {
    throw new ChainReadError(`cannot reach ${rpcUrl}: ${oneLine(err)}`);
  }
  if (chainId !== b.chainId) throw new ChainReadError(`${rpcUrl} is chain ${chainId}, the API indexes chain ${b.chainId}`);
  try {
    const [head, count] = await client.readContract({ address: b.collectionLog, abi: collectionLogAbi, functionName: "trailOf", args: [BigInt(b.loanId)], blockNumber: BigInt(block) });
    return { head, count: Number(count), block, rpcUrl };
  } catch (err) {
    throw new ChainReadError(`CollectionLog.trailOf at block ${block} through ${rpcUrl}: ${oneLine(err)}`);
  }
}

function oneLine(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return String(e.shortMessage ?? e.message ?? err).split("\n")[0]!;
}
