import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import type { Hex } from "viem";
import { InvalidArgumentError } from "../../src/domain/errors";
import { Channel, Kind } from "../../src/domain/collection-types";
import { promiseCommitment, promiseStatus, type PromiseRepayment } from "../../src/domain/promises";
import { DAY, actionsOf, collectionLogFixture, latestTimestamp, setNextTimestamp } from "./helpers/collection-chain";

const coder = ethers.AbiCoder.defaultAbiCoder();

describe("domain/promises", function () {
  describe("promiseCommitment", function () {
    it("is keccak256(abi.encode(uint256 amount, uint64 dueBy, bytes32 artifactHash))", function () {
      const artifact = ethers.id("call-recording") as Hex;
      const expected = ethers.keccak256(coder.encode(["uint256", "uint64", "bytes32"], [1_500_000n, 1_760_000_000n, artifact]));
      expect(promiseCommitment(1_500_000n, 1_760_000_000n, artifact)).to.equal(expected);
      expect(promiseCommitment(1_500_001n, 1_760_000_000n, artifact)).to.not.equal(expected);
      expect(promiseCommitment(1_500_000n, 1_760_000_001n, artifact)).to.not.equal(expected);
    });

    it("equals the evidenceHash recordPromise puts on the trail, and PromiseRecorded carries its inputs", async function () {
      const f = await loadFixture(collectionLogFixture);
      const [loanId] = f.loanIds;
      const now = (await latestTimestamp()) + 10n;
      await setNextTimestamp(now);
      const dueBy = now + 7n * DAY;
      const artifact = ethers.id("promise-recording") as Hex;
      const amount = 123_456_789_000_000_000_000n;
      await expect(f.log.connect(f.collector).recordPromise(loanId, amount, dueBy, artifact))
        .to.emit(f.log, "PromiseRecorded")
        .withArgs(loanId, 1n, amount, dueBy, artifact);
      const [action] = await actionsOf(f.log, loanId);
      expect(action).to.deep.include({ channel: Channel.Other, kind: Kind.PromiseToPay, outcome: 0, occurredAt: now });
      expect(action.evidenceHash).to.equal(promiseCommitment(amount, dueBy, artifact));
    });
  });

  describe("promiseStatus", function () {
    const promise = { amount: 1_000n, dueBy: 2_000n, madeAt: 1_000n };

    it("is kept when repayments in [madeAt, dueBy] reach the amount, in one payment or several", function () {
      expect(promiseStatus(promise, [{ amount: 1_000n, at: 1_500n }], 1_600n)).to.equal("kept");
      expect(promiseStatus(promise, [{ amount: 400n, at: 1_000n }, { amount: 600n, at: 2_000n }], 5_000n)).to.equal("kept");
      expect(promiseStatus(promise, [{ amount: 5_000n, at: 1_999n }], 2_500n)).to.equal("kept");
    });

    it("is broken after dueBy when they do not: too little, too early, or too late", function () {
      expect(promiseStatus(promise, [{ amount: 999n, at: 1_500n }], 2_001n)).to.equal("broken");
      expect(promiseStatus(promise, [{ amount: 1_000n, at: 999n }], 2_001n)).to.equal("broken");
      expect(promiseStatus(promise, [{ amount: 1_000n, at: 2_001n }], 3_000n)).to.equal("broken");
      expect(promiseStatus(promise, [], 2_001n)).to.equal("broken");
    });

    it("is pending until dueBy has passed (asOf == dueBy still pending); later repayments are not yet known", function () {
      expect(promiseStatus(promise, [], 2_000n)).to.equal("pending");
      expect(promiseStatus(promise, [{ amount: 500n, at: 1_200n }], 1_500n)).to.equal("pending");
      expect(promiseStatus(promise, [{ amount: 1_000n, at: 1_800n }], 1_500n)).to.equal("pending");
      expect(promiseStatus(promise, [{ amount: 1_000n, at: 1_800n }], 1_800n)).to.equal("kept");
    });

    it("refuses a non-positive amount, dueBy before madeAt, a negative repayment", function () {
      expect(() => promiseStatus({ ...promise, amount: 0n }, [], 0n)).to.throw(InvalidArgumentError, "promise.amount");
      expect(() => promiseStatus({ ...promise, dueBy: 999n }, [], 0n)).to.throw(InvalidArgumentError, "promise.dueBy");
      expect(() => promiseStatus(promise, [{ amount: -1n, at: 1_500n }], 1_600n)).to.throw(InvalidArgumentError, "repayment.amount");
    });

    it("property: kept iff the in-window repayments known by asOf cover it; never kept -> pending after more time passes", function () {
      const repayment = fc.record({ amount: fc.bigInt({ min: 0n, max: 600n }), at: fc.bigInt({ min: 0n, max: 3_000n }) });
      fc.assert(
        fc.property(fc.array(repayment, { maxLength: 6 }), fc.bigInt({ min: 0n, max: 3_000n }), (repayments: PromiseRepayment[], asOf) => {
          const inWindow = repayments.filter((r) => r.at >= promise.madeAt && r.at <= promise.dueBy && r.at <= asOf).reduce((s, r) => s + r.amount, 0n);
          const status = promiseStatus(promise, repayments, asOf);
          const expected = inWindow >= promise.amount ? "kept" : asOf > promise.dueBy ? "broken" : "pending";
          // Order of repayments never matters, and a kept promise stays kept.
          return status === expected
            && promiseStatus(promise, [...repayments].reverse(), asOf) === status
            && (status !== "kept" || promiseStatus(promise, repayments, asOf + 1_000n) === "kept");
        }),
        { numRuns: 500 },
      );
    });
  });
});
