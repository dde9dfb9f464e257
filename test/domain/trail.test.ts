import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import type { Address, Hex } from "viem";
import { Channel, Kind } from "../../src/domain/collection-types";
import {
  actionHash,
  genesisHead,
  nextHead,
  recomputeTrail,
  verifyTrail,
  type RecordedAction,
} from "../../src/domain/trail";
import { DAY, actionsOf, collectionLogFixture, latestTimestamp, trailOf } from "./helpers/collection-chain";

const coder = ethers.AbiCoder.defaultAbiCoder();
const LOG = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address;
const COLLECTOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address;

/** A well-formed off-chain trail of `n` actions of loan 7 on chain 31337. */
function offChainTrail(n: number): RecordedAction[] {
  let head = genesisHead(31337, LOG, 7n);
  return Array.from({ length: n }, (_, i) => {
    const a = {
      loanId: 7n,
      seq: BigInt(i + 1),
      collector: COLLECTOR,
      channel: i % 8,
      kind: i % 7,
      outcome: 100 + i,
      occurredAt: 1_700_000_000n + BigInt(i) * 3_600n,
      evidenceHash: ethers.id(`artifact-${i}`) as Hex,
    };
    head = nextHead(head, actionHash(a));
    return { ...a, head };
  });
}

/** Recorded actions on chain: two collectors, recordAction, recordActions and recordPromise. */
async function recordedTrailFixture() {
  const f = await collectionLogFixture();
  const [loanId, otherLoanId] = f.loanIds;
  const c = f.log.connect(f.collector);
  await f.log.connect(f.lender).assignCollector([loanId], f.otherCollector.address);
  const now = await latestTimestamp();
  await c.recordAction(loanId, Channel.Call, Kind.ContactAttempt, 486, now - 3n * DAY, ethers.id("call-1"));
  await f.log.connect(f.otherCollector).recordAction(loanId, Channel.Visit, Kind.ContactMade, 0, now - DAY, ethers.id("visit"));
  await c.recordActions([
    { loanId, channel: Channel.Letter, kind: Kind.LegalNotice, outcome: 3, occurredAt: now - 5n * DAY, evidenceHash: ethers.id("letter") },
    { loanId: otherLoanId, channel: Channel.Sms, kind: Kind.Note, outcome: 1, occurredAt: now, evidenceHash: ethers.id("other") },
    { loanId, channel: Channel.AppPush, kind: Kind.PlanOffer, outcome: 65_535, occurredAt: now, evidenceHash: ethers.ZeroHash },
  ]);
  await c.recordPromise(loanId, 1_000_000n, now + 10n * DAY, ethers.id("promise"));
  await c.recordAction(loanId, Channel.Call, Kind.Dispute, 7, now, ethers.id("dispute"));
  const actions = await actionsOf(f.log, loanId);
  const onChain = await trailOf(f.log, loanId);
  return { ...f, loanId, otherLoanId, actions, onChain };
}

