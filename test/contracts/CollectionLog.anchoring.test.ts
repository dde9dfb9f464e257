import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { SimpleMerkleTree, StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Address, Hex } from "viem";
import type { CollectionLog } from "../../typechain-types";
import { DAY, LENDER_ROLE } from "./helpers/fixtures";
import { ACTION_LEAF_ENCODING, Channel, Kind, actionLeaf, collectionLogFixture, type Action } from "./helpers/collection";

/** The leaf encoding as the mutable string[] the merkle-tree and ethers APIs take. */
const ACTION_LEAF_TYPES = [...ACTION_LEAF_ENCODING];

const URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";

/** verifyBatchAction with an Action's eight fields. */
function verify(log: CollectionLog, batchId: bigint, a: Action, proof: string[]): Promise<boolean> {
  return log.verifyBatchAction(batchId, a.loanId, a.seq, a.collector, a.channel, a.kind, a.outcome, a.occurredAt, a.evidenceHash, proof);
}

describe("CollectionLog: batch anchoring", function () {
  /** collectionLogFixture plus six off-chain actions of `collector` and their StandardMerkleTree. */
  async function anchoringFixture() {
    const f = await collectionLogFixture();
    const t0 = 1_750_000_000n;
    const actions: Action[] = Array.from({ length: 6 }, (_, i) => ({
      loanId: i % 2 === 0 ? f.loanId : f.westLoanId,
      seq: BigInt(i + 1),
      collector: f.collector.address as Address,
      channel: [Channel.Call, Channel.Sms, Channel.Email, Channel.Letter, Channel.Visit, Channel.AppPush][i],
      kind: [Kind.ContactAttempt, Kind.ContactMade, Kind.PromiseToPay, Kind.LegalNotice, Kind.Note, Kind.PlanOffer][i],
      outcome: 100 * i,
      occurredAt: t0 + BigInt(i) * DAY,
      evidenceHash: ethers.id(`artifact-${i}`) as Hex,
    }));
    const tree = StandardMerkleTree.of(actions.map(actionLeaf), ACTION_LEAF_TYPES);
    return { ...f, actions, tree, root: tree.root };
  }

  describe("anchorBatch", function () {
    it("lets the lender anchor: batch ids from 1, BatchAnchored, batchRoot and batchCount", async function () {
      const { log, lender, root } = await loadFixture(anchoringFixture);
      expect(await log.batchCount()).to.equal(0n);
      expect(await log.connect(lender).anchorBatch.staticCall(root, 6, URI)).to.equal(1n);
      await expect(log.connect(lender).anchorBatch(root, 6, URI)).to.emit(log, "BatchAnchored").withArgs(1n, root, 6, URI, lender.address);
      expect(await log.batchRoot(1n)).to.equal(root);
      expect(await log.batchCount()).to.equal(1n);
      const second = ethers.id("root-2");
      await expect(log.connect(lender).anchorBatch(second, 4_294_967_295n, "")).to.emit(log, "BatchAnchored").withArgs(2n, second, 4_294_967_295n, "", lender.address);
      expect(await log.batchRoot(2n)).to.equal(second);
      expect(await log.batchRoot(1n)).to.equal(root);
      expect(await log.batchRoot(3n)).to.equal(ethers.ZeroHash);
      expect(await log.batchCount()).to.equal(2n);
    });

    it("lets any account with LENDER_ROLE anchor, and a collector assigned to any loan", async function () {
      const { log, otherLender, collector, otherCollector, root } = await loadFixture(anchoringFixture);
      await expect(log.connect(otherLender).anchorBatch(root, 6, URI)).to.emit(log, "BatchAnchored").withArgs(1n, root, 6, URI, otherLender.address);
      await expect(log.connect(collector).anchorBatch(root, 6, URI)).to.emit(log, "BatchAnchored").withArgs(2n, root, 6, URI, collector.address);
      await expect(log.connect(otherCollector).anchorBatch(root, 1, URI)).to.emit(log, "BatchAnchored").withArgs(3n, root, 1, URI, otherCollector.address);
    });

    it("refuses a stranger, the borrower and a collector assigned to nothing any more", async function () {
      const { log, stranger, borrower, unassignedCollector, root } = await loadFixture(anchoringFixture);
      for (const who of [stranger, borrower, unassignedCollector]) {
        await expect(log.connect(who).anchorBatch(root, 6, URI)).to.be.revertedWithCustomError(log, "CollectionLogNotAnchorer").withArgs(who.address);
      }
    });

    it("refuses a collector once its last assignment is removed, and counts assignments across loans", async function () {
      const { log, lender, collector, loanId, westLoanId, root } = await loadFixture(anchoringFixture);
      await log.connect(lender).unassignCollector(loanId, collector.address);
      await expect(log.connect(collector).anchorBatch(root, 1, URI)).to.emit(log, "BatchAnchored");
      await log.connect(lender).unassignCollector(westLoanId, collector.address);
      await expect(log.connect(collector).anchorBatch(root, 1, URI)).to.be.revertedWithCustomError(log, "CollectionLogNotAnchorer").withArgs(collector.address);
    });

    it("lets an account that lost LENDER_ROLE anchor no more", async function () {
      const { log, ledger, admin, otherLender, root } = await loadFixture(anchoringFixture);
      await ledger.connect(admin).revokeRole(LENDER_ROLE, otherLender.address);
      await expect(log.connect(otherLender).anchorBatch(root, 1, URI)).to.be.revertedWithCustomError(log, "CollectionLogNotAnchorer").withArgs(otherLender.address);
    });

    it("refuses a zero root or a zero count with CollectionLogInvalidBatch(root, count)", async function () {
      const { log, lender, root } = await loadFixture(anchoringFixture);
      await expect(log.connect(lender).anchorBatch(ethers.ZeroHash, 6, URI))
        .to.be.revertedWithCustomError(log, "CollectionLogInvalidBatch")
        .withArgs(ethers.ZeroHash, 6);
      await expect(log.connect(lender).anchorBatch(root, 0, URI)).to.be.revertedWithCustomError(log, "CollectionLogInvalidBatch").withArgs(root, 0);
      expect(await log.batchCount()).to.equal(0n);
    });
  });

  describe("verifyBatchAction", function () {
    it("is true for every action of the batch with its StandardMerkleTree proof", async function () {
      const { log, lender, actions, tree, root } = await loadFixture(anchoringFixture);
      await log.connect(lender).anchorBatch(root, actions.length, URI);
      for (const [i, value] of tree.entries()) {
        expect(await log.verifyBatchAction(1n, ...(value as [bigint, bigint, string, number, number, number, bigint, string]), tree.getProof(i))).to.equal(true);
      }
      expect(await verify(log, 1n, actions[3], tree.getProof(actionLeaf(actions[3])))).to.equal(true);
    });

    it("is true in a one-action batch with an empty proof", async function () {
      const { log, collector, actions } = await loadFixture(anchoringFixture);
      const tree = StandardMerkleTree.of([actionLeaf(actions[0])], ACTION_LEAF_TYPES);
      await log.connect(collector).anchorBatch(tree.root, 1, URI);
      expect(await verify(log, 1n, actions[0], [])).to.equal(true);
    });

    it("is false for a wrong proof", async function () {
      const { log, lender, actions, tree, root } = await loadFixture(anchoringFixture);
      await log.connect(lender).anchorBatch(root, actions.length, URI);
      expect(await verify(log, 1n, actions[0], tree.getProof(actionLeaf(actions[1])))).to.equal(false);
      expect(await verify(log, 1n, actions[0], [])).to.equal(false);
      const proof = tree.getProof(actionLeaf(actions[0]));
      expect(await verify(log, 1n, actions[0], [ethers.id("junk"), ...proof.slice(1)])).to.equal(false);
    });

    it("is false when any one of the eight fields differs from the anchored action", async function () {
      const { log, lender, actions, tree, root, otherCollector, otherLoanId } = await loadFixture(anchoringFixture);
      await log.connect(lender).anchorBatch(root, actions.length, URI);
      const a = actions[2];
      const proof = tree.getProof(actionLeaf(a));
      const variants: Action[] = [
        { ...a, loanId: otherLoanId },
        { ...a, seq: a.seq + 1n },
        { ...a, collector: otherCollector.address as Address },
        { ...a, channel: Channel.Other },
        { ...a, kind: Kind.Note },
        { ...a, outcome: a.outcome + 1 },
        { ...a, occurredAt: a.occurredAt + 1n },
        { ...a, evidenceHash: ethers.id("tampered") as Hex },
      ];
      for (const v of variants) expect(await verify(log, 1n, v, proof)).to.equal(false);
    });

    it("is false for a tree of single-hashed leaves: the leaf must be StandardMerkleTree's double hash", async function () {
      const { log, lender, actions } = await loadFixture(anchoringFixture);
      const coder = ethers.AbiCoder.defaultAbiCoder();
      const single = actions.map((a) => ethers.keccak256(coder.encode(ACTION_LEAF_TYPES, actionLeaf(a))));
      const tree = SimpleMerkleTree.of(single);
      await log.connect(lender).anchorBatch(tree.root, actions.length, URI);
      expect(tree.verify(single[0], tree.getProof(single[0]))).to.equal(true);
      expect(await verify(log, 1n, actions[0], tree.getProof(single[0]))).to.equal(false);
    });

    it("is false in another batch, and in a batch that does not exist", async function () {
      const { log, lender, actions, tree, root } = await loadFixture(anchoringFixture);
      await log.connect(lender).anchorBatch(ethers.id("other root"), 3, URI);
      await log.connect(lender).anchorBatch(root, actions.length, URI);
      const proof = tree.getProof(actionLeaf(actions[1]));
      expect(await verify(log, 2n, actions[1], proof)).to.equal(true);
      expect(await verify(log, 1n, actions[1], proof)).to.equal(false);
      expect(await verify(log, 3n, actions[1], proof)).to.equal(false);
      expect(await verify(log, 0n, actions[1], proof)).to.equal(false);
    });

    it("is false for an empty proof of the zero leaf against a batch that does not exist", async function () {
      const { log } = await loadFixture(anchoringFixture);
      const zero: Action = {
        loanId: 0n,
        seq: 0n,
        collector: ethers.ZeroAddress as Address,
        channel: 0,
        kind: 0,
        outcome: 0,
        occurredAt: 0n,
        evidenceHash: ethers.ZeroHash as Hex,
      };
      expect(await verify(log, 1n, zero, [])).to.equal(false);
    });
  });
});
