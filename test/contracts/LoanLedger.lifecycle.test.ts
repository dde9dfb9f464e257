import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, WATERFALL_INSTALLMENT, waterfallLoansFixture } from "./helpers/fixtures";

const A = WATERFALL_INSTALLMENT; // 1,020.00 per installment (waterfallLoansFixture)
const BANK_REF = ethers.id("recovery wire");
enum Status {
  Active,
  ChargedOff,
  WrittenOff,
  Closed,
}

describe("LoanLedger: lifecycle", function () {
  /** waterfallLoansFixture with both loans 10 days late on installment 0 (7 penalty days: 4,570,000). */
  async function lateLoansFixture() {
    const f = await waterfallLoansFixture();
    await time.increaseTo(f.due[0] + 10n * DAY);
    return f;
  }

  describe("chargeOff", function () {
    it("emits LoanChargedOff with the outstanding figures and DPD, and keeps the loan open", async function () {
      const f = await loadFixture(lateLoansFixture);
      await time.setNextBlockTimestamp(f.due[0] + 10n * DAY + 1n);
      await expect(f.ledger.connect(f.lender).chargeOff(f.tokenLoanId))
        .to.emit(f.ledger, "LoanChargedOff")
        .withArgs(f.tokenLoanId, 3_000_000_000n, 60_000_000n, 4_570_000n, 10);
      const s = await f.ledger.loanState(f.tokenLoanId);
      expect(s.status).to.equal(BigInt(Status.ChargedOff));
      expect(s.classification).to.equal(1n); // by DPD, as for an active loan
      expect(s.penaltyOutstanding).to.equal(4_570_000n);
    });

    it("reports what is left after partial payments", async function () {
      const f = await loadFixture(lateLoansFixture);
      // 4.57 penalty + 20.00 interest + 500.00 principal at D1 + 10d; at D1 + 20d 2,500,000 of penalty has accrued since.
      await f.ledger.connect(f.borrower).repay(f.tokenLoanId, 524_570_000n);
      await time.setNextBlockTimestamp(f.due[0] + 20n * DAY);
      await expect(f.ledger.connect(f.lender).chargeOff(f.tokenLoanId))
        .to.emit(f.ledger, "LoanChargedOff")
        .withArgs(f.tokenLoanId, 2_500_000_000n, 40_000_000n, 2_500_000n, 20);
    });

    it("makes later payments recoveries, on chain and off chain", async function () {
      const f = await loadFixture(lateLoansFixture);
      await f.ledger.connect(f.lender).chargeOff(f.tokenLoanId);
      await f.ledger.connect(f.lender).chargeOff(f.fiatLoanId);
      const at = f.due[0] + 10n * DAY + 100n;
      await time.setNextBlockTimestamp(at);
      await expect(f.ledger.connect(f.borrower).repay(f.tokenLoanId, 4_570_000n))
        .to.emit(f.ledger, "LoanRepaid")
        .withArgs(f.tokenLoanId, f.borrower.address, 4_570_000n, 4_570_000n, 0n, 0n, 0, at, ethers.ZeroHash, false, true);
      await expect(f.ledger.connect(f.servicer).recordRepayment(f.fiatLoanId, 4_570_000n, at, BANK_REF))
        .to.emit(f.ledger, "LoanRepaid")
        .withArgs(f.fiatLoanId, f.servicer.address, 4_570_000n, 4_570_000n, 0n, 0n, 0, at, BANK_REF, true, true);
    });

    it("closes a charged-off loan that is recovered in full", async function () {
      const f = await loadFixture(lateLoansFixture);
      await f.ledger.connect(f.lender).chargeOff(f.tokenLoanId);
      await expect(f.ledger.connect(f.borrower).repay(f.tokenLoanId, 3n * A + 4_570_000n)).to.emit(f.ledger, "LoanClosed");
      expect((await f.ledger.loanState(f.tokenLoanId)).status).to.equal(BigInt(Status.Closed));
    });

    it("refuses a loan that is not Active", async function () {
      const f = await loadFixture(lateLoansFixture);
      await f.ledger.connect(f.lender).chargeOff(f.tokenLoanId);
      await expect(f.ledger.connect(f.lender).chargeOff(f.tokenLoanId))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotActive")
        .withArgs(f.tokenLoanId, Status.ChargedOff);
      await f.ledger.connect(f.lender).writeOff(f.fiatLoanId);
      await expect(f.ledger.connect(f.lender).chargeOff(f.fiatLoanId))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotActive")
        .withArgs(f.fiatLoanId, Status.WrittenOff);
    });

    it("refuses a closed loan", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await f.ledger.connect(f.borrower).repay(f.tokenLoanId, 3n * A);
      await expect(f.ledger.connect(f.lender).chargeOff(f.tokenLoanId))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotActive")
        .withArgs(f.tokenLoanId, Status.Closed);
    });

    it("refuses an unknown loan", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await expect(f.ledger.connect(f.lender).chargeOff(3n)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerUnknownLoan").withArgs(3n);
    });
  });

  describe("writeOff", function () {
    it("emits LoanWrittenOff with the outstanding figures and makes the loan terminal", async function () {
      const f = await loadFixture(lateLoansFixture);
      await time.setNextBlockTimestamp(f.due[0] + 10n * DAY + 1n);
      await expect(f.ledger.connect(f.lender).writeOff(f.tokenLoanId))
        .to.emit(f.ledger, "LoanWrittenOff")
        .withArgs(f.tokenLoanId, 3_000_000_000n, 60_000_000n, 4_570_000n, 10);
      const s = await f.ledger.loanState(f.tokenLoanId);
      expect(s.status).to.equal(BigInt(Status.WrittenOff));
      expect(s.classification).to.equal(4n); // Loss
      await expect(f.ledger.connect(f.borrower).repay(f.tokenLoanId, 1n))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotOpen")
        .withArgs(f.tokenLoanId, Status.WrittenOff);
      await expect(f.ledger.connect(f.lender).writeOff(f.tokenLoanId))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotOpen")
        .withArgs(f.tokenLoanId, Status.WrittenOff);
    });

    it("refuses off-chain records on a written-off loan", async function () {
      const f = await loadFixture(lateLoansFixture);
      await f.ledger.connect(f.lender).writeOff(f.fiatLoanId);
      const now = BigInt(await time.latest());
      await expect(f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 1n, now, BANK_REF))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotOpen")
        .withArgs(f.fiatLoanId, Status.WrittenOff);
    });

    it("writes off a charged-off loan", async function () {
      const f = await loadFixture(lateLoansFixture);
      await f.ledger.connect(f.lender).chargeOff(f.tokenLoanId);
      await expect(f.ledger.connect(f.lender).writeOff(f.tokenLoanId)).to.emit(f.ledger, "LoanWrittenOff");
      expect((await f.ledger.loanState(f.tokenLoanId)).status).to.equal(BigInt(Status.WrittenOff));
    });

    it("refuses a closed loan", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await f.ledger.connect(f.borrower).repay(f.tokenLoanId, 3n * A);
      await expect(f.ledger.connect(f.lender).writeOff(f.tokenLoanId))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotOpen")
        .withArgs(f.tokenLoanId, Status.Closed);
    });
  });

  describe("status views", function () {
    it("compute DPD, bucket, amount overdue and classification from the clock, without pokes", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      // [days after D1, bucket, amount overdue, classification]; installment 1 falls due at D1 + 30d, 2 at D1 + 60d.
      const table: [bigint, bigint, bigint, bigint][] = [
        [0n, 0n, 0n, 0n],
        [1n, 1n, A, 1n],
        [30n, 1n, A, 1n], // installment 1 is due but not yet a day late
        [31n, 2n, 2n * A, 1n],
        [61n, 3n, 3n * A, 1n],
        [91n, 4n, 3n * A, 2n],
        [180n, 6n, 3n * A, 2n],
        [181n, 7n, 3n * A, 2n],
        [271n, 7n, 3n * A, 3n],
        [361n, 7n, 3n * A, 4n],
      ];
      for (const [days, bucket, overdue, classification] of table) {
        await time.increaseTo(f.due[0] + days * DAY);
        const s = await f.ledger.loanState(f.tokenLoanId);
        expect(s.dpd, `dpd at +${days}d`).to.equal(days);
        expect(await f.ledger.daysPastDue(f.tokenLoanId)).to.equal(days);
        expect(s.bucket, `bucket at +${days}d`).to.equal(bucket);
        expect(s.amountOverdue, `overdue at +${days}d`).to.equal(overdue);
        expect(s.classification, `classification at +${days}d`).to.equal(classification);
        expect(s.status).to.equal(BigInt(Status.Active));
      }
    });

    it("report a closed loan as Normal with nothing due", async function () {
      const f = await loadFixture(lateLoansFixture);
      await f.ledger.connect(f.borrower).repay(f.tokenLoanId, 3n * A + 4_570_000n);
      await time.increase(400n * DAY);
      const s = await f.ledger.loanState(f.tokenLoanId);
      expect(s.status).to.equal(BigInt(Status.Closed));
      expect(s.classification).to.equal(0n);
      expect(s.dpd).to.equal(0n);
      expect(s.amountOverdue).to.equal(0n);
      expect(s.penaltyOutstanding).to.equal(0n);
      expect(s.outstandingPrincipal).to.equal(0n);
      expect(s.outstandingInterest).to.equal(0n);
      expect(s.cursor).to.equal(3n);
      expect(await f.ledger.daysPastDue(f.tokenLoanId)).to.equal(0n);
    });
  });
});