describe("domain/trail", function () {
  describe("encoding (known answers against ethers' ABI coder)", function () {
    it("genesisHead = keccak256(abi.encode(uint256 chainId, address log, uint256 loanId))", function () {
      const expected = ethers.keccak256(coder.encode(["uint256", "address", "uint256"], [31337n, LOG, 7n]));
      expect(genesisHead(31337, LOG, 7n)).to.equal(expected);
      expect(genesisHead(31337n, LOG, 7n)).to.equal(expected);
      expect(genesisHead(1, LOG, 7n)).to.not.equal(expected);
      expect(genesisHead(31337, LOG, 8n)).to.not.equal(expected);
    });

    it("actionHash encodes the eight fields in order with their ABI widths", function () {
      const a = offChainTrail(3)[2];
      const expected = ethers.keccak256(
        coder.encode(
          ["uint256", "uint64", "address", "uint8", "uint8", "uint16", "uint64", "bytes32"],
          [a.loanId, a.seq, a.collector, a.channel, a.kind, a.outcome, a.occurredAt, a.evidenceHash],
        ),
      );
      expect(actionHash(a)).to.equal(expected);
      expect(nextHead(ethers.ZeroHash as Hex, expected as Hex)).to.equal(
        ethers.keccak256(coder.encode(["bytes32", "bytes32"], [ethers.ZeroHash, expected])),
      );
    });

    it("an empty trail is head_0 with count 0 and no problems", function () {
      expect(recomputeTrail(31337, LOG, 7n, [])).to.deep.equal({ head: genesisHead(31337, LOG, 7n), count: 0n, problems: [] });
    });
  });

  describe("against the contract (in-process Hardhat network)", function () {
    it("recomputes trailOf exactly from the ActionRecorded events, and every event head", async function () {
      const { actions, onChain, chainId, logAddress, loanId, otherLoanId, log } = await loadFixture(recordedTrailFixture);
      expect(actions.map((a) => a.seq)).to.deep.equal([1n, 2n, 3n, 4n, 5n, 6n]);
      expect(onChain.count).to.equal(6n);
      const r = recomputeTrail(chainId, logAddress, loanId, actions);
      expect(r.problems).to.deep.equal([]);
      expect(r.count).to.equal(onChain.count);
      expect(r.head).to.equal(onChain.head);
      expect(verifyTrail(chainId, logAddress, loanId, actions, onChain).valid).to.equal(true);
      // The other loan's chain is its own.
      const other = await actionsOf(log, otherLoanId);
      expect(recomputeTrail(chainId, logAddress, otherLoanId, other).head).to.equal((await trailOf(log, otherLoanId)).head);
    });

    it("matches trailOf after each action, not only at the end", async function () {
      const { actions, chainId, logAddress, loanId } = await loadFixture(recordedTrailFixture);
      for (let n = 1; n <= actions.length; n++) {
        const r = recomputeTrail(chainId, logAddress, loanId, actions.slice(0, n));
        expect(r.head, `after ${n}`).to.equal(actions[n - 1].head);
      }
    });

    it("is bound to the chain id, the CollectionLog address and the loan", async function () {
      const { actions, onChain, chainId, logAddress, loanId } = await loadFixture(recordedTrailFixture);
      expect(verifyTrail(chainId + 1n, logAddress, loanId, actions, onChain).valid).to.equal(false);
      expect(verifyTrail(chainId, LOG, loanId, actions, onChain).valid).to.equal(false);
      const wrongLoan = verifyTrail(chainId, logAddress, loanId + 1n, actions, onChain);
      expect(wrongLoan.valid).to.equal(false);
      expect(wrongLoan.problems[0]).to.include({ kind: "wrong-loan", seq: 1n });
    });
  });

  describe("tampering is detected", function () {
    it("removing the last action: every event still chains, only trailOf reveals it", async function () {
      const { actions, onChain, chainId, logAddress, loanId } = await loadFixture(recordedTrailFixture);
      const cut = actions.slice(0, -1);
      expect(recomputeTrail(chainId, logAddress, loanId, cut).problems).to.deep.equal([]);
      const v = verifyTrail(chainId, logAddress, loanId, cut, onChain);
      expect(v.valid).to.equal(false);
      expect(v.problems.map((p) => p.kind)).to.deep.equal(["count-differs-from-chain", "head-differs-from-chain"]);
      expect(v.problems[0].seq).to.equal(6n);
    });

    it("removing a middle action: a seq gap at its position", async function () {
      const { actions, onChain, chainId, logAddress, loanId } = await loadFixture(recordedTrailFixture);
      const v = verifyTrail(chainId, logAddress, loanId, [...actions.slice(0, 2), ...actions.slice(3)], onChain);
      expect(v.valid).to.equal(false);
      expect(v.problems[0]).to.include({ kind: "seq-gap", seq: 3n });
    });

    it("reordering two actions: reported at the first moved position", async function () {
      const { actions, onChain, chainId, logAddress, loanId } = await loadFixture(recordedTrailFixture);
      const swapped = [actions[0], actions[1], actions[3], actions[2], actions[4], actions[5]];
      const v = verifyTrail(chainId, logAddress, loanId, swapped, onChain);
      expect(v.valid).to.equal(false);
      expect(v.problems[0]).to.include({ kind: "seq-gap", seq: 3n });
      // Renumbering the swapped actions does not help: their event heads no longer chain.
      const renumbered = swapped.map((a, i) => ({ ...a, seq: BigInt(i + 1) }));
      const r = verifyTrail(chainId, logAddress, loanId, renumbered, onChain);
      expect(r.valid).to.equal(false);
      expect(r.problems[0]).to.include({ kind: "head-mismatch", seq: 3n });
    });

    it("a duplicated action is a seq duplicate", async function () {
      const { actions, onChain, chainId, logAddress, loanId } = await loadFixture(recordedTrailFixture);
      const v = verifyTrail(chainId, logAddress, loanId, [...actions.slice(0, 3), actions[2], ...actions.slice(3)], onChain);
      expect(v.problems[0]).to.include({ kind: "seq-duplicate", seq: 4n });
      expect(v.valid).to.equal(false);
    });

    it("altering any field of any action (and the event head itself) fails, at that action", async function () {
      const { actions, onChain, chainId, logAddress, loanId } = await loadFixture(recordedTrailFixture);
      const alter: Record<string, (a: RecordedAction) => RecordedAction> = {
        loanId: (a) => ({ ...a, loanId: a.loanId + 1n }),
        seq: (a) => ({ ...a, seq: a.seq + 100n }),
        collector: (a) => ({ ...a, collector: COLLECTOR === a.collector ? LOG : COLLECTOR }),
        channel: (a) => ({ ...a, channel: (a.channel + 1) % 8 }),
        kind: (a) => ({ ...a, kind: (a.kind + 1) % 7 }),
        outcome: (a) => ({ ...a, outcome: a.outcome ^ 1 }),
        occurredAt: (a) => ({ ...a, occurredAt: a.occurredAt - 1n }),
        evidenceHash: (a) => ({ ...a, evidenceHash: ethers.id("forged") as Hex }),
        head: (a) => ({ ...a, head: ethers.id("forged head") as Hex }),
      };
      for (const [field, change] of Object.entries(alter)) {
        for (let i = 0; i < actions.length; i++) {
          const tampered = actions.map((a, j) => (j === i ? change(a) : a));
          const v = verifyTrail(chainId, logAddress, loanId, tampered, onChain);
          expect(v.valid, `${field} of action ${i + 1}`).to.equal(false);
          expect(v.problems[0].seq, `${field} of action ${i + 1}`).to.equal(BigInt(i + 1));
        }
      }
    });

    it("property: any single-field change anywhere in a trail is detected", function () {
      const trail = offChainTrail(12);
      const last = trail[trail.length - 1];
      const onChain = { head: last.head, count: 12n };
      expect(verifyTrail(31337, LOG, 7n, trail, onChain).valid).to.equal(true);
      const field = fc.constantFrom("loanId", "seq", "channel", "kind", "outcome", "occurredAt", "evidenceHash", "collector");
      fc.assert(
        fc.property(fc.nat({ max: 11 }), field, fc.integer({ min: 1, max: 200 }), (i, name, delta) => {
          const a = { ...trail[i] };
          switch (name) {
            case "loanId": a.loanId += BigInt(delta); break;
            case "seq": a.seq += BigInt(delta); break;
            case "channel": a.channel = (a.channel + (delta % 7) + 1) % 8; break;
            case "kind": a.kind = (a.kind + (delta % 6) + 1) % 7; break;
            case "outcome": a.outcome = (a.outcome + delta) % 65_536; break;
            case "occurredAt": a.occurredAt += BigInt(delta); break;
            case "evidenceHash": a.evidenceHash = ethers.id(`x${delta}`) as Hex; break;
            case "collector": a.collector = ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(delta), 20)) as Address; break;
          }
          const tampered = trail.map((x, j) => (j === i ? a : x));
          const v = verifyTrail(31337, LOG, 7n, tampered, onChain);
          return !v.valid && v.problems[0].seq === BigInt(i + 1);
        }),
        { numRuns: 300 },
      );
    });
  });
});
