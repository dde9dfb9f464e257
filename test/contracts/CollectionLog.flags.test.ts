import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { CollectionLog } from "../../typechain-types";
import { DAY } from "./helpers/fixtures";
import {
  Channel,
  EAST_OFFSET_MINUTES,
  Flag,
  HOUR,
  Kind,
  MINUTE,
  WEST_OFFSET_MINUTES,
  actionInput,
  actionsRecorded,
  collectionLogFixture,
  flagsOf,
  increaseToLocalHour,
  overdueCollectionFixture,
  recordFlags,
} from "./helpers/collection";

/** `today + dayOffset` days at hh:mm borrower-local time, as a UTC timestamp. */
function at(today: bigint, dayOffset: number, hour: number, minute = 0): bigint {
  return today + BigInt(dayOffset) * DAY + BigInt(hour) * HOUR + BigInt(minute) * MINUTE;
}

/** Records `kind` on `channel` and returns its flags (a thin alias to keep the tables short). */
function rec(log: CollectionLog, who: HardhatEthersSigner, loanId: bigint, occurredAt: bigint, channel: number, kind: number): Promise<number> {
  return recordFlags(log, who, loanId, occurredAt, channel, kind);
}

/** Records each occurredAt in turn and returns the flags of each. */
async function flagsSeries(log: CollectionLog, who: HardhatEthersSigner, loanId: bigint, times: bigint[], channel: number, kind: number): Promise<number[]> {
  const out: number[] = [];
  for (const t of times) out.push(await rec(log, who, loanId, t, channel, kind));
  return out;
}

const { Call, Sms, Email, Letter, LawyerLetter, Visit, AppPush, Other } = Channel;
const { ContactAttempt, ContactMade, PromiseToPay, Dispute, PlanOffer, LegalNotice, Note } = Kind;

