import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, WATERFALL_INSTALLMENT, waterfallLoansFixture, type WaterfallFixture } from "./helpers/fixtures";
import { expectRepaid, shouldBehaveLikeWaterfallRepayment, type RepaymentChannel } from "./helpers/behaviours";

/** `repay` of the token loan by the borrower. */
const repayByBorrower: RepaymentChannel = {
  loanId: (f) => f.tokenLoanId,
  payer: (f) => f.borrower,
  async pay(f: WaterfallFixture, amount: bigint, at: bigint) {
    await time.setNextBlockTimestamp(at);
    return f.ledger.connect(f.borrower).repay(f.tokenLoanId, amount);
  },
  bankRef: ethers.ZeroHash,
  offChain: false,
};

/** `repay` of the token loan by someone else on the borrower's behalf. */
const repayByStranger: RepaymentChannel = {
  ...repayByBorrower,
  payer: (f) => f.stranger,
  async pay(f: WaterfallFixture, amount: bigint, at: bigint) {
    await time.setNextBlockTimestamp(at);
    return f.ledger.connect(f.stranger).repay(f.tokenLoanId, amount);
  },
};

describe("LoanLedger: repayment (repay)", function () {
  shouldBehaveLikeWaterfallRepayment(repayByBorrower);

  describe("repay", function () {
    it("moves the amount from the payer to the lender", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await expect(f.ledger.connect(f.borrower).repay(f.tokenLoanId, 520_000_000n)).to.changeTokenBalances(
        f.token,
        [f.borrower, f.lender, f.ledger],
        [-520_000_000n, 520_000_000n, 0n],
      );
    });

    it("can be paid by anyone, who is the payer in the event", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const at = f.due[0] - DAY;
      const tx = await repayByStranger.pay(f, WATERFALL_INSTALLMENT, at);
      await expectRepaid(repayByStranger, f, tx, { amount: WATERFALL_INSTALLMENT, penalty: 0n, interest: 20_000_000n, principal: 1_000_000_000n, cursor: 1 }, at);
    });

    it("refuses a loan settled off chain", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await expect(f.ledger.connect(f.borrower).repay(f.fiatLoanId, 1n))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerNotTokenLoan")
        .withArgs(f.fiatLoanId);
    });

    it("refuses an unknown loan", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await expect(f.ledger.connect(f.borrower).repay(3n, 1n)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerUnknownLoan").withArgs(3n);
    });

    it("takes no tokens when it refuses an overpayment", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const before = await f.token.balanceOf(f.borrower.address);
      await expect(f.ledger.connect(f.borrower).repay(f.tokenLoanId, 3n * WATERFALL_INSTALLMENT + 7n))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerOverpayment")
        .withArgs(f.tokenLoanId, 7n);
      expect(await f.token.balanceOf(f.borrower.address)).to.equal(before);
    });

    it("records the classification now: a repayment of an overdue loan that stays overdue emits ClassificationChanged", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      // Nobody poked: the recorded classification is still Normal. At D1 + 5d a partial payment leaves
      // installment 0 overdue (DPD 5), so the repayment records SpecialMention.
      await time.setNextBlockTimestamp(f.due[0] + 5n * DAY);
      await expect(f.ledger.connect(f.borrower).repay(f.tokenLoanId, 1_000_000n))
        .to.emit(f.ledger, "ClassificationChanged")
        .withArgs(f.tokenLoanId, 0, 1, 5);
      // Settling installment 0 makes the loan current again: back to Normal with DPD 0.
      await time.setNextBlockTimestamp(f.due[0] + 6n * DAY);
      const tx = f.ledger.connect(f.borrower).repay(f.tokenLoanId, WATERFALL_INSTALLMENT + 10_000_000n);
      await expect(tx).to.emit(f.ledger, "ClassificationChanged").withArgs(f.tokenLoanId, 1, 0, 0);
    });
  });
});
