/**
 * Merkle batches of collection actions (SPEC "Collection evidence rules"): high-volume logs are
 * anchored on chain as the root of an OpenZeppelin StandardMerkleTree over the eight action
 * fields, in the order of the trail's actionHash. The leaf is
 * keccak256(bytes.concat(keccak256(abi.encode(fields...)))), which CollectionLog.verifyBatchAction
 * recomputes; a proof checks against a root alone, with no database.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { isHex, keccak256, type Hex } from "viem";
import { ACTION_ENCODING, actionFields, type Action, type ActionFields } from "./collection-types";
import { actionHash } from "./trail";

/** The leaf encoding, as StandardMerkleTree and verifyBatchAction use it: the action's own encoding. */
export const ACTION_LEAF_ENCODING = ACTION_ENCODING;

/** An action as a tree leaf value, in {@link ACTION_LEAF_ENCODING} order. */
export type ActionLeaf = ActionFields;

/** A built batch: its root, its leaves in input order, and proofs by position. */
export interface BatchTree {
  /** The root to anchor with `anchorBatch`. */
  readonly root: Hex;
  /** Number of actions. */
  readonly count: number;
  /** The underlying tree (for `dump()`, multiproofs, rendering). */
  readonly tree: StandardMerkleTree<ActionLeaf>;
  /** The inclusion proof of the action at `index` (input order). */
  proof(index: number): Hex[];
}

/** The leaf value of an action. */
export function actionLeaf(action: Action): ActionLeaf {
  return actionFields(action);
}

/** The action a leaf value describes (inverse of {@link actionLeaf}). */
export function leafAction(leaf: ActionLeaf): Action {
  const [loanId, seq, collector, channel, kind, outcome, occurredAt, evidenceHash] = leaf;
  return { loanId, seq, collector, channel, kind, outcome, occurredAt, evidenceHash };
}

/**
 * Builds the batch tree of `actions` (at least one). Leaves are sorted inside the tree, as
 * StandardMerkleTree does by default, so the root does not depend on input order.
 */
export function buildBatchTree(actions: readonly Action[]): BatchTree {
  if (actions.length === 0) throw new RangeError("a batch needs at least one action");
  const tree = StandardMerkleTree.of<ActionLeaf>(actions.map(actionLeaf), [...ACTION_LEAF_ENCODING]);
  return {
    root: tree.root as Hex,
    count: actions.length,
    tree,
    proof(index: number): Hex[] {
      if (!Number.isInteger(index) || index < 0 || index >= actions.length) {
        throw new RangeError(`no action at index ${index} in a batch of ${actions.length}`);
      }
      return tree.getProof(index) as Hex[];
    },
  };
}

/**
 * The leaf hash of an action (what MerkleProof checks against the root): the standard double
 * hash, which is keccak256 of the trail's {@link actionHash} since both encode the same fields.
 */
export function batchLeafHash(action: Action): Hex {
  return keccak256(actionHash(action));
}

const isWord = (h: unknown): h is Hex => typeof h === "string" && isHex(h, { strict: true }) && h.length === 66;

/**
 * Whether `proof` shows that `action` is a leaf of the tree with `root`. Malformed input
 * (a root or proof element that is not 32 bytes) is simply not a proof: false, never a throw.
 */
export function verifyBatchProof(root: Hex, action: Action, proof: readonly Hex[]): boolean {
  if (!isWord(root) || !proof.every(isWord)) return false;
  try {
    return StandardMerkleTree.verify<ActionLeaf>(root, [...ACTION_LEAF_ENCODING], actionLeaf(action), [...proof]);
  } catch {
    // An action field outside its ABI type cannot be encoded, so it cannot be a leaf.
    return false;
  }
}
