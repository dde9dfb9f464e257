/**
 * The console's in-browser batch proof check (console/src/lib/batches.ts) on leaves shaped as
 * GET /v1/loans/{loanId}/evidence lists them (seq and occurredAt as decimal strings, channel and
 * kind as {code, name}): proven under the tree's root, not under another root or once altered.
 */
import { expect } from "chai";
import fc from "fast-check";
import type { Address, Hex } from "viem";
import { leafProven, type ListedLeaf } from "../../console/src/lib/batches";
import { buildBatchTree, type Action } from "../../src/domain";

const arbAction: fc.Arbitrary<Action> = fc.record({
  loanId: fc.bigInt({ min: 1n, max: 10n }),
  seq: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
  collector: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString("hex")}` as Address),
  channel: fc.integer({ min: 0, max: 7 }),
  kind: fc.integer({ min: 0, max: 6 }),
  outcome: fc.integer({ min: 0, max: 65_535 }),
  occurredAt: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  evidenceHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex),
});

const listed = (a: Action, proof: Hex[]): ListedLeaf => ({
  seq: a.seq.toString(),
  collector: a.collector,
  channel: { code: a.channel },
  kind: { code: a.kind },
  outcome: a.outcome,
  occurredAt: a.occurredAt.toString(),
  evidenceHash: a.evidenceHash,
  proof,
});

describe("console: in-browser batch proof check (lib/batches.ts)", function () {
  it("proves every leaf of a batch under its root; an altered leaf or another root is not proven", () => {
    fc.assert(
      fc.property(fc.array(arbAction, { minLength: 1, maxLength: 10 }), fc.nat(), (actions, pick) => {
        const tree = buildBatchTree(actions);
        actions.forEach((a, i) => expect(leafProven(a.loanId.toString(), tree.root, listed(a, tree.proof(i))), `leaf ${i}`).to.equal(true));
        const k = pick % actions.length;
        const a = actions[k]!;
        const altered = { ...listed(a, tree.proof(k)), outcome: (a.outcome + 1) % 65_536 };
        expect(leafProven(a.loanId.toString(), tree.root, altered)).to.equal(false);
        expect(leafProven((a.loanId + 1n).toString(), tree.root, listed(a, tree.proof(k))), "another loan").to.equal(false);
        const other = buildBatchTree([...actions, { ...a, seq: a.seq === 1n ? 2n : 1n }]).root;
        expect(leafProven(a.loanId.toString(), other, listed(a, tree.proof(k))), "another root").to.equal(false);
      }),
      { numRuns: 40 },
    );
  });
});
