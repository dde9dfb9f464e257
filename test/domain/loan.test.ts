import { expect } from "chai";
import {
  Bucket,
  Classification,
  DAY,
  DEFAULT_POLICY,
  InvalidPaymentTimeError,
  InvalidPolicyError,
  LoanNotActiveError,
  LoanNotOpenError,
  LoanStatus,
  OverpaymentError,
  PrincipalMismatchError,
  ZeroAmountError,
  ZeroPrincipalError,
  applyRepayment,
  chargeOff,
  newLoan,
  parseIsoDate,
  poke,
  restructure,
  statusAt,
  writeOff,
  type Installment,
  type LoanState,
  type LoanTerms,
} from "../../src/domain";

// Registered 2025-01-01 10:00 UTC; due 2025-02-01 and 2025-03-01 (28 days apart).
const T0 = parseIsoDate("2025-01-01") + 10n * 3600n;
const D1 = parseIsoDate("2025-02-01");
const D2 = parseIsoDate("2025-03-01");
const days = (n: number) => BigInt(n) * DAY;
const schedule: Installment[] = [
  { dueDate: D1, principal: 500_000n, interest: 10_000n },
  { dueDate: D2, principal: 500_000n, interest: 10_000n },
];
// 1825 bps a year = 5 bps a day; cap room 3650 bps = 10 bps a day; fee 1,000; grace 3 days.
const terms: LoanTerms = {
  principal: 1_000_000n,
  contractRateBps: 1_200,
  penaltyRateBps: 1_825,
  lateFee: 1_000n,
  capRoomBps: 3_650,
  graceDays: 3,
  registeredAt: T0,
};
const policy = { ...DEFAULT_POLICY, penaltyRateBps: 1_825, lateFee: 1_000n };
const fresh = () => newLoan(schedule, terms, policy);
const pay = (s: LoanState, amount: bigint, at: bigint) => applyRepayment(s, amount, at, at);

