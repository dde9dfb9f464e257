import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  DAY,
  WATERFALL_INSTALLMENT,
  WATERFALL_INTEREST_PART,
  WATERFALL_MAX_RATE_BPS,
  WATERFALL_POLICY,
  WATERFALL_PRINCIPAL_PART,
  WATERFALL_RATE_BPS,
  waterfallLoansFixture,
  type WaterfallFixture,
} from "./helpers/fixtures";
import { applyRepayment, makeTerms, newLoan, statusAt, type Policy } from "../../src/domain";
import { expectRepaid, shouldBehaveLikeWaterfallRepayment, type RepaymentChannel } from "./helpers/behaviours";

const BANK_REF = ethers.id("ICBC 2026-11-28 #000123");

/** WATERFALL_POLICY as src/domain takes it. */
const WATERFALL_DOMAIN_POLICY: Policy = {
  graceDays: Number(WATERFALL_POLICY.graceDays),
  penaltyRateBps: Number(WATERFALL_POLICY.penaltyRateBps),
  lateFee: BigInt(WATERFALL_POLICY.lateFee),
  reminderOffsetsDays: WATERFALL_POLICY.reminderOffsetsDays.map(Number),
  substandardAfterDays: Number(WATERFALL_POLICY.substandardAfterDays),
  doubtfulAfterDays: Number(WATERFALL_POLICY.doubtfulAfterDays),
  lossAfterDays: Number(WATERFALL_POLICY.lossAfterDays),
  defaultAfterDays: Number(WATERFALL_POLICY.defaultAfterDays),
};

/** `recordRepayment` of the CNY loan by its lender, paidAt = the block time. */
const recordByLender: RepaymentChannel = {
  loanId: (f) => f.fiatLoanId,
  payer: (f) => f.lender,
  async pay(f: WaterfallFixture, amount: bigint, at: bigint) {
    await time.setNextBlockTimestamp(at);
    return f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, amount, at, BANK_REF);
  },
  bankRef: BANK_REF,
  offChain: true,
};

/** The same, recorded by the lender's servicer. */
const recordByServicer: RepaymentChannel = {
  ...recordByLender,
  payer: (f) => f.servicer,
  async pay(f: WaterfallFixture, amount: bigint, at: bigint) {
    await time.setNextBlockTimestamp(at);
    return f.ledger.connect(f.servicer).recordRepayment(f.fiatLoanId, amount, at, BANK_REF);
  },
};

