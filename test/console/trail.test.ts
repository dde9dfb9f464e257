/**
 * The console's in-browser trail check (console/src/lib/trail.ts) on actions shaped as
 * GET /v1/loans/{loanId}/evidence lists them: the heads here are computed independently (ethers'
 * ABI coder, the encoding of ICollectionLog), so a change in either the console's fold or the
 * domain's that parts from the contract's encoding fails.
 */
import { expect } from "chai";
import { ethers } from "ethers";
import fc from "fast-check";
import type { Address, Hex } from "viem";
import { checkTrail, type ChainTrail, type ListedAction, type TrailBinding } from "../../console/src/lib/trail";

const coder = ethers.AbiCoder.defaultAbiCoder();
const BINDING: TrailBinding = { chainId: 31337, collectionLog: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address, loanId: "7" };

type Fields = Omit<ListedAction, "head">;

/** head_0..head_n of `fields` for BINDING, with ethers alone. */
function heads(fields: readonly Fields[]): Hex[] {
  let head = ethers.keccak256(coder.encode(["uint256", "address", "uint256"], [BINDING.chainId, BINDING.collectionLog, BigInt(BINDING.loanId)]));
  const out = [head];
  for (const a of fields) {
    const action = ethers.keccak256(
      coder.encode(
        ["uint256", "uint64", "address", "uint8", "uint8", "uint16", "uint64", "bytes32"],
        [BigInt(BINDING.loanId), a.seq, a.collector, a.channel.code, a.kind.code, a.outcome, a.occurredAt, a.evidenceHash],
      ),
    );
    head = ethers.keccak256(coder.encode(["bytes32", "bytes32"], [head, action]));
    out.push(head);
  }
  return out as Hex[];
}

const listed = (fields: readonly Fields[]): ListedAction[] => {
  const h = heads(fields);
  return fields.map((a, i) => ({ ...a, head: h[i + 1]! }));
};

const arbFields = (n: number): fc.Arbitrary<Fields[]> =>
  fc.array(
    fc.record({
      collector: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => ethers.getAddress(ethers.hexlify(b))),
      channel: fc.integer({ min: 0, max: 7 }).map((code) => ({ code })),
      kind: fc.integer({ min: 0, max: 6 }).map((code) => ({ code })),
      outcome: fc.integer({ min: 0, max: 65_535 }),
      occurredAt: fc.integer({ min: 0, max: 2 ** 40 }),
      evidenceHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => ethers.hexlify(b)),
    }),
    { minLength: n, maxLength: 12 },
  ).map((xs) => xs.map((x, i) => ({ seq: i + 1, ...x })));

const onChain = (head: Hex, count: number): ChainTrail => ({ head, count, block: 100, rpcUrl: "http://127.0.0.1:8545" });

describe("console: in-browser trail check (lib/trail.ts)", function () {
  it("an untouched trail is valid from its events, and against the chain's trailOf with the same head", () => {
    fc.assert(
      fc.property(arbFields(0), (fields) => {
        const actions = listed(fields);
        const last = heads(fields).at(-1)!;
        expect(checkTrail(BINDING, actions, null)).to.deep.include({ source: "events", valid: true, count: fields.length, head: last, mismatch: null });
        expect(checkTrail(BINDING, actions, onChain(last, fields.length))).to.deep.include({ source: "chain", valid: true, head: last, mismatch: null });
      }),
      { numRuns: 60 },
    );
  });

  it("an altered action fails at its seq, expecting the event's head and showing the recomputed one", () => {
    fc.assert(
      fc.property(arbFields(1), fc.nat(), fc.constantFrom("outcome", "evidenceHash", "occurredAt"), (fields, pick, field) => {
        const actions = listed(fields);
        const k = pick % actions.length;
        const tampered = actions.map((a, i) =>
          i !== k ? a : { ...a, [field]: field === "outcome" ? (a.outcome + 1) % 65_536 : field === "occurredAt" ? a.occurredAt + 1 : ethers.ZeroHash.replace(/0$/, "1") },
        );
        const got = heads(tampered)[k + 1]!;
        const check = checkTrail(BINDING, tampered, onChain(heads(fields).at(-1)!, fields.length));
        expect(check.valid).to.equal(false);
        expect(check.mismatch).to.deep.equal({ kind: "head", seq: k + 1, expected: actions[k]!.head, got });
      }),
      { numRuns: 60 },
    );
  });

  it("heads rewritten to match altered fields pass the events but not the chain; a dropped last action shows only in the count", () => {
    fc.assert(
      fc.property(arbFields(2), (fields) => {
        const original = heads(fields).at(-1)!;
        const altered = listed(fields.map((a, i) => (i === 0 ? { ...a, outcome: (a.outcome + 1) % 65_536 } : a)));
        expect(checkTrail(BINDING, altered, null).valid, "events only cannot see a consistent rewrite").to.equal(true);
        expect(checkTrail(BINDING, altered, onChain(original, fields.length)).mismatch).to.deep.equal({ kind: "chain-head", expected: original, got: altered.at(-1)!.head });
        const dropped = listed(fields).slice(0, -1);
        expect(checkTrail(BINDING, dropped, null).valid).to.equal(true);
        expect(checkTrail(BINDING, dropped, onChain(original, fields.length)).mismatch).to.deep.equal({ kind: "count", chain: fields.length, server: fields.length - 1 });
      }),
      { numRuns: 40 },
    );
  });

  it("a missing action in the middle breaks the sequence at its seq", () => {
    const actions = listed(fc.sample(arbFields(3), { numRuns: 1, seed: 7 })[0]!);
    const check = checkTrail(BINDING, [actions[0]!, ...actions.slice(2)], null);
    expect(check.mismatch).to.include({ kind: "sequence", seq: 2 });
  });
});
