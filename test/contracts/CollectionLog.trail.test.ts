import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Address, Hex } from "viem";
import { DAY } from "./helpers/fixtures";
import {
  Channel,
  HOUR,
  Kind,
  actionHash,
  actionInput,
  actionsRecorded,
  genesisHead,
  nextHead,
  overdueCollectionFixture,
  type Action,
} from "./helpers/collection";

describe("CollectionLog: actions and the hash chain", function () {
  /** overdueCollectionFixture (DPD 70, no flags for a daytime contact) at 12:00 UTC+8. */
  async function trailFixture() {
    const f = await overdueCollectionFixture();
    // 04:00 UTC is 12:00 in the borrower's UTC+8: inside the default contact hours.
    const latest = BigInt(await time.latest());
    const noon = ((latest / DAY) + 1n) * DAY + 4n * HOUR;
    await time.increaseTo(noon);
    const genesis = genesisHead(f.chainId, f.logAddress, f.loanId);
    return { ...f, noon, genesis };
  }

  describe("trailOf", function () {
    it("is (head_0, 0) before any action, head_0 = keccak256(abi.encode(chainId, log, loanId))", async function () {
      const { log, chainId, logAddress, loanId, otherLoanId, genesis } = await loadFixture(trailFixture);
      expect(await log.trailOf(loanId)).to.deep.equal([genesis, 0n]);
      expect(await log.trailOf(otherLoanId)).to.deep.equal([genesisHead(chainId, logAddress, otherLoanId), 0n]);
      expect(genesisHead(chainId, logAddress, otherLoanId)).to.not.equal(genesis);
    });

    it("starts at head_0 for a loan nobody has been assigned to yet, or that does not exist", async function () {
      const { log, chainId, logAddress } = await loadFixture(trailFixture);
      expect(await log.trailOf(99n)).to.deep.equal([genesisHead(chainId, logAddress, 99n), 0n]);
    });
  });

  describe("recordAction", function () {
    it("numbers actions from 1 and chains head_n = keccak256(abi.encode(head_(n-1), actionHash_n))", async function () {
      const { log, collector, loanId, noon, genesis } = await loadFixture(trailFixture);
      const a1: Action = {
        loanId,
        seq: 1n,
        collector: collector.address as Address,
        channel: Channel.Call,
        kind: Kind.ContactMade,
        outcome: 200,
        occurredAt: noon - HOUR,
        evidenceHash: ethers.id("recording-1") as Hex,
      };
      const a2: Action = { ...a1, seq: 2n, channel: Channel.Sms, kind: Kind.ContactAttempt, outcome: 404, occurredAt: noon - 2n * DAY, evidenceHash: ethers.id("sms-2") as Hex };
      const a3: Action = { ...a1, seq: 3n, channel: Channel.Other, kind: Kind.Note, outcome: 65_535, occurredAt: noon, evidenceHash: ethers.ZeroHash as Hex };
      let head = genesis;
      for (const a of [a1, a2, a3]) {
        const c = log.connect(collector);
        expect(await c.recordAction.staticCall(a.loanId, a.channel, a.kind, a.outcome, a.occurredAt, a.evidenceHash)).to.deep.equal([a.seq, 0n]);
        head = nextHead(head, actionHash(a));
        await expect(c.recordAction(a.loanId, a.channel, a.kind, a.outcome, a.occurredAt, a.evidenceHash))
          .to.emit(log, "ActionRecorded")
          .withArgs(a.loanId, a.seq, a.collector, a.channel, a.kind, a.outcome, a.occurredAt, a.evidenceHash, 0, head);
        expect(await log.trailOf(loanId)).to.deep.equal([head, a.seq]);
      }
    });

    it("keeps one chain per loan: recording on one loan leaves the others at head_0", async function () {
      const { log, collector, loanId, westLoanId, chainId, logAddress, noon, genesis } = await loadFixture(trailFixture);
      await log.connect(collector).recordAction(westLoanId, Channel.Email, Kind.ContactAttempt, 1, noon - 10n * HOUR, ethers.id("mail"));
      expect(await log.trailOf(loanId)).to.deep.equal([genesis, 0n]);
      const west: Action = {
        loanId: westLoanId,
        seq: 1n,
        collector: collector.address as Address,
        channel: Channel.Email,
        kind: Kind.ContactAttempt,
        outcome: 1,
        occurredAt: noon - 10n * HOUR,
        evidenceHash: ethers.id("mail") as Hex,
      };
      expect(await log.trailOf(westLoanId)).to.deep.equal([nextHead(genesisHead(chainId, logAddress, westLoanId), actionHash(west)), 1n]);
    });

    it("can be recomputed from the ActionRecorded events alone", async function () {
      const { log, collector, lender, loanId, noon, genesis } = await loadFixture(trailFixture);
      const second = (await ethers.getSigners())[12];
      await log.connect(lender).assignCollector([loanId], second.address);
      await log.connect(collector).recordAction(loanId, Channel.Call, Kind.ContactAttempt, 486, noon - 3n * DAY, ethers.id("1"));
      await log.connect(second).recordAction(loanId, Channel.Visit, Kind.ContactMade, 0, noon - 1n * DAY, ethers.id("2"));
      await log.connect(collector).recordActions([
        actionInput(loanId, noon - 5n * DAY, { channel: Channel.Letter, kind: Kind.LegalNotice, evidenceHash: ethers.id("3") }),
        actionInput(loanId, noon - 1n, { channel: Channel.AppPush, kind: Kind.PlanOffer, evidenceHash: ethers.id("4") }),
      ]);
      await log.connect(collector).recordPromise(loanId, 1_000n, noon + 10n * DAY, ethers.id("5"));
      const events = await log.queryFilter(log.filters.ActionRecorded(loanId));
      expect(events.length).to.equal(5);
      let head = genesis;
      for (const e of events) {
        const a = e.args;
        head = nextHead(
          head,
          actionHash({
            loanId: a.loanId,
            seq: a.seq,
            collector: a.collector as Address,
            channel: Number(a.channel),
            kind: Number(a.kind),
            outcome: Number(a.outcome),
            occurredAt: a.occurredAt,
            evidenceHash: a.evidenceHash as Hex,
          }),
        );
        expect(a.head).to.equal(head);
      }
      expect(await log.trailOf(loanId)).to.deep.equal([head, 5n]);
    });

    it("accepts occurredAt = now and occurredAt = now - 7 days (the default window)", async function () {
      const { log, collector, loanId } = await loadFixture(trailFixture);
      const t = BigInt(await time.latest()) + 100n;
      await time.setNextBlockTimestamp(t);
      await expect(log.connect(collector).recordAction(loanId, Channel.Other, Kind.Note, 0, t, ethers.ZeroHash)).to.emit(log, "ActionRecorded");
      await time.setNextBlockTimestamp(t + 1n);
      await expect(log.connect(collector).recordAction(loanId, Channel.Other, Kind.Note, 0, t + 1n - 7n * DAY, ethers.ZeroHash)).to.emit(
        log,
        "ActionRecorded",
      );
      expect((await log.trailOf(loanId)).count).to.equal(2n);
    });

    it("refuses an occurredAt in the future with CollectionLogOccurredInFuture(occurredAt, now)", async function () {
      const { log, collector, loanId } = await loadFixture(trailFixture);
      const t = BigInt(await time.latest()) + 100n;
      await time.setNextBlockTimestamp(t);
      await expect(log.connect(collector).recordAction(loanId, Channel.Call, Kind.ContactMade, 200, t + 1n, ethers.ZeroHash))
        .to.be.revertedWithCustomError(log, "CollectionLogOccurredInFuture")
        .withArgs(t + 1n, t);
    });

    it("refuses an occurredAt older than the window with CollectionLogOccurredTooLongAgo(occurredAt, earliest)", async function () {
      const { log, collector, loanId } = await loadFixture(trailFixture);
      const t = BigInt(await time.latest()) + 100n;
      await time.setNextBlockTimestamp(t);
      const earliest = t - 7n * DAY;
      await expect(log.connect(collector).recordAction(loanId, Channel.Call, Kind.ContactMade, 200, earliest - 1n, ethers.ZeroHash))
        .to.be.revertedWithCustomError(log, "CollectionLogOccurredTooLongAgo")
        .withArgs(earliest - 1n, earliest);
    });

    it("accepts the last channel (Other = 7) and kind (Note = 6) and refuses channel 8 and kind 7", async function () {
      const { log, collector, loanId, noon } = await loadFixture(trailFixture);
      await expect(log.connect(collector).recordAction(loanId, 7, 6, 0, noon, ethers.ZeroHash)).to.emit(log, "ActionRecorded");
      await expect(log.connect(collector).recordAction(loanId, 8, Kind.Note, 0, noon, ethers.ZeroHash))
        .to.be.revertedWithCustomError(log, "CollectionLogInvalidChannel")
        .withArgs(8);
      await expect(log.connect(collector).recordAction(loanId, 255, Kind.Note, 0, noon, ethers.ZeroHash))
        .to.be.revertedWithCustomError(log, "CollectionLogInvalidChannel")
        .withArgs(255);
      await expect(log.connect(collector).recordAction(loanId, Channel.Other, 7, 0, noon, ethers.ZeroHash))
        .to.be.revertedWithCustomError(log, "CollectionLogInvalidKind")
        .withArgs(7);
      expect((await log.trailOf(loanId)).count).to.equal(1n);
    });

    it("refuses a collector not assigned to the loan: never assigned, assigned elsewhere, or unassigned", async function () {
      const { log, collector, otherCollector, unassignedCollector, stranger, lender, loanId, otherLoanId, noon } = await loadFixture(trailFixture);
      const cases = [
        [collector, otherLoanId],
        [otherCollector, loanId],
        [unassignedCollector, loanId],
        [stranger, loanId],
        [lender, loanId],
      ] as const;
      for (const [who, id] of cases) {
        await expect(log.connect(who).recordAction(id, Channel.Call, Kind.ContactMade, 200, noon, ethers.ZeroHash))
          .to.be.revertedWithCustomError(log, "CollectionLogNotAssigned")
          .withArgs(id, who.address);
      }
    });

    it("logs a Kind Dispute as an open dispute: DisputeFiled by the collector with the evidence hash", async function () {
      const { log, collector, loanId, noon } = await loadFixture(trailFixture);
      const tx = log.connect(collector).recordAction(loanId, Channel.Call, Kind.Dispute, 0, noon, ethers.id("dispute-call"));
      await expect(tx).to.emit(log, "ActionRecorded");
      await expect(tx).to.emit(log, "DisputeFiled").withArgs(loanId, collector.address, ethers.id("dispute-call"));
      expect(await log.disputeOpen(loanId)).to.equal(true);
      // A second Dispute action while one is open is recorded but files nothing new.
      await expect(log.connect(collector).recordAction(loanId, Channel.Call, Kind.Dispute, 0, noon, ethers.id("again"))).to.not.emit(log, "DisputeFiled");
      expect((await log.trailOf(loanId)).count).to.equal(2n);
    });
  });

  describe("recordActions", function () {
    it("records the actions in order, continuing each loan's chain", async function () {
      const { log, collector, loanId, westLoanId, chainId, logAddress, noon, genesis } = await loadFixture(trailFixture);
      await log.connect(collector).recordAction(loanId, Channel.Sms, Kind.ContactAttempt, 0, noon - DAY, ethers.id("first"));
      const inputs = [
        actionInput(loanId, noon - 2n * HOUR, { evidenceHash: ethers.id("b1") }),
        actionInput(westLoanId, noon - 6n * DAY, { channel: Channel.Letter, kind: Kind.LegalNotice, outcome: 3, evidenceHash: ethers.id("b2") }),
        actionInput(loanId, noon - 3n * DAY, { channel: Channel.Email, kind: Kind.PlanOffer, outcome: 7, evidenceHash: ethers.id("b3") }),
      ];
      const tx = await log.connect(collector).recordActions(inputs);
      const events = await actionsRecorded(log, tx);
      const toAction = (i: (typeof inputs)[number], seq: bigint): Action => ({
        loanId: BigInt(i.loanId),
        seq,
        collector: collector.address as Address,
        channel: Number(i.channel),
        kind: Number(i.kind),
        outcome: Number(i.outcome),
        occurredAt: BigInt(i.occurredAt),
        evidenceHash: String(i.evidenceHash) as Hex,
      });
      let head1 = nextHead(
        genesis,
        actionHash({
          loanId,
          seq: 1n,
          collector: collector.address as Address,
          channel: Channel.Sms,
          kind: Kind.ContactAttempt,
          outcome: 0,
          occurredAt: noon - DAY,
          evidenceHash: ethers.id("first") as Hex,
        }),
      );
      head1 = nextHead(head1, actionHash(toAction(inputs[0], 2n)));
      const headWest = nextHead(genesisHead(chainId, logAddress, westLoanId), actionHash(toAction(inputs[1], 1n)));
      head1 = nextHead(head1, actionHash(toAction(inputs[2], 3n)));
      expect(events.map((e) => [e.args.loanId, e.args.seq])).to.deep.equal([
        [loanId, 2n],
        [westLoanId, 1n],
        [loanId, 3n],
      ]);
      expect(events[2].args.head).to.equal(head1);
      expect(await log.trailOf(loanId)).to.deep.equal([head1, 3n]);
      expect(await log.trailOf(westLoanId)).to.deep.equal([headWest, 1n]);
    });

    it("is all or nothing: a bad action in the middle reverts with its error and leaves every trail unchanged", async function () {
      const { log, collector, loanId, westLoanId, otherLoanId, noon } = await loadFixture(trailFixture);
      await log.connect(collector).recordAction(loanId, Channel.Sms, Kind.ContactAttempt, 0, noon - DAY, ethers.id("first"));
      const before = [await log.trailOf(loanId), await log.trailOf(westLoanId)];
      const good = (id: bigint) => actionInput(id, noon - HOUR);
      const bad: ((now: bigint) => [ReturnType<typeof actionInput>, string, unknown[]])[] = [
        () => [actionInput(loanId, noon, { kind: 7 }), "CollectionLogInvalidKind", [7]],
        () => [actionInput(loanId, noon, { channel: 9 }), "CollectionLogInvalidChannel", [9]],
        (now) => [actionInput(loanId, now + 1n), "CollectionLogOccurredInFuture", [now + 1n, now]],
        (now) => [actionInput(loanId, now - 7n * DAY - 1n), "CollectionLogOccurredTooLongAgo", [now - 7n * DAY - 1n, now - 7n * DAY]],
        () => [actionInput(otherLoanId, noon), "CollectionLogNotAssigned", [otherLoanId, collector.address]],
      ];
      for (const make of bad) {
        const now = BigInt(await time.latest()) + 10n;
        const [input, error, args] = make(now);
        await time.setNextBlockTimestamp(now);
        await expect(log.connect(collector).recordActions([good(loanId), good(westLoanId), input, good(loanId)]))
          .to.be.revertedWithCustomError(log, error)
          .withArgs(...args);
      }
      expect([await log.trailOf(loanId), await log.trailOf(westLoanId)]).to.deep.equal(before);
    });

    it("refuses an empty batch", async function () {
      const { log, collector } = await loadFixture(trailFixture);
      await expect(log.connect(collector).recordActions([])).to.be.revertedWithCustomError(log, "CollectionLogEmptyBatch");
    });
  });
});
