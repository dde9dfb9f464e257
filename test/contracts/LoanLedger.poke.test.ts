import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, WATERFALL_INSTALLMENT, WATERFALL_POLICY, waterfallLoansFixture, type WaterfallFixture } from "./helpers/fixtures";
import { ledgerEventNames, ledgerEvents } from "./helpers/events";

/**
 * Pokes use waterfallLoansFixture (loan 1: three 1,020.00 installments due D1, D1 + 30d, D1 + 60d;
 * grace 3 days; reminders -3/+1/+7/+15/+30/+60/+90; thresholds 90/270/360; default after 90;
 * penalty per installment min(halfUp(U / 2,000) + 1,000,000, floor(U / 1,000)), U = unpaid x penalty days).
 */
describe("LoanLedger: poke", function () {
  const LOAN = 1n;

  async function pokeAt(f: WaterfallFixture, t: bigint, ids: bigint[] = [LOAN]) {
    await time.setNextBlockTimestamp(t);
    return f.ledger.connect(f.keeper).poke(ids);
  }

  describe("reminders", function () {
    it("emits nothing before the first stage's time", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const tx = await pokeAt(f, f.due[0] - 3n * DAY - 1n);
      expect(await ledgerEventNames(f.ledger, tx)).to.deep.equal([]);
    });

    it("emits stage 0 at exactly due - 3 days, and only that", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const tx = await pokeAt(f, f.due[0] - 3n * DAY);
      await expect(tx).to.emit(f.ledger, "ReminderTriggered").withArgs(LOAN, 0, 0, -3, f.due[0], 0);
      expect(await ledgerEventNames(f.ledger, tx)).to.deep.equal(["ReminderTriggered"]);
    });

    it("emits each stage at most once: poking again emits nothing", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await pokeAt(f, f.due[0] - 3n * DAY);
      const again = await pokeAt(f, f.due[0] - 2n * DAY);
      expect(await ledgerEventNames(f.ledger, again)).to.deep.equal([]);
    });

    it("emits stage 1 at due + 1 day, with the DPD", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await pokeAt(f, f.due[0] - 3n * DAY);
      const early = await pokeAt(f, f.due[0] + DAY - 1n);
      await expect(early).to.not.emit(f.ledger, "ReminderTriggered");
      const tx = await pokeAt(f, f.due[0] + DAY);
      await expect(tx).to.emit(f.ledger, "ReminderTriggered").withArgs(LOAN, 0, 1, 1, f.due[0], 1);
    });

    it("emits the missed stages in order on a late poke, all with the current DPD", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const tx = await pokeAt(f, f.due[0] + 15n * DAY);
      const reminders = await ledgerEvents(f.ledger, tx, ["ReminderTriggered"]);
      expect(reminders.map((e) => [e.args.installment, e.args.stage, e.args.offsetDays, e.args.dueDate, e.args.dpd])).to.deep.equal([
        [0n, 0n, -3n, f.due[0], 15n],
        [0n, 1n, 1n, f.due[0], 15n],
        [0n, 2n, 7n, f.due[0], 15n],
        [0n, 3n, 15n, f.due[0], 15n],
      ]);
      // Then stage 4 (+30) only when its time comes.
      const next = await pokeAt(f, f.due[0] + 30n * DAY);
      const later = await ledgerEvents(f.ledger, next, ["ReminderTriggered"]);
      expect(later.map((e) => e.args.stage)).to.deep.equal([4n]);
    });

    it("emits all 15 stages of a policy with the documented maximum of 15 offsets, in order", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const offsets = [-3, ...Array.from({ length: 14 }, (_, k) => k + 1)]; // -3, +1 .. +14
      await f.ledger.connect(f.lender).setPolicy({ ...WATERFALL_POLICY, reminderOffsetsDays: offsets });
      await f.ledger.connect(f.lender).registerLoan(f.tokenParams);
      const tx = await pokeAt(f, f.due[0] + 15n * DAY, [3n]);
      const reminders = await ledgerEvents(f.ledger, tx, ["ReminderTriggered"]);
      expect(reminders.map((e) => [e.args.stage, e.args.offsetDays])).to.deep.equal(offsets.map((o, k) => [BigInt(k), BigInt(o)]));
    });

    it("follows the cursor: a settled installment's later stages are never emitted, the next one's start at 0", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await pokeAt(f, f.due[0] - 3n * DAY);
      await f.ledger.connect(f.borrower).repay(f.tokenLoanId, WATERFALL_INSTALLMENT);
      // Installment 0 was settled before +1 came due: nothing at D1 + 7d (installment 1's stage 0 is at D2 - 3d).
      const quiet = await pokeAt(f, f.due[0] + 7n * DAY);
      expect(await ledgerEventNames(f.ledger, quiet)).to.deep.equal([]);
      const tx = await pokeAt(f, f.due[1] - 3n * DAY);
      await expect(tx).to.emit(f.ledger, "ReminderTriggered").withArgs(LOAN, 1, 0, -3, f.due[1], 0);
    });
  });

  describe("penalty assessment", function () {
    it("emits PenaltyAssessed once penalty days start, and again only when the figure changes", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      // D1 + 3d: within grace, no penalty.
      await expect(await pokeAt(f, f.due[0] + 3n * DAY)).to.not.emit(f.ledger, "PenaltyAssessed");
      // D1 + 4d: 1 penalty day; U = 1,020,000,000: min(510,000 + 1,000,000, 1,020,000) = 1,020,000 (cap).
      await expect(await pokeAt(f, f.due[0] + 4n * DAY)).to.emit(f.ledger, "PenaltyAssessed").withArgs(LOAN, 0, 1_020_000n, 4);
      // Same day, same figure: no event.
      await expect(await pokeAt(f, f.due[0] + 4n * DAY + 3_600n)).to.not.emit(f.ledger, "PenaltyAssessed");
      // D1 + 10d: 7 penalty days; U = 7,140,000,000: 3,570,000 + 1,000,000 = 4,570,000.
      await expect(await pokeAt(f, f.due[0] + 10n * DAY)).to.emit(f.ledger, "PenaltyAssessed").withArgs(LOAN, 0, 4_570_000n, 10);
    });

    it("assesses again after a payment of penalties", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await pokeAt(f, f.due[0] + 10n * DAY);
      // Pay the 4,570,000 penalty and nothing else.
      await f.ledger.connect(f.borrower).repay(f.tokenLoanId, 4_570_000n);
      // D1 + 11d: U = 7,140,000,000 + 1,020,000,000 x 1 = 8,160,000,000: 4,080,000 + 1,000,000 = 5,080,000;
      // 4,570,000 paid, so 510,000 outstanding.
      await expect(await pokeAt(f, f.due[0] + 11n * DAY)).to.emit(f.ledger, "PenaltyAssessed").withArgs(LOAN, 0, 510_000n, 11);
    });
  });

  describe("classification and default", function () {
    it("changes classification at 1, 91, 271 and 361 DPD, and not a day earlier", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const steps: [bigint, [number, number] | null][] = [
        [f.due[0] + DAY - 1n, null], // DPD 0
        [f.due[0] + DAY, [0, 1]], // DPD 1: Normal -> SpecialMention
        [f.due[0] + 90n * DAY, null],
        [f.due[0] + 91n * DAY, [1, 2]], // > 90: Substandard
        [f.due[0] + 270n * DAY, null],
        [f.due[0] + 271n * DAY, [2, 3]], // > 270: Doubtful
        [f.due[0] + 360n * DAY, null],
        [f.due[0] + 361n * DAY, [3, 4]], // > 360: Loss
      ];
      let expected = 0n;
      for (const [t, change] of steps) {
        const tx = await pokeAt(f, t);
        const dpd = t >= f.due[0] ? (t - f.due[0]) / DAY : 0n;
        if (change === null) {
          await expect(tx, `at DPD ${dpd}`).to.not.emit(f.ledger, "ClassificationChanged");
        } else {
          await expect(tx, `at DPD ${dpd}`).to.emit(f.ledger, "ClassificationChanged").withArgs(LOAN, change[0], change[1], dpd);
          expected = BigInt(change[1]);
        }
        expect((await f.ledger.loanState(LOAN)).classification, `at DPD ${dpd}`).to.equal(expected);
      }
      expect(expected).to.equal(4n); // Loss
    });

    it("emits LoanDefaulted once, the first time DPD exceeds defaultAfterDays (90)", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await expect(await pokeAt(f, f.due[0] + 90n * DAY)).to.not.emit(f.ledger, "LoanDefaulted");
      expect((await f.ledger.loanState(LOAN)).defaulted).to.equal(false);
      await expect(await pokeAt(f, f.due[0] + 91n * DAY)).to.emit(f.ledger, "LoanDefaulted").withArgs(LOAN, 0, 91);
      expect((await f.ledger.loanState(LOAN)).defaulted).to.equal(true);
      await expect(await pokeAt(f, f.due[0] + 200n * DAY)).to.not.emit(f.ledger, "LoanDefaulted");
    });

    it("emits everything a first poke at 91 DPD owes, in the documented order", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const tx = await pokeAt(f, f.due[0] + 91n * DAY);
      expect(await ledgerEventNames(f.ledger, tx)).to.deep.equal([
        ...Array(7).fill("ReminderTriggered"), // -3 .. +90 of installment 0
        "PenaltyAssessed",
        "ClassificationChanged",
        "LoanDefaulted",
      ]);
      // Installment 0: 88 penalty days, U = 89,760,000,000: 44,880,000 + 1,000,000 = 45,880,000.
      // Installment 1 (61 days late): 58 days, U = 59,160,000,000: 29,580,000 + 1,000,000 = 30,580,000.
      // Installment 2 (31 days late): 28 days, U = 28,560,000,000: 14,280,000 + 1,000,000 = 15,280,000.
      await expect(tx).to.emit(f.ledger, "PenaltyAssessed").withArgs(LOAN, 0, 91_740_000n, 91);
      await expect(tx).to.emit(f.ledger, "ClassificationChanged").withArgs(LOAN, 0, 2, 91);
    });
  });

  describe("which loans", function () {
    it("skips closed and written-off loans without reverting", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await f.ledger.connect(f.borrower).repay(f.tokenLoanId, 3n * WATERFALL_INSTALLMENT);
      await f.ledger.connect(f.lender).writeOff(f.fiatLoanId);
      const tx = await pokeAt(f, f.due[0] + 100n * DAY, [f.tokenLoanId, f.fiatLoanId]);
      expect(await ledgerEventNames(f.ledger, tx)).to.deep.equal([]);
    });

    it("pokes only the open loans of a batch", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await f.ledger.connect(f.lender).writeOff(f.fiatLoanId);
      const tx = await pokeAt(f, f.due[0] - 3n * DAY, [f.fiatLoanId, f.tokenLoanId]);
      const events = await ledgerEvents(f.ledger, tx);
      expect(events.map((e) => [e.name, e.args.loanId])).to.deep.equal([["ReminderTriggered", f.tokenLoanId]]);
    });

    it("still pokes a charged-off loan", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await f.ledger.connect(f.lender).chargeOff(f.tokenLoanId);
      const tx = await pokeAt(f, f.due[0] + DAY);
      await expect(tx).to.emit(f.ledger, "ReminderTriggered").withArgs(LOAN, 0, 1, 1, f.due[0], 1);
      await expect(tx).to.emit(f.ledger, "ClassificationChanged").withArgs(LOAN, 0, 1, 1);
    });

    it("reverts the whole batch on an unknown id", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await time.setNextBlockTimestamp(f.due[0] - 3n * DAY);
      await expect(f.ledger.poke([LOAN, 3n])).to.be.revertedWithCustomError(f.ledger, "LoanLedgerUnknownLoan").withArgs(3n);
      await expect(f.ledger.poke([0n])).to.be.revertedWithCustomError(f.ledger, "LoanLedgerUnknownLoan").withArgs(0n);
      // Loan 1's stage 0 was not consumed by the reverted batch.
      await expect(f.ledger.poke([LOAN])).to.emit(f.ledger, "ReminderTriggered").withArgs(LOAN, 0, 0, -3, f.due[0], 0);
    });
  });
});