describe("LoanLedger: off-chain repayments (recordRepayment)", function () {
  describe("by the lender", function () {
    shouldBehaveLikeWaterfallRepayment(recordByLender);
  });

  describe("by the lender's servicer", function () {
    shouldBehaveLikeWaterfallRepayment(recordByServicer);
  });

  describe("paidAt", function () {
    it("applies the waterfall at paidAt, not at the block time: the penalty is the one due when the money arrived", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      // Received at D1 + 10d (7 penalty days: 4,570,000, see the waterfall figures), recorded at D1 + 20d,
      // when 17 penalty days would make it 7,070,000.
      const paidAt = f.due[0] + 10n * DAY;
      await time.setNextBlockTimestamp(f.due[0] + 20n * DAY);
      const tx = await f.ledger.connect(f.servicer).recordRepayment(f.fiatLoanId, 524_570_000n, paidAt, BANK_REF);
      await expectRepaid(recordByServicer, f, tx, { amount: 524_570_000n, penalty: 4_570_000n, interest: 20_000_000n, principal: 500_000_000n, cursor: 0 }, paidAt);
      // From paidAt on, 500.00 stays unpaid: at D1 + 20d the penalty outstanding is 2,500,000 (7,070,000 - 4,570,000).
      expect((await f.ledger.loanState(f.fiatLoanId)).penaltyOutstanding).to.equal(2_500_000n);
    });

    it("refuses a paidAt before the loan was registered", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const start = (await f.ledger.loanTerms(f.fiatLoanId)).startedAt;
      const now = BigInt(await time.latest()) + 5n;
      await time.setNextBlockTimestamp(now);
      await expect(f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 1n, start - 1n, BANK_REF))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerPaidAtOutOfRange")
        .withArgs(start - 1n, start, now);
    });

    it("accepts a paidAt equal to the registration time", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const start = (await f.ledger.loanTerms(f.fiatLoanId)).startedAt;
      await expect(f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 1n, start, BANK_REF))
        .to.emit(f.ledger, "LoanRepaid")
        .withArgs(f.fiatLoanId, f.lender.address, 1n, 0n, 1n, 0n, 0, start, BANK_REF, true, false);
    });

    /**
     * Issue 13 item 15: anyone may `repay(loan, 1)`, which used to move the earliest allowed paidAt
     * past a bank payment the lender had received earlier, so the lender could no longer attest it.
     * Now an attestation may be dated anywhere in the version, and is applied at
     * max(paidAt, last payment time) (docs/ledger-rules.md, "Repayment waterfall").
     */
    it("a third party's on-chain repay of 1 unit does not block the lender's attestation of an earlier bank payment; figures equal src/domain", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const loanId = f.tokenLoanId;
      const startedAt = (await f.ledger.loanTerms(loanId)).startedAt;
      let domain = newLoan(
        f.schedule.map((i) => ({ dueDate: BigInt(i.dueDate), principal: BigInt(i.principal), interest: BigInt(i.interest) })),
        makeTerms({ principal: 3n * WATERFALL_PRINCIPAL_PART, contractRateBps: WATERFALL_RATE_BPS, maxAnnualRateBps: WATERFALL_MAX_RATE_BPS, policy: WATERFALL_DOMAIN_POLICY, registeredAt: startedAt }),
        WATERFALL_DOMAIN_POLICY,
      );
      // D1 + 10d: a stranger pays 1 unit on chain; it goes to the 4,570,000 penalty of 7 penalty days.
      const thirdParty = f.due[0] + 10n * DAY;
      await time.setNextBlockTimestamp(thirdParty);
      await f.ledger.connect(f.stranger).repay(loanId, 1n);
      domain = applyRepayment(domain, 1n, thirdParty, thirdParty).state;

      // D1 + 12d: the lender attests money its bank received at D1 + 5d. It is applied at D1 + 10d
      // (the penalty checkpoint never goes back): 4,569,999 penalty left, 20.00 interest, 1,000.00 principal.
      const paidAt = f.due[0] + 5n * DAY;
      const now = f.due[0] + 12n * DAY;
      const amount = 4_569_999n + WATERFALL_INSTALLMENT;
      await time.setNextBlockTimestamp(now);
      // The event carries the bank's date, not the time the waterfall was applied at.
      await expect(f.ledger.connect(f.lender).recordRepayment(loanId, amount, paidAt, BANK_REF))
        .to.emit(f.ledger, "LoanRepaid")
        .withArgs(loanId, f.lender.address, amount, 4_569_999n, WATERFALL_INTEREST_PART, WATERFALL_PRINCIPAL_PART, 1, paidAt, BANK_REF, true, false);
      const expected = applyRepayment(domain, amount, paidAt, now);
      expect([expected.breakdown.penalty, expected.breakdown.interest, expected.breakdown.principal, expected.breakdown.cursorAfter]).to.deep.equal([
        4_569_999n,
        WATERFALL_INTEREST_PART,
        WATERFALL_PRINCIPAL_PART,
        1,
      ]);
      domain = expected.state;
      expect(domain.lastPaidAt, "the checkpoint stays at the later payment").to.equal(thirdParty);

      const s = await f.ledger.loanState(loanId);
      const d = statusAt(domain, now);
      expect([s.cursor, s.dpd, s.amountOverdue, s.penaltyOutstanding, s.nextDueAmount, s.outstandingPrincipal, s.outstandingInterest]).to.deep.equal([
        BigInt(d.cursor),
        d.dpd,
        d.amountOverdue,
        d.penaltyOutstanding,
        d.nextDueAmount,
        d.outstandingPrincipal,
        d.outstandingInterest,
      ]);
      // A later on-chain payment is applied from D1 + 12d on, as the domain says.
      const later = now + DAY;
      await time.setNextBlockTimestamp(later);
      const next = applyRepayment(domain, 1_000_000n, later, later);
      await expect(f.ledger.connect(f.borrower).repay(loanId, 1_000_000n))
        .to.emit(f.ledger, "LoanRepaid")
        .withArgs(loanId, f.borrower.address, 1_000_000n, next.breakdown.penalty, next.breakdown.interest, next.breakdown.principal, next.breakdown.cursorAfter, later, ethers.ZeroHash, false, false);
    });

    it("accepts a paidAt before the last payment's but within the schedule version, and refuses one before its start", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const start = (await f.ledger.loanTerms(f.fiatLoanId)).startedAt;
      const first = f.due[0] - 5n * DAY;
      await time.setNextBlockTimestamp(first);
      await f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 1_000_000n, first, BANK_REF);
      const now = first + DAY;
      await time.setNextBlockTimestamp(now);
      await expect(f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 1n, first - 1n, BANK_REF))
        .to.emit(f.ledger, "LoanRepaid")
        .withArgs(f.fiatLoanId, f.lender.address, 1n, 0n, 1n, 0n, 0, first - 1n, BANK_REF, true, false);
      await expect(f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 1n, start, BANK_REF)).to.emit(f.ledger, "LoanRepaid");
      const later = now + 10n;
      await time.setNextBlockTimestamp(later);
      await expect(f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 1n, start - 1n, BANK_REF))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerPaidAtOutOfRange")
        .withArgs(start - 1n, start, later);
    });

    it("refuses a paidAt after the block time, and accepts one equal to it", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const start = (await f.ledger.loanTerms(f.fiatLoanId)).startedAt;
      const now = BigInt(await time.latest()) + 100n;
      await time.setNextBlockTimestamp(now);
      await expect(f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 1n, now + 1n, BANK_REF))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerPaidAtOutOfRange")
        .withArgs(now + 1n, start, now);
      // (The refused transaction was mined at `now`, so the next block is later.)
      await time.setNextBlockTimestamp(now + 10n);
      await expect(f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 1n, now + 10n, BANK_REF)).to.emit(f.ledger, "LoanRepaid");
    });
  });

  describe("who may record", function () {
    it("carries the bank reference and the recorder in the event", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const at = f.due[0] - DAY;
      const ref = ethers.id("another bank reference");
      await time.setNextBlockTimestamp(at);
      await expect(f.ledger.connect(f.servicer).recordRepayment(f.fiatLoanId, WATERFALL_INSTALLMENT, at, ref))
        .to.emit(f.ledger, "LoanRepaid")
        .withArgs(f.fiatLoanId, f.servicer.address, WATERFALL_INSTALLMENT, 0n, 20_000_000n, 1_000_000_000n, 1, at, ref, true, false);
    });

    it("refuses a servicer the lender revoked", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await f.ledger.connect(f.lender).setServicer(f.servicer.address, false);
      const now = BigInt(await time.latest());
      await expect(f.ledger.connect(f.servicer).recordRepayment(f.fiatLoanId, 1n, now, BANK_REF))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerNotLenderOrServicer")
        .withArgs(f.servicer.address, f.fiatLoanId);
    });

    it("refuses another lender and another lender's servicer", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await f.ledger.connect(f.otherLender).setServicer(f.stranger.address, true);
      const now = BigInt(await time.latest());
      for (const account of [f.otherLender, f.stranger, f.borrower]) {
        await expect(f.ledger.connect(account).recordRepayment(f.fiatLoanId, 1n, now, BANK_REF))
          .to.be.revertedWithCustomError(f.ledger, "LoanLedgerNotLenderOrServicer")
          .withArgs(account.address, f.fiatLoanId);
      }
    });

    it("refuses an unknown loan", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await expect(f.ledger.connect(f.lender).recordRepayment(9n, 1n, 0n, BANK_REF))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerUnknownLoan")
        .withArgs(9n);
    });
  });
});
