/**
 * Recomputation of a loan's collection trail from its ActionRecorded events alone
 * (SPEC "Collection evidence rules"; encoding in ICollectionLog):
 *
 *   actionHash = keccak256(abi.encode(uint256 loanId, uint64 seq, address collector, uint8 channel,
 *                                     uint8 kind, uint16 outcome, uint64 occurredAt, bytes32 evidenceHash))
 *   head_0     = keccak256(abi.encode(uint256 chainId, address collectionLog, uint256 loanId))
 *   head_n     = keccak256(abi.encode(bytes32 head_(n-1), bytes32 actionHash_n))
 *
 * Pure: no database, no RPC. A caller fetches the events (in log order) and the on-chain
 * {@link OnChainTrail}, and compares.
 */
import { encodeAbiParameters, keccak256, type Address, type Hex } from "viem";
import { ACTION_ENCODING, actionFields, type Action } from "./collection-types";

export type { Action } from "./collection-types";

const ACTION_PARAMS = ACTION_ENCODING.map((type) => ({ type }));
const GENESIS_PARAMS = [{ type: "uint256" }, { type: "address" }, { type: "uint256" }] as const;
const LINK_PARAMS = [{ type: "bytes32" }, { type: "bytes32" }] as const;

/** An action as its ActionRecorded event reports it: the fields plus the head after it. */
export interface RecordedAction extends Action {
  /** The event's `head`: the trail head after this action. */
  head: Hex;
}

/** What {@link recomputeTrail} found wrong, with the 1-based position (`seq`) it concerns. */
export type TrailProblemKind =
  /** An action belongs to another loan. */
  | "wrong-loan"
  /** A sequence number is skipped: actions are missing before this one. */
  | "seq-gap"
  /** A sequence number appears again. */
  | "seq-duplicate"
  /** A sequence number is lower than expected but was not seen: the actions are out of order. */
  | "seq-order"
  /** The event's head differs from the recomputed head: an action's fields were altered. */
  | "head-mismatch"
  /** The recomputed head differs from the contract's trailOf head. */
  | "head-differs-from-chain"
  /** The number of actions differs from the contract's trailOf count. */
  | "count-differs-from-chain";

/** One problem found in a trail. */
export interface TrailProblem {
  kind: TrailProblemKind;
  /** The 1-based position of the first action concerned (the expected seq there). */
  seq: bigint;
  /** One line for people. */
  message: string;
}

/** The result of folding a list of actions into a head. */
export interface RecomputedTrail {
  /** head_n after folding every action as given (head_0 when there are none). */
  head: Hex;
  /** Number of actions folded. */
  count: bigint;
  /** Empty when the sequence runs 1..n and every event head matches. */
  problems: TrailProblem[];
}

/** The contract's view of a trail: `trailOf(loanId)`. */
export interface OnChainTrail {
  head: Hex;
  count: bigint;
}

/** keccak256 of the abi-encoded eight action fields (ICollectionLog's `actionHash`). */
export function actionHash(action: Action): Hex {
  return keccak256(
    encodeAbiParameters(ACTION_PARAMS, actionFields(action)),
  );
}

/** head_0 of a loan's trail: binds the trail to one chain, one CollectionLog and one loan. */
export function genesisHead(chainId: number | bigint, collectionLog: Address, loanId: bigint): Hex {
  return keccak256(encodeAbiParameters(GENESIS_PARAMS, [BigInt(chainId), collectionLog, loanId]));
}

/** head_n from head_(n-1) and actionHash_n. */
export function nextHead(head: Hex, actionHashN: Hex): Hex {
  return keccak256(encodeAbiParameters(LINK_PARAMS, [head, actionHashN]));
}

/**
 * Folds `actions` (in log order) into the loan's head and checks them: every action is for
 * `loanId`, the sequence numbers run 1..n with no gap, duplicate or reordering, and when an
 * action carries its event's `head`, that head equals the recomputed one. Only the first
 * sequence problem and the first head mismatch are reported: everything after them follows.
 * The fold uses the actions as given, so a tampered list yields a head that differs from
 * the contract's.
 */
export function recomputeTrail(
  chainId: number | bigint,
  collectionLog: Address,
  loanId: bigint,
  actions: readonly (Action | RecordedAction)[],
): RecomputedTrail {
  const problems: TrailProblem[] = [];
  const seen = new Set<bigint>();
  let head = genesisHead(chainId, collectionLog, loanId);
  let seqProblem = false;
  let headProblem = false;
  let wrongLoan = false;
  actions.forEach((action, i) => {
    const expected = BigInt(i + 1);
    if (action.loanId !== loanId && !wrongLoan) {
      wrongLoan = true;
      problems.push({ kind: "wrong-loan", seq: expected, message: `action ${expected} is for loan ${action.loanId}, not ${loanId}` });
    }
    if (action.seq !== expected && !seqProblem) {
      seqProblem = true;
      problems.push(seqMismatch(expected, action.seq, seen));
    }
    seen.add(action.seq);
    head = nextHead(head, actionHash(action));
    if ("head" in action && action.head !== undefined && !headProblem && action.head.toLowerCase() !== head) {
      headProblem = true;
      problems.push({
        kind: "head-mismatch",
        seq: expected,
        message: `head of action ${expected} is ${action.head}, recomputed ${head}`,
      });
    }
  });
  return { head, count: BigInt(actions.length), problems };
}

function seqMismatch(expected: bigint, actual: bigint, seen: ReadonlySet<bigint>): TrailProblem {
  if (actual > expected) {
    return { kind: "seq-gap", seq: expected, message: `expected seq ${expected}, found ${actual}: actions ${expected}..${actual - 1n} missing or moved` };
  }
  if (seen.has(actual)) {
    return { kind: "seq-duplicate", seq: expected, message: `expected seq ${expected}, found ${actual} again` };
  }
  return { kind: "seq-order", seq: expected, message: `expected seq ${expected}, found ${actual}: actions out of order` };
}

/** A trail recomputed from events and compared with the contract. */
export interface VerifiedTrail extends RecomputedTrail {
  /** No problems, and the recomputed head and count equal the contract's. */
  valid: boolean;
}

/**
 * {@link recomputeTrail}, then the comparison with the contract's `trailOf` at the same block:
 * a dropped last action leaves every event consistent, and only this comparison reveals it.
 */
export function verifyTrail(
  chainId: number | bigint,
  collectionLog: Address,
  loanId: bigint,
  actions: readonly (Action | RecordedAction)[],
  onChain: OnChainTrail,
): VerifiedTrail {
  const r = recomputeTrail(chainId, collectionLog, loanId, actions);
  const problems = [...r.problems];
  if (r.count !== onChain.count) {
    problems.push({
      kind: "count-differs-from-chain",
      seq: (r.count < onChain.count ? r.count : onChain.count) + 1n,
      message: `${r.count} actions found, the contract counts ${onChain.count}`,
    });
  }
  if (r.head !== onChain.head.toLowerCase()) {
    problems.push({
      kind: "head-differs-from-chain",
      seq: r.count,
      message: `recomputed head ${r.head}, the contract's is ${onChain.head}`,
    });
  }
  return { ...r, problems, valid: problems.length === 0 };
}