describe("CollectionLog: compliance flags", function () {
  describe("1: too many connected calls on one borrower-local day", function () {
    it("flags the 4th connected call of a local day but not the 3rd", async function () {
      const { log, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(20, EAST_OFFSET_MINUTES);
      const flags = await flagsSeries(log, collector, loanId, [9, 10, 11, 12, 13].map((h) => at(today, 0, h)), Call, ContactMade);
      expect(flags).to.deep.equal([0, 0, 0, Flag.TooManyConnectedCalls, Flag.TooManyConnectedCalls]);
    });

    it("counts only Kind ContactMade on Channel Call as a connected call", async function () {
      const { log, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(20, EAST_OFFSET_MINUTES);
      const t = at(today, 0, 10);
      expect(await flagsSeries(log, collector, loanId, [t, t, t], Call, ContactMade)).to.deep.equal([0, 0, 0]);
      expect(await rec(log, collector, loanId, t, Call, ContactAttempt)).to.equal(0);
      expect(await rec(log, collector, loanId, t, Call, PlanOffer)).to.equal(0);
      expect(await rec(log, collector, loanId, t, Visit, ContactMade)).to.equal(0);
      expect(await rec(log, collector, loanId, t, Sms, ContactMade)).to.equal(0);
      expect(await rec(log, collector, loanId, t, Call, ContactMade)).to.equal(Flag.TooManyConnectedCalls);
    });

    it("counts per loan: a fourth call on another loan of the same borrower is not flagged", async function () {
      const { log, collector, loanId, westLoanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(20, EAST_OFFSET_MINUTES);
      const t = at(today, 0, 12);
      await flagsSeries(log, collector, loanId, [t, t, t], Call, ContactMade);
      const west = await increaseToLocalHour(14, WEST_OFFSET_MINUTES);
      expect(await rec(log, collector, westLoanId, at(west.today, 0, 10), Call, ContactMade)).to.equal(0);
    });

    it("uses the local day of a negative offset: four calls from 18:00 to 20:30 in UTC-5 span two UTC days yet are one local day", async function () {
      const { log, collector, westLoanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(23, WEST_OFFSET_MINUTES);
      const times = [at(today, 0, 18), at(today, 0, 19), at(today, 0, 20), at(today, 0, 20, 30)];
      // 18:00 UTC-5 is 23:00 UTC, 19:00 is 00:00 UTC the next day.
      expect(((times[0] / DAY) + 1n) * DAY).to.equal(times[1]);
      expect(await flagsSeries(log, collector, westLoanId, times, Call, ContactMade)).to.deep.equal([0, 0, 0, Flag.TooManyConnectedCalls]);
    });

    it("starts a new local day at local midnight even within the same UTC day (UTC+8)", async function () {
      const { log, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(12, EAST_OFFSET_MINUTES);
      const yesterday = [at(today, -1, 10), at(today, -1, 11), at(today, -1, 12)];
      // 00:30 UTC+8 is 16:30 UTC on the same UTC day as 10:00-12:00 UTC+8 the day before.
      const afterMidnight = at(today, 0, 0, 30);
      expect(afterMidnight / DAY).to.equal(yesterday[0] / DAY);
      expect(await flagsSeries(log, collector, loanId, yesterday, Call, ContactMade)).to.deep.equal([0, 0, 0]);
      expect(await rec(log, collector, loanId, afterMidnight, Call, ContactMade)).to.equal(Flag.OutsideHours);
      expect(await rec(log, collector, loanId, at(today, -1, 20, 59), Call, ContactMade)).to.equal(Flag.TooManyConnectedCalls);
    });

    it("counts an out-of-order occurredAt on its own local day", async function () {
      const { log, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(20, EAST_OFFSET_MINUTES);
      expect(await flagsSeries(log, collector, loanId, [at(today, -2, 10), at(today, -2, 11), at(today, -2, 12)], Call, ContactMade)).to.deep.equal([0, 0, 0]);
      expect(await flagsSeries(log, collector, loanId, [at(today, 0, 10), at(today, 0, 11), at(today, 0, 12)], Call, ContactMade)).to.deep.equal([0, 0, 0]);
      // Back to yesterday: its first connected call (4 calls in D-7..D-1).
      expect(await rec(log, collector, loanId, at(today, -1, 10), Call, ContactMade)).to.equal(0);
      // Back two days: the 4th connected call of that day (4 calls in D-8..D-2).
      expect(await rec(log, collector, loanId, at(today, -2, 18), Call, ContactMade)).to.equal(Flag.TooManyConnectedCalls);
      // Today's 4th connected call is also the 9th call in 7 days.
      expect(await rec(log, collector, loanId, at(today, 0, 13), Call, ContactMade)).to.equal(Flag.TooManyConnectedCalls | Flag.TooManyCallAttempts);
    });

    it("saturates a day's counter at 255 without spilling into the previous day", async function () {
      const { log, lender, collector, loanId } = await loadFixture(overdueCollectionFixture);
      await log.connect(lender).setContactPolicy({
        maxConnectedCallsPerDay: 1,
        maxCallAttemptsPer7Days: 7,
        contactStartHour: 8,
        contactEndHour: 21,
        legalStageDpd: 60,
        actionWindowDays: 7,
      });
      const { today } = await increaseToLocalHour(20, EAST_OFFSET_MINUTES);
      const t = at(today, -1, 10);
      const batch = Array.from({ length: 64 }, () => actionInput(loanId, t));
      for (let k = 0; k < 4; ++k) await log.connect(collector).recordActions(batch);
      // 257th and 258th connected calls of the day: the counter stays at 255, still over the limit.
      expect(await rec(log, collector, loanId, t, Call, ContactMade)).to.equal(Flag.TooManyConnectedCalls | Flag.TooManyCallAttempts);
      expect(await rec(log, collector, loanId, t, Call, ContactMade)).to.equal(Flag.TooManyConnectedCalls | Flag.TooManyCallAttempts);
      // The day before has had no call: its first one is within both limits.
      expect(await rec(log, collector, loanId, at(today, -2, 10), Call, ContactMade)).to.equal(0);
      expect((await log.trailOf(loanId)).count).to.equal(259n);
    });
  });

  describe("2: too many call attempts in 7 borrower-local days", function () {
    it("flags the 8th call within the 7 local days ending on the action's day, not the 7th", async function () {
      const { log, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(20, EAST_OFFSET_MINUTES);
      const times = [-6, -5, -4, -3, -2, -1, 0].map((d) => at(today, d, 10));
      expect(await flagsSeries(log, collector, loanId, times, Call, ContactAttempt)).to.deep.equal([0, 0, 0, 0, 0, 0, 0]);
      expect(await rec(log, collector, loanId, at(today, 0, 11), Call, ContactAttempt)).to.equal(Flag.TooManyCallAttempts);
    });

    it("counts connected calls as call attempts, and no other channel or kind", async function () {
      const { log, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(20, EAST_OFFSET_MINUTES);
      await flagsSeries(log, collector, loanId, [-3, -2, -1].map((d) => at(today, d, 10)), Call, ContactMade);
      await flagsSeries(log, collector, loanId, [-3, -2, -1, 0].map((d) => at(today, d, 11)), Call, ContactAttempt);
      const t = at(today, 0, 12);
      for (const [channel, kind] of [
        [Sms, ContactAttempt],
        [Visit, ContactMade],
        [Email, ContactAttempt],
        [AppPush, ContactMade],
        [Call, PlanOffer],
        [Call, PromiseToPay],
        [Call, Note],
      ]) {
        expect(await rec(log, collector, loanId, t, channel, kind), `channel ${channel} kind ${kind}`).to.equal(0);
      }
      expect(await rec(log, collector, loanId, t, Call, ContactMade)).to.equal(Flag.TooManyCallAttempts);
    });

    it("slides: calls 7 local days before the action's day fall out of its window", async function () {
      const { log, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const first = await increaseToLocalHour(20, EAST_OFFSET_MINUTES);
      const dayX = (h: number) => at(first.today, 0, 10, h);
      await flagsSeries(log, collector, loanId, [0, 1, 2, 3, 4, 5, 6].map(dayX), Call, ContactAttempt);
      // A week later, at 20:00 on day X+7.
      await time.increaseTo(at(first.today, 7, 20));
      expect(await rec(log, collector, loanId, at(first.today, 7, 10), Call, ContactAttempt)).to.equal(0);
      // Day X+6's window (X..X+6) still holds day X's seven calls: the 8th.
      expect(await rec(log, collector, loanId, at(first.today, 6, 10), Call, ContactAttempt)).to.equal(Flag.TooManyCallAttempts);
      // Day X+7's window (X+1..X+7) holds two calls plus this one.
      expect(await rec(log, collector, loanId, at(first.today, 7, 11), Call, ContactAttempt)).to.equal(0);
    });

    it("keeps older days across a 10-day gap for an out-of-order call, and forgets them after 14 days", async function () {
      const { log, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const first = await increaseToLocalHour(20, EAST_OFFSET_MINUTES);
      await flagsSeries(log, collector, loanId, [0, 1, 2, 3, 4, 5, 6].map((m) => at(first.today, 0, 10, m)), Call, ContactMade);
      await time.increaseTo(at(first.today, 10, 12));
      expect(await rec(log, collector, loanId, at(first.today, 10, 11), Call, ContactMade)).to.equal(0);
      // Day X+4's window is X-2..X+4: day X's seven calls are in it.
      expect(await rec(log, collector, loanId, at(first.today, 4, 14), Call, ContactAttempt)).to.equal(Flag.TooManyCallAttempts);
      await time.increaseTo(at(first.today, 30, 12));
      expect(await rec(log, collector, loanId, at(first.today, 30, 11), Call, ContactMade)).to.equal(0);
      expect(await rec(log, collector, loanId, at(first.today, 24, 14), Call, ContactMade)).to.equal(0);
    });
  });

  describe("4: outside the contact hours, borrower-local", function () {
    const cases: [number, number, number][] = [
      [7, 59, Flag.OutsideHours],
      [8, 0, 0],
      [20, 59, 0],
      [21, 0, Flag.OutsideHours],
      [0, 0, Flag.OutsideHours],
      [23, 59, Flag.OutsideHours],
    ];

    it("flags 07:59 and 21:00 but not 08:00 and 20:59 in UTC+8 (21:00 local is 13:00 UTC)", async function () {
      const { log, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(12, EAST_OFFSET_MINUTES);
      for (const [h, m, expected] of cases) {
        expect(await rec(log, collector, loanId, at(today, -1, h, m), Sms, ContactAttempt), `${h}:${m}`).to.equal(expected);
      }
    });

    it("flags 07:59 and 21:00 but not 08:00 and 20:59 in UTC-5 (07:59 local is 12:59 UTC, 20:59 is 01:59 UTC)", async function () {
      const { log, collector, westLoanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(12, WEST_OFFSET_MINUTES);
      for (const [h, m, expected] of cases) {
        expect(await rec(log, collector, westLoanId, at(today, -1, h, m), Call, ContactAttempt), `${h}:${m}`).to.equal(expected);
      }
    });

    it("exempts letters and lawyer letters, and non-contacts (Note, Dispute)", async function () {
      const { log, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(12, EAST_OFFSET_MINUTES);
      const t = at(today, -1, 3);
      expect(await rec(log, collector, loanId, t, Letter, ContactAttempt)).to.equal(0);
      expect(await rec(log, collector, loanId, t, Letter, LegalNotice)).to.equal(0);
      expect(await rec(log, collector, loanId, t, LawyerLetter, LegalNotice)).to.equal(0);
      expect(await rec(log, collector, loanId, t, Sms, Note)).to.equal(0);
      expect(await rec(log, collector, loanId, t, Call, Dispute)).to.equal(0);
    });

    it("flags every other channel and every contact kind", async function () {
      const { log, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(12, EAST_OFFSET_MINUTES);
      const t = at(today, -1, 3);
      for (const channel of [Call, Sms, Email, Visit, AppPush, Other]) {
        expect(await rec(log, collector, loanId, t, channel, ContactAttempt), `channel ${channel}`).to.equal(Flag.OutsideHours);
      }
      for (const kind of [ContactMade, PromiseToPay, PlanOffer, LegalNotice]) {
        expect(await rec(log, collector, loanId, t, Email, kind), `kind ${kind}`).to.equal(Flag.OutsideHours);
      }
    });
  });

  describe("8: a contact on a channel the borrower restricted", function () {
    it("flags contacts on the restricted channel only, until the borrower releases it", async function () {
      const { log, borrower, collector, loanId, westLoanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(12, EAST_OFFSET_MINUTES);
      const t = at(today, 0, 10);
      await log.connect(borrower).restrictChannel(loanId, Sms);
      expect(await rec(log, collector, loanId, t, Sms, ContactAttempt)).to.equal(Flag.RestrictedChannel);
      expect(await rec(log, collector, loanId, t, Sms, PlanOffer)).to.equal(Flag.RestrictedChannel);
      expect(await rec(log, collector, loanId, t, Email, ContactAttempt)).to.equal(0);
      expect(await rec(log, collector, loanId, t, Sms, Note)).to.equal(0);
      // Another loan of the same borrower is not restricted.
      const west = at(localWestDay(t), 0, 10);
      expect(await rec(log, collector, westLoanId, west, Sms, ContactAttempt)).to.equal(0);
      await log.connect(borrower).releaseChannel(loanId, Sms);
      expect(await rec(log, collector, loanId, t, Sms, ContactAttempt)).to.equal(0);
    });

    it("flags a promise on a restricted Other channel, and restrictions combine", async function () {
      const { log, borrower, collector, loanId } = await loadFixture(overdueCollectionFixture);
      await increaseToLocalHour(12, EAST_OFFSET_MINUTES);
      await log.connect(borrower).restrictChannel(loanId, Other);
      await log.connect(borrower).restrictChannel(loanId, Call);
      const now = BigInt(await time.latest()) + 1n;
      expect(await flagsOf(log, log.connect(collector).recordPromise(loanId, 100n, now + DAY, ethers.ZeroHash))).to.equal(Flag.RestrictedChannel);
      expect(await rec(log, collector, loanId, now, Call, ContactMade)).to.equal(Flag.RestrictedChannel);
    });
  });

  describe("16: a legal step before the legal stage", function () {
    /** Records at block time `t` (so DPD is read at t) an action that occurred at t. */
    async function recordAt(f: Awaited<ReturnType<typeof collectionLogFixture>>, t: bigint, channel: number, kind: number) {
      await time.setNextBlockTimestamp(t);
      return rec(f.log, f.collector, f.loanId, t, channel, kind);
    }

    it("flags a LegalNotice or anything on LawyerLetter at DPD 59, not at DPD 60 (default legal stage)", async function () {
      const f = await loadFixture(collectionLogFixture);
      const dpd59 = f.firstDue + 60n * DAY - 10n; // floor((t - due) / DAY) = 59
      expect(await recordAt(f, dpd59, Letter, LegalNotice)).to.equal(Flag.LegalBeforeStage);
      expect(await recordAt(f, dpd59 + 1n, LawyerLetter, ContactAttempt)).to.equal(Flag.LegalBeforeStage);
      expect(await recordAt(f, dpd59 + 2n, LawyerLetter, Note)).to.equal(Flag.LegalBeforeStage);
      expect(await recordAt(f, dpd59 + 3n, Letter, ContactAttempt)).to.equal(0);
      const dpd60 = f.firstDue + 60n * DAY;
      expect(await recordAt(f, dpd60, Letter, LegalNotice)).to.equal(0);
      expect(await recordAt(f, dpd60 + 1n, LawyerLetter, ContactAttempt)).to.equal(0);
      expect(await recordAt(f, dpd60 + 2n, LawyerLetter, Note)).to.equal(0);
      expect(await f.ledger.daysPastDue(f.loanId)).to.equal(60n);
    });
  });

  describe("32: a collection contact while nothing is overdue", function () {
    it("flags ContactAttempt, ContactMade, PromiseToPay and LegalNotice at DPD 0; exempts Note, Dispute and PlanOffer", async function () {
      const { log, collector, loanId, ledger } = await loadFixture(collectionLogFixture);
      const { today } = await increaseToLocalHour(12, EAST_OFFSET_MINUTES);
      expect(await ledger.daysPastDue(loanId)).to.equal(0n);
      const t = at(today, 0, 10);
      expect(await rec(log, collector, loanId, t, Sms, ContactAttempt)).to.equal(Flag.NothingOverdue);
      expect(await rec(log, collector, loanId, t, Call, ContactMade)).to.equal(Flag.NothingOverdue);
      expect(await rec(log, collector, loanId, t, Other, PromiseToPay)).to.equal(Flag.NothingOverdue);
      expect(await rec(log, collector, loanId, t, Letter, LegalNotice)).to.equal(Flag.NothingOverdue | Flag.LegalBeforeStage);
      expect(await rec(log, collector, loanId, t, Email, PlanOffer)).to.equal(0);
      expect(await rec(log, collector, loanId, t, Email, Note)).to.equal(0);
      expect(await rec(log, collector, loanId, t, Email, Dispute)).to.equal(0);
    });

    it("flags at DPD 0 one second before the first day late, not at DPD 1", async function () {
      const { log, collector, loanId, firstDue } = await loadFixture(collectionLogFixture);
      await time.setNextBlockTimestamp(firstDue + DAY - 1n);
      expect(await rec(log, collector, loanId, firstDue + DAY - 1n, Letter, ContactAttempt)).to.equal(Flag.NothingOverdue);
      await time.setNextBlockTimestamp(firstDue + DAY);
      expect(await rec(log, collector, loanId, firstDue + DAY, Letter, ContactAttempt)).to.equal(0);
    });

    it("flags again once the borrower has caught up", async function () {
      const { log, ledger, lender, collector, loanId, firstDue } = await loadFixture(collectionLogFixture);
      await time.increaseTo(firstDue + 5n * DAY);
      expect(await rec(log, collector, loanId, firstDue + 5n * DAY, Letter, ContactAttempt)).to.equal(0);
      const t = firstDue + 5n * DAY + 100n;
      await time.setNextBlockTimestamp(t);
      const s = await ledger.loanState(loanId);
      await ledger.connect(lender).recordRepayment(loanId, s.amountOverdue + s.penaltyOutstanding + 1_000_000n, t, ethers.id("bank"));
      expect(await ledger.daysPastDue(loanId)).to.equal(0n);
      expect(await rec(log, collector, loanId, t, Letter, ContactAttempt)).to.equal(Flag.NothingOverdue);
    });
  });

  describe("64: a contact while a dispute is open", function () {
    it("flags contacts after the borrower files a dispute, until the lender resolves it", async function () {
      const { log, borrower, lender, collector, loanId, westLoanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(12, EAST_OFFSET_MINUTES);
      const t = at(today, 0, 10);
      expect(await rec(log, collector, loanId, t, Sms, ContactAttempt)).to.equal(0);
      await log.connect(borrower).fileDispute(loanId, ethers.id("complaint"));
      for (const kind of [ContactAttempt, ContactMade, PromiseToPay, PlanOffer, LegalNotice]) {
        expect(await rec(log, collector, loanId, t, Letter, kind), `kind ${kind}`).to.equal(Flag.DisputeOpen);
      }
      expect(await rec(log, collector, loanId, t, Sms, Note)).to.equal(0);
      expect(await rec(log, collector, loanId, t, Sms, Dispute)).to.equal(0);
      // The other loan of the same borrower is not disputed.
      const west = at(localWestDay(t), 0, 10);
      expect(await rec(log, collector, westLoanId, west, Sms, ContactAttempt)).to.equal(0);
      await log.connect(lender).resolveDispute(loanId, ethers.id("validation"));
      expect(await rec(log, collector, loanId, t, Sms, ContactAttempt)).to.equal(0);
    });

    it("flags contacts after a collector logs a Kind Dispute, the Dispute itself unflagged", async function () {
      const { log, lender, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(12, EAST_OFFSET_MINUTES);
      const t = at(today, 0, 10);
      expect(await rec(log, collector, loanId, t, Call, Dispute)).to.equal(0);
      expect(await rec(log, collector, loanId, t, Call, ContactMade)).to.equal(Flag.DisputeOpen);
      await log.connect(lender).resolveDispute(loanId, ethers.id("validation"));
      expect(await rec(log, collector, loanId, t, Call, ContactMade)).to.equal(0);
    });

    it("applies within a batch: a contact after a Dispute in the same recordActions is flagged", async function () {
      const { log, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const { today } = await increaseToLocalHour(12, EAST_OFFSET_MINUTES);
      const t = at(today, 0, 10);
      const tx = await log
        .connect(collector)
        .recordActions([
          actionInput(loanId, t, { channel: Sms, kind: ContactAttempt }),
          actionInput(loanId, t, { channel: Sms, kind: Dispute }),
          actionInput(loanId, t, { channel: Sms, kind: ContactAttempt }),
        ]);
      expect((await actionsRecorded(log, tx)).map((e) => Number(e.args.flags))).to.deep.equal([0, 0, Flag.DisputeOpen]);
    });
  });

  describe("combinations", function () {
    it("sets several flags as a bitmask, and never refuses the action", async function () {
      const { log, borrower, collector, loanId } = await loadFixture(collectionLogFixture);
      const { today } = await increaseToLocalHour(23, EAST_OFFSET_MINUTES);
      await log.connect(borrower).restrictChannel(loanId, Call);
      await log.connect(borrower).restrictChannel(loanId, Sms);
      await log.connect(borrower).fileDispute(loanId, ethers.id("complaint"));
      const late = [0, 1, 2, 3, 4, 5, 6, 7].map((m) => at(today, 0, 22, m));
      const base = Flag.OutsideHours | Flag.RestrictedChannel | Flag.NothingOverdue | Flag.DisputeOpen; // 108
      expect(await flagsSeries(log, collector, loanId, late, Call, ContactMade)).to.deep.equal([
        base,
        base,
        base,
        base | Flag.TooManyConnectedCalls,
        base | Flag.TooManyConnectedCalls,
        base | Flag.TooManyConnectedCalls,
        base | Flag.TooManyConnectedCalls,
        base | Flag.TooManyConnectedCalls | Flag.TooManyCallAttempts, // 111
      ]);
      expect(await rec(log, collector, loanId, at(today, 0, 22, 30), Sms, LegalNotice)).to.equal(
        Flag.OutsideHours | Flag.RestrictedChannel | Flag.LegalBeforeStage | Flag.NothingOverdue | Flag.DisputeOpen, // 124
      );
      expect((await log.trailOf(loanId)).count).to.equal(9n);
    });
  });
});

/** The UTC-5 local day start of the day containing `t`. */
function localWestDay(t: bigint): bigint {
  const off = BigInt(WEST_OFFSET_MINUTES) * MINUTE;
  return ((t + off) / DAY) * DAY - off;
}