describe("domain/loan", function () {
  describe("registration", function () {
    it("starts Active, Normal, cursor 0, checkpoint at registration", function () {
      const s = fresh();
      expect(s).to.deep.include({ cursor: 0, paid: 0n, status: LoanStatus.Active, classification: Classification.Normal, lastPaidAt: T0 });
      expect(statusAt(s, T0)).to.deep.include({ dpd: 0n, outstandingPrincipal: 1_000_000n, outstandingInterest: 20_000n, nextDueDate: D1 });
    });

    it("rejects a bad schedule, a zero principal or a bad policy", function () {
      expect(() => newLoan(schedule, { ...terms, principal: 999_999n }, policy)).to.throw(PrincipalMismatchError);
      expect(() => newLoan(schedule, { ...terms, principal: 0n }, policy)).to.throw(ZeroPrincipalError);
      expect(() => newLoan(schedule, terms, { ...policy, reminderOffsetsDays: [1, 1] })).to.throw(InvalidPolicyError);
      expect(() => newLoan(schedule, terms, { ...policy, doubtfulAfterDays: 90 })).to.throw(InvalidPolicyError);
      expect(() => newLoan(schedule, terms, { ...policy, graceDays: 91 })).to.throw(InvalidPolicyError);
    });
  });

  describe("penalty accrual and partial payments (hand-checked)", function () {
    it("accrues on the unpaid amount per penalty day and keeps it across a partial payment", function () {
      let s = fresh();
      // D1 + 10 days: 10 days late, 7 penalty days. U = 510,000 x 7 = 3,570,000.
      // 3,570,000 x 1825 / 3,650,000 = 1,785 (+ fee 1,000) = 2,785 < cap 3,570.
      expect(statusAt(s, D1 + days(10))).to.deep.include({
        dpd: 10n, bucket: Bucket.M1, classification: Classification.SpecialMention,
        amountOverdue: 510_000n, penaltyOutstanding: 2_785n, nextDueAmount: 510_000n,
      });
      const r = pay(s, 100_000n, D1 + days(10));
      // Waterfall: penalty 2,785, interest 10,000, principal 87,215.
      expect(r.breakdown).to.deep.equal({
        penalty: 2_785n, interest: 10_000n, principal: 87_215n, installmentsSettled: 0, cursorAfter: 0, recovery: false, closed: false,
      });
      s = r.state;
      // D1 + 20 days: U = 3,570,000 + 412,785 x 10 = 7,697,850 -> 3,848.925 -> 3,849 + 1,000 = 4,849; paid 2,785.
      expect(statusAt(s, D1 + days(20))).to.deep.include({ dpd: 20n, amountOverdue: 412_785n, penaltyOutstanding: 2_064n });
      const r2 = pay(s, 2_064n + 412_785n, D1 + days(20));
      expect(r2.breakdown).to.deep.include({ penalty: 2_064n, interest: 0n, principal: 412_785n, installmentsSettled: 1, cursorAfter: 1 });
      // D2 = D1 + 28 days: nothing overdue any more.
      expect(statusAt(r2.state, D1 + days(20))).to.deep.include({ dpd: 0n, penaltyOutstanding: 0n, amountOverdue: 0n, nextDueDate: D2 });
    });

    it("applies a payment smaller than the penalty to the penalty only", function () {
      const r = pay(fresh(), 1_000n, D1 + days(10));
      expect(r.breakdown).to.deep.include({ penalty: 1_000n, interest: 0n, principal: 0n });
      expect(statusAt(r.state, D1 + days(10)).penaltyOutstanding).to.equal(1_785n);
    });

    it("caps the penalty, late fee included", function () {
      // D2 + 5 days on installment 1 alone: U = 510,000 x 2 = 1,020,000 -> 510 + 1,000 = 1,510 > cap 1,020.
      let s = pay(fresh(), 510_000n, D1).state;
      expect(statusAt(s, D2 + days(5)).penaltyOutstanding).to.equal(1_020n);
      // Payoff = 1,020 + 510,000; one unit more is refused with the excess.
      expect(() => pay(s, 511_021n, D2 + days(5)))
        .to.throw(OverpaymentError)
        .with.property("excess", 1n);
      const r = pay(s, 511_020n, D2 + days(5));
      s = r.state;
      expect(r.breakdown).to.deep.include({ penalty: 1_020n, closed: true, cursorAfter: 2 });
      expect(s.status).to.equal(LoanStatus.Closed);
      expect(statusAt(s, D2 + days(400))).to.deep.include({ dpd: 0n, classification: Classification.Normal, nextDueDate: null, outstandingPrincipal: 0n });
    });
  });

  describe("waterfall", function () {
    it("pays oldest first: penalty, interest, principal, then the next installment", function () {
      // D2 + 10: inst 0 is 38 days late (35 penalty days): 17,850,000 -> 8,925 + 1,000 = 9,925;
      // inst 1 is 10 days late (7): 2,785. DPD 38 -> M2.
      const before = statusAt(fresh(), D2 + days(10));
      expect(before).to.deep.include({ dpd: 38n, bucket: Bucket.M2, penaltyOutstanding: 12_710n, amountOverdue: 1_020_000n });
      const r = pay(fresh(), 600_000n, D2 + days(10));
      // inst 0: 9,925 + 10,000 + 500,000; inst 1: 2,785 + 10,000 + 67,290.
      expect(r.breakdown).to.deep.include({ penalty: 12_710n, interest: 20_000n, principal: 567_290n, installmentsSettled: 1, cursorAfter: 1 });
      expect(statusAt(r.state, D2 + days(10))).to.deep.include({ nextDueAmount: 432_710n, penaltyOutstanding: 0n, dpd: 10n });
    });

    it("prepays the next installment's interest, then principal", function () {
      const r = pay(fresh(), 515_000n, T0 + DAY);
      expect(r.breakdown).to.deep.include({ penalty: 0n, interest: 15_000n, principal: 500_000n, installmentsSettled: 1, cursorAfter: 1 });
      expect(statusAt(r.state, T0 + DAY)).to.deep.include({ nextDueAmount: 505_000n, outstandingPrincipal: 500_000n, outstandingInterest: 5_000n });
    });

    it("refuses zero, bad times and closed or written-off loans", function () {
      const s = fresh();
      expect(() => pay(s, 0n, D1)).to.throw(ZeroAmountError);
      expect(() => pay(s, 1n, T0 - 1n)).to.throw(InvalidPaymentTimeError);
      expect(() => applyRepayment(s, 1n, D1 + 1n, D1)).to.throw(InvalidPaymentTimeError);
      const later = pay(s, 1n, D1).state;
      // Block time never goes back behind the last payment (chain time is monotonic).
      expect(() => applyRepayment(later, 1n, D1, D1 - 1n)).to.throw(InvalidPaymentTimeError);
      expect(() => pay(writeOff(s), 1n, D1)).to.throw(LoanNotOpenError);
      const closed = pay(s, 1_020_000n, D1).state;
      expect(() => pay(closed, 1n, D1)).to.throw(LoanNotOpenError);
    });

    // Issue 13 item 15: a third party's on-chain payment must not block the lender's attestation of
    // money received earlier. The attestation is applied at max(paidAt, last payment time).
    it("applies an attestation dated before the last payment at the last payment's time", function () {
      // D1 + 10d: 7 penalty days, U = 510,000 x 7 = 3,570,000, penalty halfUp(U / 2,000) + 1,000 = 2,785;
      // a stranger's 1 goes to it.
      const thirdParty = pay(fresh(), 1n, D1 + days(10));
      expect(thirdParty.breakdown).to.deep.include({ penalty: 1n, interest: 0n, principal: 0n });
      // The bank received 512,784 at D1 + 5d; the lender attests it at D1 + 12d.
      const attested = applyRepayment(thirdParty.state, 512_784n, D1 + days(5), D1 + days(12));
      expect(attested.breakdown).to.deep.include({ penalty: 2_784n, interest: 10_000n, principal: 500_000n, cursorAfter: 1 });
      // Exactly what the same money dated D1 + 10d would have done, and the checkpoint stays there.
      const sameTime = applyRepayment(thirdParty.state, 512_784n, D1 + days(10), D1 + days(12));
      expect(attested.state).to.deep.equal(sameTime.state);
      expect(attested.breakdown).to.deep.equal(sameTime.breakdown);
      expect(attested.state.lastPaidAt).to.equal(D1 + days(10));
    });

    it("bounds paidAt by the start of the current schedule version, not by the last payment", function () {
      const s = pay(fresh(), 1_000n, D1 - days(1)).state;
      expect(pay(s, 1n, D1).state.lastPaidAt).to.equal(D1);
      expect(applyRepayment(s, 1n, T0, D1).breakdown).to.deep.include({ interest: 1n });
      expect(() => applyRepayment(s, 1n, T0 - 1n, D1))
        .to.throw(InvalidPaymentTimeError)
        .that.deep.includes({ at: T0 - 1n, earliest: T0, latest: D1 });
      const at = D1 + days(2);
      const v2 = restructure(s, [{ dueDate: D2 + days(30), principal: 1_000_000n, interest: 5_000n }], at).state;
      expect(applyRepayment(v2, 1n, at, at + DAY).state.lastPaidAt).to.equal(at);
      expect(() => applyRepayment(v2, 1n, at - 1n, at + DAY))
        .to.throw(InvalidPaymentTimeError)
        .that.deep.includes({ at: at - 1n, earliest: at, latest: at + DAY });
    });

    it("overpayment beyond the full payoff applies nothing and reports the excess", function () {
      const s = fresh();
      const err = (() => {
        try {
          pay(s, 1_020_123n, T0 + DAY);
        } catch (e) {
          return e as OverpaymentError;
        }
        throw new Error("expected OverpaymentError");
      })();
      expect(err).to.be.instanceOf(OverpaymentError);
      expect(err).to.deep.include({ amount: 1_020_123n, excess: 123n });
      expect(s.cursor).to.equal(0);
    });
  });

  describe("poke", function () {
    it("emits reminders, assessment, classification and default in that order, once", function () {
      let s = fresh();
      let r = poke(s, D1 - days(3) - 1n);
      expect(r.events).to.deep.equal([]);
      r = poke(r.state, D1 - days(3));
      expect(r.events).to.deep.equal([{ type: "reminder", installment: 0, stage: 0, offsetDays: -3, dueDate: D1, dpd: 0n }]);
      // D1 + 8: 5 penalty days, U = 2,550,000 -> 1,275 + 1,000 = 2,275.
      r = poke(r.state, D1 + days(8));
      expect(r.events).to.deep.equal([
        { type: "reminder", installment: 0, stage: 1, offsetDays: 1, dueDate: D1, dpd: 8n },
        { type: "reminder", installment: 0, stage: 2, offsetDays: 7, dueDate: D1, dpd: 8n },
        { type: "penaltyAssessed", installment: 0, penaltyOutstanding: 2_275n, dpd: 8n },
        { type: "classificationChanged", from: Classification.Normal, to: Classification.SpecialMention, dpd: 8n },
      ]);
      expect(poke(r.state, D1 + days(8)).events).to.deep.equal([]);
      expect(poke(r.state, D1 + days(9) - 1n).events).to.deep.equal([]);
      s = r.state;
      r = poke(s, D1 + days(91));
      expect(r.events.map((e) => e.type)).to.deep.equal([
        "reminder", "reminder", "reminder", "reminder", "penaltyAssessed", "classificationChanged", "defaulted",
      ]);
      expect(r.events.filter((e) => e.type === "reminder").map((e) => (e as { stage: number }).stage)).to.deep.equal([3, 4, 5, 6]);
      expect(r.events.at(-2)).to.deep.equal({ type: "classificationChanged", from: Classification.SpecialMention, to: Classification.Substandard, dpd: 91n });
      expect(r.events.at(-1)).to.deep.equal({ type: "defaulted", installment: 0, dpd: 91n });
      const again = poke(r.state, D1 + days(271)); // Doubtful above 270
      expect(again.events.map((e) => e.type)).to.deep.equal(["penaltyAssessed", "classificationChanged"]);
      expect(again.state.defaulted).to.equal(true);
    });

    it("restarts reminders for the next installment and skips those of a settled one", function () {
      const s = pay(fresh(), 510_000n, D1 - days(10)).state;
      expect(poke(s, D1 + days(8)).events).to.deep.equal([]);
      expect(poke(s, D2 - days(3)).events).to.deep.equal([{ type: "reminder", installment: 1, stage: 0, offsetDays: -3, dueDate: D2, dpd: 0n }]);
    });

    it("does nothing on a written-off or closed loan", function () {
      const w = writeOff(poke(fresh(), D1 + days(5)).state);
      expect(poke(w, D1 + days(100)).events).to.deep.equal([]);
      expect(statusAt(w, D1 + days(1)).classification).to.equal(Classification.Loss);
    });

    it("repayments record the classification at block time", function () {
      const s = poke(fresh(), D1 + days(8)).state;
      expect(s.classification).to.equal(Classification.SpecialMention);
      // Received on D1 - 1 (on time), recorded at D1 + 8: cursor moves to inst 1, not yet due.
      const r = applyRepayment(s, 510_000n, D1 - DAY, D1 + days(8));
      expect(r.events).to.deep.equal([{ type: "classificationChanged", from: Classification.SpecialMention, to: Classification.Normal, dpd: 0n }]);
      expect(r.state.classification).to.equal(Classification.Normal);
      // A payment of penalties resets the assessment.
      const p = poke(fresh(), D1 + days(8)).state;
      expect(p.penaltyAssessed).to.equal(2_275n);
      expect(pay(p, 10n, D1 + days(8)).state.penaltyAssessed).to.equal(0n);
    });
  });

  describe("charge-off and write-off", function () {
    it("charge-off keeps the loan open; payments are recoveries; full payoff closes it", function () {
      const c = chargeOff(fresh());
      expect(c.status).to.equal(LoanStatus.ChargedOff);
      expect(() => chargeOff(c)).to.throw(LoanNotActiveError);
      const r = pay(c, 100n, D1);
      expect(r.breakdown.recovery).to.equal(true);
      const payoff = statusAt(r.state, D1 + DAY);
      const done = pay(r.state, payoff.penaltyOutstanding + payoff.outstandingPrincipal + payoff.outstandingInterest, D1 + DAY);
      expect(done.breakdown).to.deep.include({ recovery: true, closed: true });
      expect(done.state.status).to.equal(LoanStatus.Closed);
      expect(() => writeOff(done.state)).to.throw(LoanNotOpenError);
    });

    it("write-off is terminal", function () {
      const w = writeOff(chargeOff(fresh()));
      expect(w.status).to.equal(LoanStatus.WrittenOff);
      expect(() => writeOff(w)).to.throw(LoanNotOpenError);
      expect(() => chargeOff(w)).to.throw(LoanNotActiveError);
    });
  });

  describe("restructuring and observation", function () {
    const R = D1 + days(40);
    const plan = (principals: [bigint, bigint, bigint]): Installment[] => [
      { dueDate: R + days(30), principal: principals[0], interest: 5_000n },
      { dueDate: R + days(60), principal: principals[1], interest: 5_000n },
      { dueDate: R + days(400), principal: principals[2], interest: 5_000n },
    ];

    it("replaces interest, forgives penalties and restarts the cursor under observation", function () {
      const s = poke(fresh(), R).state;
      const before = statusAt(s, R);
      expect(before.penaltyOutstanding > 0n).to.equal(true);
      expect(() => restructure(s, plan([300_000n, 300_000n, 300_000n]), R)).to.throw(PrincipalMismatchError);
      expect(() => restructure(chargeOff(s), plan([300_000n, 300_000n, 400_000n]), R)).to.throw(LoanNotActiveError);
      const r = restructure(s, plan([300_000n, 300_000n, 400_000n]), R);
      expect(r).to.deep.include({ outstandingPrincipal: 1_000_000n, replacedInterest: 20_000n, forgivenPenalty: before.penaltyOutstanding });
      expect(r.state).to.deep.include({ cursor: 0, observation: true, onTimeStreak: 0, restructuredAt: R, reminderStage: 0, penaltyAssessed: 0n, defaulted: false });
      expect(statusAt(r.state, R)).to.deep.include({ dpd: 0n, penaltyOutstanding: 0n, outstandingInterest: 15_000n });
      // The recorded classification stays until the next poke.
      expect(r.state.classification).to.equal(Classification.SpecialMention);
      expect(poke(r.state, R).events).to.deep.equal([
        { type: "classificationChanged", from: Classification.SpecialMention, to: Classification.Normal, dpd: 0n },
      ]);
    });

    it("ends observation after two on-time installments, a year and nothing overdue", function () {
      let s = restructure(fresh(), plan([300_000n, 300_000n, 400_000n]), R).state;
      s = pay(s, 305_000n, R + days(30)).state; // due date itself: daysLate 0
      expect(s.onTimeStreak).to.equal(1);
      s = pay(s, 305_000n, R + days(60)).state;
      expect(s.onTimeStreak).to.equal(2);
      expect(poke(s, R + days(365) - 1n).events).to.deep.equal([]);
      const r = poke(s, R + days(365));
      expect(r.events).to.deep.equal([{ type: "observationEnded" }]);
      expect(r.state.observation).to.equal(false);
      expect(poke(r.state, R + days(366)).events).to.deep.equal([]);
    });

    it("a late installment resets the streak", function () {
      let s = restructure(fresh(), plan([300_000n, 300_000n, 400_000n]), R).state;
      s = pay(s, 305_000n, R + days(30)).state;
      s = pay(s, 305_000n + 2_000n, R + days(61)).state; // one day late (inside grace: no penalty)
      expect(s.onTimeStreak).to.equal(0);
      expect(poke(s, R + days(366)).events).to.deep.equal([]);
    });

    it("a repayment recorded after the year can end observation", function () {
      let s = restructure(fresh(), plan([300_000n, 300_000n, 400_000n]), R).state;
      s = pay(s, 305_000n, R + days(30)).state;
      const r = applyRepayment(s, 305_000n, R + days(59), R + days(370));
      expect(r.events).to.deep.equal([{ type: "observationEnded" }]);
    });
  });
});
