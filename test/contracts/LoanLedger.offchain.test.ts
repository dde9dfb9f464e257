import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, WATERFALL_INSTALLMENT, waterfallLoansFixture, type WaterfallFixture } from "./helpers/fixtures";
import { expectRepaid, shouldBehaveLikeWaterfallRepayment, type RepaymentChannel } from "./helpers/behaviours";

const BANK_REF = ethers.id("ICBC 2026-11-28 #000123");

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

    it("refuses a paidAt before the last payment's, and accepts one equal to it", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const first = f.due[0] - 5n * DAY;
      await time.setNextBlockTimestamp(first);
      await f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 1_000_000n, first, BANK_REF);
      const now = first + DAY;
      await time.setNextBlockTimestamp(now);
      await expect(f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 1n, first - 1n, BANK_REF))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerPaidAtOutOfRange")
        .withArgs(first - 1n, first, now);
      await expect(f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 1n, first, BANK_REF)).to.emit(f.ledger, "LoanRepaid");
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
