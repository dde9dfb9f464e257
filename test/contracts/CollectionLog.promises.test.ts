import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY } from "./helpers/fixtures";
import type { Address, Hex } from "viem";
import { Channel, Flag, Kind, actionHash, actionsRecorded, nextHead, overdueCollectionFixture, promiseCommitment, type Action } from "./helpers/collection";

describe("CollectionLog: promises to pay", function () {
  /** overdueCollectionFixture (DPD 70) at 04:00 UTC = 12:00 in the borrower's UTC+8. */
  async function promiseFixture() {
    const f = await overdueCollectionFixture();
    const latest = BigInt(await time.latest());
    await time.increaseTo((latest / DAY + 1n) * DAY + 4n * 3_600n);
    return f;
  }

  it("appends a PromiseToPay action (channel Other, outcome 0, occurredAt = block time) committing to amount, dueBy and artifact", async function () {
    const { log, collector, loanId } = await loadFixture(promiseFixture);
    const now = BigInt(await time.latest()) + 10n;
    const [amount, dueBy, artifact] = [1_060_000_000n, now + 14n * DAY, ethers.id("call-recording.ogg") as Hex];
    const commitment = promiseCommitment(amount, dueBy, artifact);
    const [head0] = await log.trailOf(loanId);
    const action: Action = {
      loanId,
      seq: 1n,
      collector: collector.address as Address,
      channel: Channel.Other,
      kind: Kind.PromiseToPay,
      outcome: 0,
      occurredAt: now,
      evidenceHash: commitment,
    };
    const head = nextHead(head0 as Hex, actionHash(action));
    await time.setNextBlockTimestamp(now);
    const tx = log.connect(collector).recordPromise(loanId, amount, dueBy, artifact);
    await expect(tx)
      .to.emit(log, "ActionRecorded")
      .withArgs(loanId, 1n, collector.address, Channel.Other, Kind.PromiseToPay, 0, now, commitment, 0, head);
    await expect(tx).to.emit(log, "PromiseRecorded").withArgs(loanId, 1n, amount, dueBy, artifact);
    expect(await log.trailOf(loanId)).to.deep.equal([head, 1n]);
  });

  it("returns the sequence number and continues the trail", async function () {
    const { log, collector, loanId } = await loadFixture(promiseFixture);
    const now = BigInt(await time.latest());
    await log.connect(collector).recordAction(loanId, Channel.Call, Kind.ContactMade, 200, now, ethers.id("call"));
    expect(await log.connect(collector).recordPromise.staticCall(loanId, 5n, now + DAY, ethers.ZeroHash)).to.equal(2n);
    const tx = await log.connect(collector).recordPromise(loanId, 5n, now + DAY, ethers.ZeroHash);
    await expect(tx).to.emit(log, "PromiseRecorded").withArgs(loanId, 2n, 5n, now + DAY, ethers.ZeroHash);
    expect((await log.trailOf(loanId)).count).to.equal(2n);
  });

  it("is flagged like any contact (here: outside hours), never refused", async function () {
    const { log, collector, loanId } = await loadFixture(promiseFixture);
    // 14:00 UTC = 22:00 in UTC+8.
    const latest = BigInt(await time.latest());
    const late = (latest / DAY) * DAY + 14n * 3_600n;
    await time.setNextBlockTimestamp(late);
    const tx = await log.connect(collector).recordPromise(loanId, 1n, late + DAY, ethers.ZeroHash);
    expect((await actionsRecorded(log, tx)).map((e) => Number(e.args.flags))).to.deep.equal([Flag.OutsideHours]);
  });

  it("accepts dueBy one second after now and refuses dueBy = now with CollectionLogPromiseDueInPast(dueBy, now)", async function () {
    const { log, collector, loanId } = await loadFixture(promiseFixture);
    const now = BigInt(await time.latest()) + 10n;
    await time.setNextBlockTimestamp(now);
    await expect(log.connect(collector).recordPromise(loanId, 1n, now, ethers.ZeroHash))
      .to.be.revertedWithCustomError(log, "CollectionLogPromiseDueInPast")
      .withArgs(now, now);
    const later = now + 10n;
    await time.setNextBlockTimestamp(later);
    await expect(log.connect(collector).recordPromise(loanId, 1n, later - DAY, ethers.ZeroHash))
      .to.be.revertedWithCustomError(log, "CollectionLogPromiseDueInPast")
      .withArgs(later - DAY, later);
    const last = later + 10n;
    await time.setNextBlockTimestamp(last);
    await expect(log.connect(collector).recordPromise(loanId, 1n, last + 1n, ethers.ZeroHash)).to.emit(log, "PromiseRecorded");
  });

  it("refuses a zero amount", async function () {
    const { log, collector, loanId } = await loadFixture(promiseFixture);
    const now = BigInt(await time.latest());
    await expect(log.connect(collector).recordPromise(loanId, 0n, now + DAY, ethers.ZeroHash)).to.be.revertedWithCustomError(log, "CollectionLogZeroAmount");
  });

  it("refuses a collector not assigned to the loan", async function () {
    const { log, collector, unassignedCollector, lender, loanId, otherLoanId } = await loadFixture(promiseFixture);
    const now = BigInt(await time.latest());
    await expect(log.connect(unassignedCollector).recordPromise(loanId, 1n, now + DAY, ethers.ZeroHash))
      .to.be.revertedWithCustomError(log, "CollectionLogNotAssigned")
      .withArgs(loanId, unassignedCollector.address);
    await expect(log.connect(collector).recordPromise(otherLoanId, 1n, now + DAY, ethers.ZeroHash))
      .to.be.revertedWithCustomError(log, "CollectionLogNotAssigned")
      .withArgs(otherLoanId, collector.address);
    await expect(log.connect(lender).recordPromise(loanId, 1n, now + DAY, ethers.ZeroHash))
      .to.be.revertedWithCustomError(log, "CollectionLogNotAssigned")
      .withArgs(loanId, lender.address);
  });
});
