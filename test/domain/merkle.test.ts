import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import fc from "fast-check";
import type { Address, Hex } from "viem";
import type { Action } from "../../src/domain/collection-types";
import {
  ACTION_LEAF_ENCODING,
  actionLeaf,
  batchLeafHash,
  buildBatchTree,
  leafAction,
  verifyBatchProof,
} from "../../src/domain/merkle";
import { collectionLogFixture } from "./helpers/collection-chain";

const COLLECTOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address;

function action(i: number, overrides: Partial<Action> = {}): Action {
  return {
    loanId: BigInt(1 + (i % 3)),
    seq: BigInt(i + 1),
    collector: COLLECTOR,
    channel: i % 8,
    kind: i % 7,
    outcome: i * 7,
    occurredAt: 1_700_000_000n + BigInt(i) * 60n,
    evidenceHash: ethers.id(`artifact-${i}`) as Hex,
    ...overrides,
  };
}

const batch = (n: number) => Array.from({ length: n }, (_, i) => action(i));

/** Every way to alter one field of an action. */
/** The next value of a field within its ABI type (the largest wraps round), so an altered leaf still encodes. */
const next = (v: bigint, min: bigint, max: bigint) => (v >= max ? min : v + 1n);
const U64_MAX = (1n << 64n) - 1n;

const alterations: Record<string, (a: Action) => Action> = {
  loanId: (a) => ({ ...a, loanId: next(a.loanId, 1n, (1n << 256n) - 1n) }),
  seq: (a) => ({ ...a, seq: next(a.seq, 1n, U64_MAX) }),
  collector: (a) => ({ ...a, collector: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" }),
  channel: (a) => ({ ...a, channel: (a.channel + 1) % 8 }),
  kind: (a) => ({ ...a, kind: (a.kind + 1) % 7 }),
  outcome: (a) => ({ ...a, outcome: (a.outcome + 1) % 65_536 }),
  occurredAt: (a) => ({ ...a, occurredAt: next(a.occurredAt, 0n, U64_MAX) }),
  evidenceHash: (a) => ({ ...a, evidenceHash: ethers.id("forged") as Hex }),
};

const arbAction: fc.Arbitrary<Action> = fc.record({
  loanId: fc.bigInt({ min: 1n, max: (1n << 256n) - 1n }),
  seq: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
  collector: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => ethers.getAddress(ethers.hexlify(b)) as Address),
  channel: fc.integer({ min: 0, max: 255 }),
  kind: fc.integer({ min: 0, max: 255 }),
  outcome: fc.integer({ min: 0, max: 65_535 }),
  occurredAt: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  evidenceHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => ethers.hexlify(b) as Hex),
});

describe("domain/merkle", function () {
  describe("off chain", function () {
    it("uses the 8-field standard leaf encoding; the leaf is keccak256 of the trail's actionHash", function () {
      expect([...ACTION_LEAF_ENCODING]).to.deep.equal(["uint256", "uint64", "address", "uint8", "uint8", "uint16", "uint64", "bytes32"]);
      const a = action(4);
      const coder = ethers.AbiCoder.defaultAbiCoder();
      const inner = ethers.keccak256(coder.encode([...ACTION_LEAF_ENCODING], actionLeaf(a)));
      expect(batchLeafHash(a)).to.equal(ethers.keccak256(inner));
      const tree = buildBatchTree(batch(5));
      expect(tree.tree.leafHash(actionLeaf(a))).to.equal(batchLeafHash(a));
      expect(leafAction(actionLeaf(a))).to.deep.equal(a);
    });

    it("builds the same root as StandardMerkleTree, whatever the input order, and every proof verifies", function () {
      const actions = batch(9);
      const tree = buildBatchTree(actions);
      expect(tree.count).to.equal(9);
      expect(tree.root).to.equal(StandardMerkleTree.of(actions.map(actionLeaf), [...ACTION_LEAF_ENCODING]).root);
      expect(buildBatchTree([...actions].reverse()).root).to.equal(tree.root);
      actions.forEach((a, i) => {
        const proof = tree.proof(i);
        expect(verifyBatchProof(tree.root, a, proof), `action ${i}`).to.equal(true);
        expect(StandardMerkleTree.verify(tree.root, [...ACTION_LEAF_ENCODING], actionLeaf(a), proof)).to.equal(true);
      });
      // A one-action batch: the root is the leaf and the proof is empty.
      const single = buildBatchTree([actions[0]]);
      expect(single.root).to.equal(batchLeafHash(actions[0]));
      expect(single.proof(0)).to.deep.equal([]);
      expect(verifyBatchProof(single.root, actions[0], [])).to.equal(true);
    });

    it("rejects an altered leaf (any field), a wrong root, another leaf's proof, a truncated proof", function () {
      const actions = batch(8);
      const tree = buildBatchTree(actions);
      for (let i = 0; i < actions.length; i++) {
        const proof = tree.proof(i);
        for (const [field, alter] of Object.entries(alterations)) {
          expect(verifyBatchProof(tree.root, alter(actions[i]), proof), `${field} of ${i}`).to.equal(false);
        }
        expect(verifyBatchProof(buildBatchTree(batch(7)).root, actions[i], proof)).to.equal(false);
        expect(verifyBatchProof(ethers.id("wrong root") as Hex, actions[i], proof)).to.equal(false);
        expect(verifyBatchProof(tree.root, actions[i], tree.proof((i + 1) % actions.length))).to.equal(false);
        expect(verifyBatchProof(tree.root, actions[i], proof.slice(1))).to.equal(false);
        expect(verifyBatchProof(tree.root, actions[i], [...proof, ethers.ZeroHash as Hex])).to.equal(false);
      }
    });

    it("treats malformed input as no proof, never a throw; refuses an empty batch or a bad index", function () {
      const actions = batch(3);
      const tree = buildBatchTree(actions);
      expect(verifyBatchProof("0x1234", actions[0], tree.proof(0))).to.equal(false);
      expect(verifyBatchProof(tree.root, actions[0], ["0xzz" as Hex])).to.equal(false);
      expect(verifyBatchProof(tree.root, { ...actions[0], channel: 256 }, tree.proof(0))).to.equal(false);
      expect(() => buildBatchTree([])).to.throw(RangeError, "at least one action");
      expect(() => tree.proof(3)).to.throw(RangeError);
      expect(() => tree.proof(-1)).to.throw(RangeError);
    });

    it("property: a proof verifies its own leaf and no altered one", function () {
      fc.assert(
        fc.property(fc.array(arbAction, { minLength: 1, maxLength: 20 }), fc.nat(), fc.constantFrom(...Object.keys(alterations)), (actions, k, field) => {
          const i = k % actions.length;
          const tree = buildBatchTree(actions);
          const proof = tree.proof(i);
          const altered = alterations[field](actions[i]);
          const isDuplicate = actions.some((a) => batchLeafHash(a) === batchLeafHash(altered));
          return verifyBatchProof(tree.root, actions[i], proof) && (isDuplicate || !verifyBatchProof(tree.root, altered, proof));
        }),
        {
          numRuns: 100,
          // Found by fast-check (seed 1294510319): a field at the top of its type, altered.
          examples: [[[{ ...batch(1)[0], seq: U64_MAX }, batch(2)[1]], 0, "seq"], [[{ ...batch(1)[0], occurredAt: U64_MAX, outcome: 65_535 }], 0, "occurredAt"]],
        },
      );
    });
  });

  describe("against CollectionLog.verifyBatchAction", function () {
    async function anchoredFixture() {
      const f = await collectionLogFixture();
      const actions = batch(11).map((a) => ({ ...a, collector: f.collector.address as Address }));
      const tree = buildBatchTree(actions);
      await f.log.connect(f.collector).anchorBatch(tree.root, tree.count, "ipfs://batch-1");
      const batchId = await f.log.batchCount();
      return { ...f, actions, tree, batchId };
    }

    const onChain = (f: Awaited<ReturnType<typeof anchoredFixture>>, batchId: bigint, a: Action, proof: readonly Hex[]) =>
      f.log.verifyBatchAction(batchId, a.loanId, a.seq, a.collector, a.channel, a.kind, a.outcome, a.occurredAt, a.evidenceHash, [...proof]);

    it("anchors the TS root and agrees with verifyBatchProof on genuine and forged proofs", async function () {
      const f = await loadFixture(anchoredFixture);
      expect(await f.log.batchRoot(f.batchId)).to.equal(f.tree.root);
      for (let i = 0; i < f.actions.length; i++) {
        const a = f.actions[i];
        const proof = f.tree.proof(i);
        const cases: [string, Action, readonly Hex[]][] = [
          ["genuine", a, proof],
          ["another leaf's proof", a, f.tree.proof((i + 3) % f.actions.length)],
          ["truncated proof", a, proof.slice(0, -1)],
          ...Object.entries(alterations).map(([field, alter]): [string, Action, readonly Hex[]] => [`altered ${field}`, alter(a), proof]),
        ];
        for (const [name, leaf, p] of cases) {
          const ts = verifyBatchProof(f.tree.root, leaf, p);
          expect(await onChain(f, f.batchId, leaf, p), `${name} (action ${i})`).to.equal(ts);
          expect(ts, `${name} (action ${i})`).to.equal(name === "genuine");
        }
      }
    });

    it("says false for an unknown batch and for another batch's root", async function () {
      const f = await loadFixture(anchoredFixture);
      const other = buildBatchTree(batch(4));
      await f.log.connect(f.collector).anchorBatch(other.root, other.count, "ipfs://batch-2");
      const otherId = f.batchId + 1n;
      expect(await f.log.batchCount()).to.equal(otherId);
      expect(await onChain(f, otherId, batch(4)[0], other.proof(0))).to.equal(true);
      expect(await onChain(f, f.batchId, batch(4)[0], other.proof(0))).to.equal(false);
      expect(await onChain(f, f.batchId, f.actions[0], other.proof(0))).to.equal(false);
      expect(await onChain(f, 99n, f.actions[0], f.tree.proof(0))).to.equal(false);
    });

    it("property: random batches, anchored, verify the same way on chain and in TypeScript", async function () {
      const f = await loadFixture(anchoredFixture);
      const validAction = arbAction.map((a) => ({ ...a, channel: a.channel % 8, kind: a.kind % 7 }));
      await fc.assert(
        fc.asyncProperty(fc.array(validAction, { minLength: 1, maxLength: 12 }), fc.nat(), fc.boolean(), async (actions, k, tamper) => {
          const tree = buildBatchTree(actions);
          await f.log.connect(f.collector).anchorBatch(tree.root, tree.count, "");
          const batchId = await f.log.batchCount();
          const i = k % actions.length;
          const leaf = tamper ? { ...actions[i], outcome: (actions[i].outcome + 1) % 65_536 } : actions[i];
          const ts = verifyBatchProof(tree.root, leaf, tree.proof(i));
          expect(await onChain(f, batchId, leaf, tree.proof(i))).to.equal(ts);
          const isDuplicate = actions.some((a) => batchLeafHash(a) === batchLeafHash(leaf));
          expect(ts).to.equal(!tamper || isDuplicate);
        }),
        { numRuns: 25 },
      );
    });
  });
});
